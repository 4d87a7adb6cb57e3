package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// post sends one chat request to a fresh simulator and returns the answer.
func post(t *testing.T, cfg Config, body string) (*http.Response, string, *Server) {
	t.Helper()
	s := New(cfg)
	srv := httptest.NewServer(s)
	defer srv.Close()
	resp, answer := send(t, srv, "/v1/chat/completions", body)
	return resp, answer, s
}

// send posts body to path on srv and returns the response and its body,
// read whole.
func send(t *testing.T, srv *httptest.Server, path, body string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

type event struct {
	Choices []struct {
		Delta        map[string]any `json:"delta"`
		FinishReason *string        `json:"finish_reason"`
	} `json:"choices"`
	Usage   json.RawMessage `json:"usage"`
	Timings json.RawMessage `json:"timings"`
}

// events splits an SSE body on blank lines, as the fixtures show servers
// frame it, and decodes each data line.
func events(t *testing.T, body string) (evs []event, done bool) {
	t.Helper()
	for _, block := range strings.Split(strings.TrimSpace(body), "\n\n") {
		data, ok := strings.CutPrefix(block, "data: ")
		if !ok {
			t.Fatalf("block %q is not one data line", block)
		}
		if data == "[DONE]" {
			done = true
			continue
		}
		var ev event
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatalf("event %q: %v", data, err)
		}
		evs = append(evs, ev)
	}
	return evs, done
}

const streamReq = `{"model":"m","messages":[{"role":"user","content":"Say hello."}],"max_tokens":3,"stream":true%s}`
