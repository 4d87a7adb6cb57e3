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
	if d.URL != "http://h/metrics" || d.Generated != Known(474) || d.Prompt != Known(4) || d.Requests.Status != Absent || d.DecodeTPS.Value < 473 || d.DecodeTPS.Value > 475 {
		t.Errorf("delta %+v", d)
	}
	if d.TTFTMeanMs.Status != Absent || d.QueueMeanMs.Status != Absent {
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
	if d.Generated != Known(64) || d.Prompt != Known(40) || d.Requests != Known(4) || d.DecodeTPS.Status != Absent || math.Abs(d.TTFTMeanMs.Value-100) > 1e-9 || d.QueueMeanMs.Status != Absent {
		t.Errorf("delta %+v", d)
	}
	// A server that exports nothing known: every figure is marked absent.
	none := Diff("u", Snapshot{}, Snapshot{"process_cpu_seconds_total": 3})
	if none != (Delta{URL: "u"}) {
		t.Errorf("nothing known: %+v", none)
	}
	// TGI names its figures differently; the first family found counts.
	tgi := Diff("u", Snapshot{}, Snapshot{"tgi_request_generated_tokens_sum": 9, "tgi_request_success": 3, "tgi_request_queue_duration_sum": 0.03, "tgi_request_queue_duration_count": 3})
	if tgi.Generated != Known(9) || tgi.Requests != Known(3) || math.Abs(tgi.QueueMeanMs.Value-10) > 1e-9 {
		t.Errorf("TGI: %+v", tgi)
	}
}

// +Inf and NaN are valid exposition format, and a server can count
// anything: a figure the server exports but whose change is no number (not
// finite) or none a run can have (a count below zero, as after a restart,
// or beyond 2^40) is marked so, never taken for a figure nor for one the
// server does not export.
func TestDiffOddFigures(t *testing.T) {
	t.Parallel()
	inf, nan := math.Inf(1), math.NaN()
	before := Snapshot{"llamacpp:tokens_predicted_total": 1, "llamacpp:tokens_predicted_seconds_total": 0, "vllm:prompt_tokens_total": inf,
		"vllm:time_to_first_token_seconds_sum": inf, "vllm:time_to_first_token_seconds_count": 1,
		"vllm:request_queue_time_seconds_sum": 5, "vllm:request_queue_time_seconds_count": 1}
	after := Snapshot{"llamacpp:tokens_predicted_total": inf, "llamacpp:tokens_predicted_seconds_total": 2, "vllm:prompt_tokens_total": inf,
		"vllm:time_to_first_token_seconds_sum": inf, "vllm:time_to_first_token_seconds_count": 2,
		"vllm:request_queue_time_seconds_sum": 1, "vllm:request_queue_time_seconds_count": 3,
		"vllm:request_success_total": nan}
	d := Diff("u", before, after)
	for _, tt := range []struct {
		name string
		got  Figure
		want Status
	}{
		{"generated", d.Generated, NotFinite}, {"prompt", d.Prompt, NotFinite}, {"requests", d.Requests, NotFinite},
		{"decode rate", d.DecodeTPS, NotFinite}, {"TTFT mean", d.TTFTMeanMs, NotFinite}, {"queue mean", d.QueueMeanMs, Absurd},
	} {
		if tt.got.Status != tt.want {
			t.Errorf("%s: %+v; want status %v", tt.name, tt.got, tt.want)
		}
	}
	for _, tt := range []struct {
		change float64
		want   Status
	}{
		{1e308, Absurd}, {-5, Absurd}, {1 << 41, Absurd}, {1 << 40, OK}, {0, OK}, {64, OK},
	} {
		got := Diff("u", Snapshot{"vllm:generation_tokens_total": 10}, Snapshot{"vllm:generation_tokens_total": 10 + tt.change}).Generated
		if got.Status != tt.want || got.Value != tt.change {
			t.Errorf("a change of %g: %+v; want status %v, value %g", tt.change, got, tt.want, tt.change)
		}
	}
	// A rate over a generation time of next to nothing is no rate.
	fast := Diff("u", Snapshot{}, Snapshot{"llamacpp:tokens_predicted_total": 1000, "llamacpp:tokens_predicted_seconds_total": 1e-300})
	if fast.Generated != Known(1000) || fast.DecodeTPS.Status != Absurd {
		t.Errorf("1000 tokens in 1e-300 s: %+v; want the tokens, an absurd rate", fast)
	}
	snap, err := Parse(strings.NewReader("a +Inf\nb NaN\nc -Inf\n"))
	if err != nil || !math.IsInf(snap["a"], 1) || !math.IsNaN(snap["b"]) {
		t.Errorf("Parse of +Inf, NaN, -Inf: %v, %v; want them read", snap, err)
	}
}
