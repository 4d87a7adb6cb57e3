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

// Delta is what the server's counters say happened between two scrapes;
// -1 (counts) or NaN (rates and means) marks a figure the server does not
// export.
type Delta struct {
	URL         string  // where the counters were scraped, as given to Diff
	Generated   float64 // output tokens generated
	Prompt      float64 // prompt tokens processed
	Requests    float64 // requests completed
	DecodeTPS   float64 // generated tokens per second of generation time
	TTFTMeanMs  float64 // mean time to first token, in ms
	QueueMeanMs float64 // mean time requests waited in the server's queue, in ms
}

// Diff computes the change from before to after. url is kept as given in
// the Delta: pass it already redacted if it holds credentials.
func Diff(url string, before, after Snapshot) Delta {
	d := Delta{URL: url, DecodeTPS: math.NaN(), TTFTMeanMs: math.NaN(), QueueMeanMs: math.NaN()}
	// A change that is not finite (+Inf and NaN are valid exposition
	// format) says nothing: the figure is unknown.
	counter := func(names []string) float64 {
		for _, n := range names {
			if a, ok := after[n]; ok {
				return finiteOr(a-before[n], -1)
			}
		}
		return -1
	}
	mean := func(names []string) float64 {
		for _, n := range names {
			if _, ok := after[n+"_count"]; ok {
				if c := after[n+"_count"] - before[n+"_count"]; c > 0 {
					return finiteOr((after[n+"_sum"]-before[n+"_sum"])/c*1000, math.NaN())
				}
			}
		}
		return math.NaN()
	}
	d.Generated, d.Prompt, d.Requests = counter(families.generated), counter(families.prompt), counter(families.requests)
	if secs := counter(families.decodeSeconds); secs > 0 && d.Generated > 0 {
		d.DecodeTPS = finiteOr(d.Generated/secs, math.NaN())
	}
	d.TTFTMeanMs, d.QueueMeanMs = mean(families.ttft), mean(families.queue)
	return d
}

// finiteOr is v, or alt when v is NaN or infinite.
func finiteOr(v, alt float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return alt
	}
	return v
}
