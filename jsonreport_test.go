package main

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tpsbench/tpsbench/internal/gpu"
	"github.com/tpsbench/tpsbench/internal/prom"
)

// The JSON summary decodes into exactly the documented shape, with the key
// redacted and units in the names.
func TestJSONSummaryShape(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	cfg := &config{threads: 4, baseURL: "http://u:p@h/v1", model: "m", apiKey: "sk-secret", requestsPerThread: 3, timeout: 120, maxTokens: 16, stream: true, encoding: "cl100k_base"}
	cfg.load.api = apiChat
	done := &finishedRun{cfg: cfg, baseURL: cfg.baseURL, started: time.Unix(0, 0).UTC(), s: summarizeRecords(goldenRecords(), sloBounds{ttft: time.Second})}
	if err := renderJSON(&out, done); err != nil {
		t.Fatal(err)
	}
	doc := decodeSummary(t, out.String())
	if strings.Contains(out.String(), "sk-secret") || doc.Config.APIKey != "[redacted]" || strings.Contains(doc.Config.BaseURL, ":p@") {
		t.Errorf("secrets in the JSON:\n%s", out.String())
	}
	if doc.Requests.Sent != 12 || doc.Requests.OK != 8 || doc.TTFTMs == nil || doc.TTFTMs.CI95 == nil || doc.Goodput == nil || len(doc.Samples.TPS) != 8 {
		t.Errorf("figures missing: %s", out.String())
	}
	if !slices.Contains(doc.TTFTMs.Notes, "p99 rests on 8 samples (fewer than 100)") {
		t.Errorf("no p99 warning in %v", doc.TTFTMs.Notes)
	}
	// Golden, with the build's version masked.
	masked := regexp.MustCompile(`"version": "[^"]*"`).ReplaceAll(out.Bytes(), []byte(`"version": "VERSION"`))
	golden(t, "summary.golden.json", masked)
}

// Figures that are not finite (a rate over a duration of 1e-320 ms, a
// Prometheus counter of +Inf, which the exposition format allows) leave
// --json whole: the server's rates from near-zero durations are n/a, the
// counters null with a note, and nothing prints Inf or NaN.
func TestNonFiniteFiguresKeepTheJSON(t *testing.T) {
	t.Parallel()
	const answer = `{"choices":[{"message":{"content":"hi"},"finish_reason":"stop"}],"usage":{"completion_tokens":2},` +
		`"timings":{"prompt_n":5,"prompt_ms":1e-320,"predicted_n":2,"predicted_ms":1e-320}}`
	scrapes := 0
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/metrics" {
			mu.Lock()
			scrapes++
			n := scrapes
			mu.Unlock()
			fmt.Fprintf(w, "vllm:generation_tokens_total %s\nvllm:prompt_tokens_total +Inf\nvllm:request_success_total %d\n"+
				"vllm:time_to_first_token_seconds_sum +Inf\nvllm:time_to_first_token_seconds_count %d\n", map[bool]string{true: "1", false: "+Inf"}[n == 1], n, n)
			return
		}
		if r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	path := testPath(t, "run.json")
	out, _ := runExpect(t, 0, "2", "--requests", "4", "--base-url", srv.URL+"/v1", "--metrics-url", srv.URL+"/metrics", "--json", path)
	var doc jsonSummary
	readJSON(t, path, &doc)
	if doc.Requests.OK != 4 || doc.ServerSide == nil || doc.ServerSide.DecodeTPS != nil || doc.ServerSide.PrefillTPS != nil {
		t.Errorf("server side %+v; want 4 answers, no decode or prefill rate (n/a)", doc.ServerSide)
	}
	wantNotes := []string{"generated_tokens: not a finite number", "prompt_tokens: not a finite number", "ttft_mean_ms: not a finite number"}
	if m := doc.ServerMetrics; m == nil || m.GeneratedTokens != nil || m.PromptTokens != nil || m.TTFTMeanMs != nil || m.Requests == nil || !slices.Equal(m.Notes, wantNotes) {
		t.Errorf("server metrics %+v; want the infinite counters null with notes %q, requests known", m, wantNotes)
	}
	for _, bad := range []string{"Inf", "NaN"} {
		if strings.Contains(out, bad) {
			t.Errorf("the text report prints %s:\n%s", bad, out)
		}
	}
}

// The JSON writer itself holds: whatever figure is not finite is written
// as null, and the document stays whole.
func TestJSONWritesNonFiniteAsNull(t *testing.T) {
	t.Parallel()
	s := summarizeRecords(goldenRecords(), sloBounds{})
	inf, nan := math.Inf(1), math.NaN()
	s.OutputThroughput, s.Concurrency, s.TPS.Mean, s.TTFT.CI.meanHigh = inf, nan, inf, math.Inf(-1)
	s.Samples.TPS[0] = inf
	s.Metrics = &prom.Delta{URL: "http://h/metrics", Generated: prom.Figure{Status: prom.NotFinite}, Prompt: prom.Known(3), DecodeTPS: prom.Known(inf), TTFTMeanMs: prom.Known(nan)}
	s.Energy = &gpu.Report{Source: "nvidia-smi", GPUs: 1, Samples: 3, IdleW: nan, MeanW: 200, PeakW: inf, EnergyJ: 10, UtilPct: nan}
	var out bytes.Buffer
	if err := renderJSON(&out, &finishedRun{started: time.Unix(0, 0).UTC(), s: s}); err != nil {
		t.Fatalf("renderJSON: %v", err)
	}
	var m map[string]any
	decodeStrict(t, out.Bytes(), &m)
	tps := m["tps"].(map[string]any)
	energy := m["gpu_energy"].(map[string]any)
	for name, v := range map[string]any{"output_throughput_tok_s": m["output_throughput_tok_s"], "concurrency": m["concurrency"],
		"tps.mean": tps["mean"], "ttft_ms.ci95.mean_high": m["ttft_ms"].(map[string]any)["ci95"].(map[string]any)["mean_high"],
		"gpu_energy.idle_power_w": energy["idle_power_w"], "gpu_energy.peak_power_w": energy["peak_power_w"]} {
		if v != nil {
			t.Errorf("%s = %v; want null", name, v)
		}
	}
	if tps["median"] == nil || energy["mean_power_w"] != 200.0 || m["server_metrics"].(map[string]any)["prompt_tokens"] != 3.0 {
		t.Errorf("finite figures lost:\n%s", out.String())
	}
	if first := m["samples"].(map[string]any)["tps"].([]any)[0]; first != nil {
		t.Errorf("samples.tps[0] = %v; want null", first)
	}
	var back jsonSummary
	decodeStrict(t, out.Bytes(), &back)
	if len(back.Samples.TPS) != len(s.Samples.TPS)-1 || len(back.Samples.E2EMs) != len(s.Samples.E2EMs) {
		t.Errorf("samples read back: %d TPS, %d E2E; want the null left out of %d, all %d", len(back.Samples.TPS), len(back.Samples.E2EMs), len(s.Samples.TPS), len(s.Samples.E2EMs))
	}
}
