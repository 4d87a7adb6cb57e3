package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
)

// Beside the server's decode rate, the client's says why it is missing: a
// streamed run whose answers came in one chunk is not "not streamed".
func TestServerSideSaysWhyClientFigureMissing(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		streamed bool
		want     string
	}{
		{false, "(client decode TPS median=n/a (not streamed))"},
		{true, "(client decode TPS median=n/a (needs 2+ tokens arriving apart))"},
	} {
		s := Summary{ServerAnswers: 2, Streamed: tt.streamed, ServerDecodeTPS: Dist{N: 2, Mean: 40, Median: 40}}
		var b strings.Builder
		writeServerSide(&b, s)
		if !strings.Contains(b.String(), tt.want) {
			t.Errorf("streamed %v:\n%s\nwant %q", tt.streamed, b.String(), tt.want)
		}
	}
}

// A server's counter can change by +Inf, NaN, a negative amount or 1e308:
// each such figure is shown as n/a with the reason (null in the JSON, with a
// note), never left out as if the server did not export it, and never
// printed as hundreds of digits.
func TestServerMetricsOddFiguresShown(t *testing.T) {
	t.Parallel()
	var scrapes atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/metrics":
			if scrapes.Add(1) == 1 {
				io.WriteString(w, "vllm:generation_tokens_total 1\nvllm:prompt_tokens_total 10\nvllm:request_success_total 0\n"+
					"vllm:time_to_first_token_seconds_sum 0\nvllm:time_to_first_token_seconds_count 0\n"+
					"vllm:request_queue_time_seconds_sum 0\nvllm:request_queue_time_seconds_count 0\n")
				return
			}
			io.WriteString(w, "vllm:generation_tokens_total +Inf\nvllm:prompt_tokens_total 1e308\nvllm:request_success_total NaN\n"+
				"vllm:time_to_first_token_seconds_sum 0.4\nvllm:time_to_first_token_seconds_count 4\n"+
				"vllm:request_queue_time_seconds_sum -1\nvllm:request_queue_time_seconds_count 4\n")
		case r.Method == http.MethodPost:
			io.WriteString(w, `{"choices":[{"message":{"content":"hi"},"finish_reason":"stop"}],"usage":{"completion_tokens":2}}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	path := testPath(t, "run.json")
	out, _ := runExpect(t, 0, "2", "--requests", "4", "--base-url", srv.URL+"/v1", "--metrics-url", srv.URL+"/metrics", "--json", path)
	expectText(t, out,
		"    generated tokens: n/a (not a finite number; client counted 8)\n",
		"    prompt tokens: n/a (absurd: 1e+308)\n",
		"    requests: n/a (not a finite number; client: 4 ok)\n",
		"    TTFT mean: 100.00 ms",
		"    queue time mean: n/a (absurd: -250)\n")
	if strings.Contains(out, "0000000000") {
		t.Errorf("a figure printed with hundreds of digits:\n%s", out)
	}
	var doc map[string]any
	readJSON(t, path, &doc)
	m, _ := doc["server_metrics"].(map[string]any)
	for _, key := range []string{"generated_tokens", "prompt_tokens", "requests", "queue_mean_ms"} {
		if v, present := m[key]; !present || v != nil {
			t.Errorf("server_metrics.%s = %v (present %v); want null", key, v, present)
		}
	}
	wantNotes := []any{"generated_tokens: not a finite number", "prompt_tokens: absurd (1e+308)", "requests: not a finite number", "queue_mean_ms: absurd (-250)"}
	if m["ttft_mean_ms"] != 100.0 || !reflect.DeepEqual(m["notes"], wantNotes) {
		t.Errorf("server_metrics = %v; want ttft_mean_ms 100 and notes %v", m, wantNotes)
	}
}
