package main

import (
	"io"
	"log"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// expectProbe runs tpsbench probe and reports each check in wants (check
// -> the start of its result) that its table does not show.
func expectProbe(t *testing.T, wants map[string]string, args ...string) {
	t.Helper()
	out, _ := runExpect(t, 0, append([]string{"probe"}, args...)...)
	rows := tableRows(out)
	for check, want := range wants {
		if !strings.HasPrefix(rows[check], want) {
			t.Errorf("%s = %q; want it to start %q (table %q)", check, rows[check], want, rows)
		}
	}
}

// tableRows reads the probe's table, after its title line, as check -> the
// rest of the line.
func tableRows(out string) map[string]string {
	rows := map[string]string{}
	for _, line := range strings.Split(out, "\n")[1:] {
		fields := strings.SplitN(strings.TrimSpace(line), "  ", 2)
		if len(fields) == 2 {
			rows[fields[0]] = strings.TrimSpace(fields[1])
		}
	}
	return rows
}

// The probe tells apart every server behaviour the simulator can mimic.
func TestProbeAgainstSimulator(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		args  []string
		wants map[string]string // check -> start of its result
	}{
		{"ollama shape", nil, map[string]string{
			"usage (streamed)": "on its own chunk with empty choices", "first chunk": "carries a token",
			"max_completion_tokens": "ignored", "unknown model names": "accepted", "tokens per chunk": "1.0",
			"[DONE]": "sent", "Prometheus /metrics": "none", "max_tokens": "honoured",
		}},
		{"llama.cpp shape", []string{"--sim-style", "llamacpp", "--sim-metrics"}, map[string]string{
			"usage (streamed)": "on the finish chunk", "server timings": "llama.cpp's timings object", "Prometheus /metrics": "found at http://127.0.0.1:",
		}},
		{"openai shape", []string{"--sim-style", "openai", "--sim-honour-max-completion-tokens", "--sim-models", "llama3.1:8b"}, map[string]string{
			"first chunk": "role only", "max_completion_tokens": "honoured", "unknown model names": "rejected (HTTP 404)", "model listed": "yes",
		}},
		{"no usage", []string{"--sim-no-usage"}, map[string]string{"usage (streamed)": "missing", "usage (not streamed)": "missing"}},
		{"several tokens per chunk", []string{"--sim-tokens-per-chunk", "4"}, map[string]string{"tokens per chunk": "4.0 (8 tokens in 2 chunks)"}},
		{"wrong model", []string{"--model", "qwen", "--sim-models", "llama3.1:8b"}, map[string]string{"model listed": "no: the server lists llama3.1:8b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			expectProbe(t, tt.wants, withSim(fastSim, tt.args...)...)
		})
	}
}

// The probe against llama.cpp's server and Ollama, replayed from recorded
// responses: each server's recording of the same requests, and what is
// only one server's (llama.cpp's /metrics, Ollama's /api/version).
func TestProbeAgainstRecordedServers(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		server string // the prefix of its fixtures
		extra  map[string]string
		wants  map[string]string
	}{
		{"llamacpp", map[string]string{"GET /metrics": "llamacpp-x-metrics.http"}, map[string]string{
			"unknown model names": "accepted (HTTP 200)", "usage (streamed)": "on the finish chunk",
			"server timings": "llama.cpp's timings object", "Prometheus /metrics": "found at",
			"max_completion_tokens": "ignored", "tokens per chunk": "1.0 (16 tokens in 16 chunks)",
		}},
		{"ollama", map[string]string{"GET /api/version": "ollama-api-version.http"}, map[string]string{
			"model listed": "yes", "unknown model names": "rejected (HTTP 404)", "usage (streamed)": "on its own chunk with empty choices",
			"first chunk": "carries a token", "Ollama": "version 0.24.0", "Prometheus /metrics": "none", "max_tokens": "honoured (asked 4, got 1)",
		}},
	} {
		t.Run(tt.server, func(t *testing.T) {
			t.Parallel()
			routes := map[string]string{
				"GET /v1/models":                    tt.server + "-models.http",
				"POST /v1/chat/completions unknown": tt.server + "-d-unknown-model.http",
				"POST /v1/chat/completions":         tt.server + "-f-max-tokens-1-nonstream.http",
				"POST /v1/chat/completions stream":  tt.server + "-c-stream-include-usage.http",
			}
			maps.Copy(routes, tt.extra)
			expectProbe(t, tt.wants, "--base-url", fixtureServer(t, routes), "--model", "tiny", "--json", testPath(t, "p.json"))
		})
	}
}

// The probe prints servers' messages; an echoed API key is redacted there too.
func TestProbeRedactsKey(t *testing.T) {
	t.Parallel()
	const key = "sk-probe-secret-999"
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		io.WriteString(w, `{"error":{"message":"Incorrect API key provided: `+strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")+`"}}`)
	})
	out, errOut := runExpect(t, 0, "probe", "--base-url", url, "--api-key", key)
	if strings.Contains(out+errOut, key) || !strings.Contains(out, "[redacted]") {
		t.Errorf("probe output:\n%s%s", out, errOut)
	}
}

// The probe decodes chunks as the benchmark does: Ollama's "thinking" and a
// tool call are tokens, and the reasoning field is named.
func TestProbeCountsThinkingAndToolCalls(t *testing.T) {
	t.Parallel()
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !strings.Contains(string(body), `"stream":true`) {
			io.WriteString(w, `{"choices":[{"message":{"thinking":"hm"}}],"usage":{"completion_tokens":1}}`)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, `data: {"choices":[{"delta":{"role":"assistant","thinking":"hm"}}]}`+"\n\n"+
			`data: {"choices":[{"delta":{"thinking":" ok"}}]}`+"\n\n"+
			`data: {"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"name":"f"}}]},"finish_reason":"tool_calls"}]}`+"\n\n"+
			`data: {"choices":[],"usage":{"completion_tokens":3}}`+"\n\ndata: [DONE]\n\n")
	})
	expectProbe(t, map[string]string{
		"first chunk": "carries a token", "reasoning field": "thinking", "tokens per chunk": "1.0 (3 tokens in 3 chunks)",
		"usage (streamed)": "on its own chunk", "usage (not streamed)": "reported", "[DONE]": "sent",
	}, "--base-url", url)
}

// The probe words its failures as the benchmark does: the bound that ran
// out, an accepted connection that did not answer, an untrusted
// certificate with its --insecure; never Go's own words.
func TestProbeFailuresWorded(t *testing.T) {
	t.Parallel()
	stalled, _ := stallServer(t, nil)
	_, errOut := runExpect(t, 1, "probe", "--base-url", stalled+"/v1", "--timeout", "0.2")
	if want := "tpsbench: GET " + stalled + "/v1/models: no answer within 200ms\n"; errOut != want {
		t.Errorf("GET /models stalls: stderr %q; want %q", errOut, want)
	}

	tlsServer := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	tlsServer.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are expected
	tlsServer.StartTLS()
	t.Cleanup(tlsServer.Close)
	_, errOut = runExpect(t, 1, "probe", "--base-url", tlsServer.URL+"/v1")
	if want := "tpsbench: TLS with " + tlsServer.URL + "/v1 failed: certificate not trusted: "; !strings.HasPrefix(errOut, want) ||
		!strings.HasSuffix(errOut, " (--insecure skips the check)\n") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("self-signed certificate: stderr %q; want one line naming TLS and --insecure", errOut)
	}

	answers, _ := stallServer(t, map[string]string{"GET /v1/models": `{"data":[{"id":"m"}]}`})
	expectProbe(t, map[string]string{
		"answer (not streamed)": "failed: no answer within 200ms", "stream": "failed: no answer within 200ms",
	}, "--base-url", answers+"/v1", "--model", "m", "--timeout", "0.2")
}

// A redirect is shown with where it pointed (its query's values hidden),
// and is no verdict on unknown model names.
func TestProbeShowsRedirect(t *testing.T) {
	t.Parallel()
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://elsewhere.example/v1/chat/completions?key=sk-hidden", http.StatusFound)
	})
	where := "HTTP 302: redirected to https://elsewhere.example/v1/chat/completions?key=[redacted] (not followed: use it as --base-url)"
	out, _ := runExpect(t, 0, "probe", "--base-url", url)
	rows := tableRows(out)
	for check, want := range map[string]string{"answer (not streamed)": where, "stream": "failed: " + where} {
		if !strings.HasPrefix(rows[check], want) {
			t.Errorf("%s = %q; want it to start %q", check, rows[check], want)
		}
	}
	if got := rows["unknown model names"]; strings.HasPrefix(got, "rejected") || strings.HasPrefix(got, "accepted") {
		t.Errorf("unknown model names = %q after a redirect; want no verdict", got)
	}
	if strings.Contains(out, "sk-hidden") {
		t.Errorf("the redirect's query is shown:\n%s", out)
	}
}
