package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// Servers that export Prometheus metrics (vLLM, SGLang, llama.cpp's server,
// TGI) count what they did. tpsbench scrapes them before and after a run
// and reports the changes, beside its own figures: they count all of the
// server's traffic, not only tpsbench's.

// promSnapshot maps a metric name (samples of every label set summed) to its
// value.
type promSnapshot map[string]float64

// parsePrometheus reads the Prometheus text exposition format.
func parsePrometheus(r io.Reader) (promSnapshot, error) {
	snap := promSnapshot{}
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
			return nil, fmt.Errorf("metric %s: %v", name, err)
		}
		snap[name] += v
	}
	return snap, sc.Err()
}

// scrapeMetrics fetches and parses one snapshot.
// It is bounded by the run's --timeout, and by ctx.
func scrapeMetrics(ctx context.Context, c *Client, url string) (promSnapshot, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	resp, err := c.call(ctx, http.MethodGet, url, nil, c.auxHeader)
	if err != nil {
		return nil, fmt.Errorf("scraping %s: %s", redactURL(url), rootCause(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scraping %s: HTTP %d", redactURL(url), resp.StatusCode)
	}
	return parsePrometheus(io.LimitReader(resp.Body, 16<<20))
}

// metricFamilies names, per figure, the counters of the servers that have one.
var metricFamilies = struct {
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

// metricsDelta is what the server's counters say happened during a run;
// -1 (or NaN for means) marks a figure the server does not export.
type metricsDelta struct {
	URL                         string
	Generated, Prompt, Requests float64
	DecodeTPS                   float64
	TTFTMeanMs, QueueMeanMs     float64
}

func diffMetrics(url string, before, after promSnapshot) metricsDelta {
	d := metricsDelta{URL: redactURL(url), DecodeTPS: math.NaN(), TTFTMeanMs: math.NaN(), QueueMeanMs: math.NaN()}
	counter := func(names []string) float64 {
		for _, n := range names {
			if a, ok := after[n]; ok {
				return a - before[n]
			}
		}
		return -1
	}
	mean := func(names []string) float64 {
		for _, n := range names {
			if _, ok := after[n+"_count"]; ok {
				if c := after[n+"_count"] - before[n+"_count"]; c > 0 {
					return (after[n+"_sum"] - before[n+"_sum"]) / c * 1000
				}
			}
		}
		return math.NaN()
	}
	d.Generated, d.Prompt, d.Requests = counter(metricFamilies.generated), counter(metricFamilies.prompt), counter(metricFamilies.requests)
	if secs := counter(metricFamilies.decodeSeconds); secs > 0 && d.Generated > 0 {
		d.DecodeTPS = d.Generated / secs
	}
	d.TTFTMeanMs, d.QueueMeanMs = mean(metricFamilies.ttft), mean(metricFamilies.queue)
	return d
}

// writeMetrics prints the server's counters beside the client's figures.
func writeMetrics(w io.Writer, d *metricsDelta, s Summary) {
	if d == nil {
		return
	}
	fmt.Fprintf(w, "  Server metrics (%s, change during the run; they count all the server's traffic):\n", d.URL)
	if d.Generated >= 0 {
		fmt.Fprintf(w, "    generated tokens: %.0f (client counted %d)\n", d.Generated, s.OutputTokens)
	}
	if d.Prompt >= 0 {
		fmt.Fprintf(w, "    prompt tokens: %.0f\n", d.Prompt)
	}
	if d.Requests >= 0 {
		fmt.Fprintf(w, "    requests: %.0f (client: %d ok)\n", d.Requests, s.OK)
	}
	if !math.IsNaN(d.DecodeTPS) {
		fmt.Fprintf(w, "    decode rate: %.2f tokens/sec (generation time counted by the server)\n", d.DecodeTPS)
	}
	if !math.IsNaN(d.TTFTMeanMs) {
		fmt.Fprintf(w, "    TTFT mean: %.2f ms (client TTFT mean=%.2f)\n", d.TTFTMeanMs, s.TTFT.Mean)
	}
	if !math.IsNaN(d.QueueMeanMs) {
		fmt.Fprintf(w, "    queue time mean: %.2f ms\n", d.QueueMeanMs)
	}
}
