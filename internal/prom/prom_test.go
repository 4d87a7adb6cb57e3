package prom

import (
	"errors"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tpsbench/tpsbench/internal/testkit"
)

// llama.cpp's recorded /metrics, then its change from an earlier scrape.
func TestPrometheusFixture(t *testing.T) {
	t.Parallel()
	snap, err := Parse(testkit.ReadResponse(t, filepath.Join("testdata", "llamacpp-x-metrics.http")).Body)
	if err != nil {
		t.Fatal(err)
	}
	if snap["llamacpp:tokens_predicted_total"] != 8474 || snap["llamacpp:prompt_seconds_total"] != 0.833 || len(snap) != 12 {
		t.Errorf("parsed %v", snap)
	}
	before := Snapshot{"llamacpp:tokens_predicted_total": 8000, "llamacpp:tokens_predicted_seconds_total": 15.456, "llamacpp:prompt_tokens_total": 2800}
	d := Diff("http://h/metrics", before, snap)
	if d.URL != "http://h/metrics" || d.Generated != 474 || d.Prompt != 4 || d.Requests != -1 || d.DecodeTPS < 473 || d.DecodeTPS > 475 {
		t.Errorf("delta %+v", d)
	}
	if !math.IsNaN(d.TTFTMeanMs) || !math.IsNaN(d.QueueMeanMs) {
		t.Errorf("llama.cpp exports no TTFT or queue histogram: delta %+v", d)
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	labelled, err := Parse(strings.NewReader("# TYPE x counter\nvllm:generation_tokens_total{model=\"a\"} 3\nvllm:generation_tokens_total{model=\"b\"} 4 1700000000\n"))
	if err != nil || labelled["vllm:generation_tokens_total"] != 7 || len(labelled) != 1 {
		t.Errorf("labels: %v, %v", labelled, err)
	}
	spaced, err := Parse(strings.NewReader("\n  \nx{path=\"/a b}\"} 1.5e3\ny +Inf\n"))
	if err != nil || spaced["x"] != 1500 || !math.IsInf(spaced["y"], 1) {
		t.Errorf("label value with a space and a brace, +Inf: %v, %v", spaced, err)
	}
	for _, tt := range []struct{ text, want string }{
		{"broken{a=\"b\" 1\n", "metric broken: unterminated labels"},
		{"novalue\n", "metric novalue has no value"},
		{"novalue{a=\"b\"}\n", "metric novalue has no value"},
		{"bad 1x\n", "metric bad: strconv.ParseFloat: parsing \"1x\": invalid syntax"},
	} {
		_, err := Parse(strings.NewReader(tt.text))
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%q) error %v; want %q", tt.text, err, tt.want)
		}
	}
	if _, err := Parse(strings.NewReader("bad 1x\n")); !errors.Is(err, strconv.ErrSyntax) {
		t.Errorf("a bad number's error %v does not wrap strconv.ErrSyntax", err)
	}
}

// vLLM's counters and histograms: means come from _sum and _count.
func TestDiffHistograms(t *testing.T) {
	t.Parallel()
	before := Snapshot{
		"vllm:generation_tokens_total": 100, "vllm:prompt_tokens_total": 50, "vllm:request_success_total": 2,
		"vllm:time_to_first_token_seconds_sum": 0.2, "vllm:time_to_first_token_seconds_count": 2,
		"vllm:request_queue_time_seconds_sum": 1, "vllm:request_queue_time_seconds_count": 2,
	}
	after := Snapshot{
		"vllm:generation_tokens_total": 164, "vllm:prompt_tokens_total": 90, "vllm:request_success_total": 6,
		"vllm:time_to_first_token_seconds_sum": 0.6, "vllm:time_to_first_token_seconds_count": 6,
		"vllm:request_queue_time_seconds_sum": 1, "vllm:request_queue_time_seconds_count": 2, // no new request queued
	}
	d := Diff("u", before, after)
	if d.Generated != 64 || d.Prompt != 40 || d.Requests != 4 || !math.IsNaN(d.DecodeTPS) || math.Abs(d.TTFTMeanMs-100) > 1e-9 || !math.IsNaN(d.QueueMeanMs) {
		t.Errorf("delta %+v", d)
	}
	// A server that exports nothing known: every figure is marked absent.
	none := Diff("u", Snapshot{}, Snapshot{"process_cpu_seconds_total": 3})
	if none.Generated != -1 || none.Prompt != -1 || none.Requests != -1 || !math.IsNaN(none.DecodeTPS) || !math.IsNaN(none.TTFTMeanMs) || !math.IsNaN(none.QueueMeanMs) {
		t.Errorf("nothing known: %+v", none)
	}
	// TGI names its figures differently; the first family found counts.
	tgi := Diff("u", Snapshot{}, Snapshot{"tgi_request_generated_tokens_sum": 9, "tgi_request_success": 3, "tgi_request_queue_duration_sum": 0.03, "tgi_request_queue_duration_count": 3})
	if tgi.Generated != 9 || tgi.Requests != 3 || math.Abs(tgi.QueueMeanMs-10) > 1e-9 {
		t.Errorf("TGI: %+v", tgi)
	}
}

// +Inf and NaN are valid exposition format: a change that is not finite is
// an unknown figure, never an infinite one.
func TestDiffNonFinite(t *testing.T) {
	t.Parallel()
	inf := math.Inf(1)
	before := Snapshot{"llamacpp:tokens_predicted_total": 1, "llamacpp:tokens_predicted_seconds_total": 0, "vllm:prompt_tokens_total": inf,
		"vllm:time_to_first_token_seconds_sum": inf, "vllm:time_to_first_token_seconds_count": 1}
	after := Snapshot{"llamacpp:tokens_predicted_total": inf, "llamacpp:tokens_predicted_seconds_total": 2, "vllm:prompt_tokens_total": inf,
		"vllm:time_to_first_token_seconds_sum": inf, "vllm:time_to_first_token_seconds_count": 2,
		"vllm:request_success_total": math.NaN()}
	d := Diff("u", before, after)
	if d.Generated != -1 || d.Prompt != -1 || d.Requests != -1 || !math.IsNaN(d.DecodeTPS) || !math.IsNaN(d.TTFTMeanMs) {
		t.Errorf("delta %+v; want every figure unknown", d)
	}
	snap, err := Parse(strings.NewReader("a +Inf\nb NaN\nc -Inf\n"))
	if err != nil || !math.IsInf(snap["a"], 1) || !math.IsNaN(snap["b"]) {
		t.Errorf("Parse of +Inf, NaN, -Inf: %v, %v; want them read", snap, err)
	}
}
