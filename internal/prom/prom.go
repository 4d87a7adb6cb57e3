// Package prom reads the Prometheus text exposition format that inference
// servers (vLLM, SGLang, llama.cpp's server, TGI) export, and computes what
// their counters say happened between two scrapes.
//
// The counters count all of the server's traffic, not only tpsbench's: a
// Delta is reported beside the client's own figures, never instead of them.
package prom

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Snapshot maps a metric name to its value, the samples of every label set
// summed.
type Snapshot map[string]float64

// Parse reads the Prometheus text exposition format: comments and blank
// lines are skipped, labels dropped, and a sample's timestamp ignored.
func Parse(r io.Reader) (Snapshot, error) {
	snap := Snapshot{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest := line, ""
		if i := strings.IndexAny(line, "{ "); i >= 0 {
			name, rest = line[:i], line[i:]
		}
		if strings.HasPrefix(rest, "{") {
			end := strings.LastIndexByte(rest, '}')
			if end < 0 {
				return nil, fmt.Errorf("metric %s: unterminated labels", name)
			}
			rest = rest[end+1:]
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			return nil, fmt.Errorf("metric %s has no value", name)
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return nil, fmt.Errorf("metric %s: %w", name, err)
		}
		snap[name] += v
	}
	return snap, sc.Err()
}

// families names, per figure, the metrics of the servers that export one.
var families = struct {
	generated, prompt, requests, decodeSeconds []string
	ttft, queue                                []string // histograms: _sum and _count
}{
	generated:     []string{"vllm:generation_tokens_total", "sglang:generation_tokens_total", "llamacpp:tokens_predicted_total", "tgi_request_generated_tokens_sum"},
	prompt:        []string{"vllm:prompt_tokens_total", "sglang:prompt_tokens_total", "llamacpp:prompt_tokens_total", "tgi_request_input_length_sum"},
	requests:      []string{"vllm:request_success_total", "sglang:num_requests_total", "tgi_request_success"},
	decodeSeconds: []string{"llamacpp:tokens_predicted_seconds_total"},
	ttft:          []string{"vllm:time_to_first_token_seconds", "sglang:time_to_first_token_seconds"},
	queue:         []string{"vllm:request_queue_time_seconds", "sglang:queue_time_seconds", "tgi_request_queue_duration"},
}

// Delta is what the server's counters say happened between two scrapes.
type Delta struct {
	URL         string // where the counters were scraped, as given to Diff
	Generated   Figure // output tokens generated
	Prompt      Figure // prompt tokens processed
	Requests    Figure // requests completed
	DecodeTPS   Figure // generated tokens per second of generation time
	TTFTMeanMs  Figure // mean time to first token, in ms
	QueueMeanMs Figure // mean time requests waited in the server's queue, in ms
}

// Figure is one figure of a Delta, and whether it is one.
type Figure struct {
	Value  float64 // the figure when Status is OK; when Absurd, the value, or NaN for a figure computed from an absurd one
	Status Status
}

// Status says whether a Figure is a figure: its zero value is Absent.
type Status int8

const (
	Absent    Status = iota // the server does not export it (or nothing happened to measure)
	OK                      // a figure
	NotFinite               // the server exports it, but the change is +Inf, -Inf or NaN (valid exposition format)
	Absurd                  // the server exports it, but the change is negative (a reset?) or beyond Bound
)

// Bound is more than any run's count (about 10^12 tokens or requests) and
// any rate or mean in tokens per second or milliseconds: a figure beyond it
// is the server's error, not a measurement.
const Bound = 1 << 40

// Known is the figure v, as a figure.
func Known(v float64) Figure { return Figure{Value: v, Status: OK} }

// judge is v as a Figure: NotFinite, Absurd, or a figure.
func judge(v float64) Figure {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return Figure{Status: NotFinite}
	case v < 0 || v > Bound:
		return Figure{Value: v, Status: Absurd}
	}
	return Known(v)
}

// unusable is what a figure computed from f is when f is not a figure:
// absent or unusable as f is, with no value of its own.
func (f Figure) unusable() Figure {
	if f.Status == Absent {
		return Figure{}
	}
	return Figure{Value: math.NaN(), Status: f.Status}
}

// Diff computes the change from before to after. url is kept as given in
// the Delta: pass it already redacted if it holds credentials.
func Diff(url string, before, after Snapshot) Delta {
	d := Delta{URL: url}
	counter := func(names []string) Figure {
		for _, n := range names {
			if a, ok := after[n]; ok {
				return judge(a - before[n])
			}
		}
		return Figure{}
	}
	mean := func(names []string) Figure {
		for _, n := range names {
			if _, ok := after[n+"_count"]; !ok {
				continue
			}
			switch c := judge(after[n+"_count"] - before[n+"_count"]); {
			case c.Status != OK:
				return c.unusable()
			case c.Value == 0:
				return Figure{} // no request in the run: nothing to say
			default:
				return judge((after[n+"_sum"] - before[n+"_sum"]) / c.Value * 1000)
			}
		}
		return Figure{}
	}
	d.Generated, d.Prompt, d.Requests = counter(families.generated), counter(families.prompt), counter(families.requests)
	switch secs := counter(families.decodeSeconds); {
	case secs.Status == Absent:
	case secs.Status != OK:
		d.DecodeTPS = secs.unusable()
	case d.Generated.Status != OK:
		d.DecodeTPS = d.Generated.unusable()
	case secs.Value > 0 && d.Generated.Value > 0:
		d.DecodeTPS = judge(d.Generated.Value / secs.Value)
	}
	d.TTFTMeanMs, d.QueueMeanMs = mean(families.ttft), mean(families.queue)
	return d
}
