package sim

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Requests are read and checked before any answer is planned: a refused
// request takes no number, so the next accepted one is chatcmpl-sim-1.
func TestReadChat(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(New(Config{Models: []string{"m"}}))
	defer srv.Close()
	for _, tt := range []struct {
		path, body string
		status     int
		want       string
	}{
		{"/v1/completions", `{"model":"m"}`, 400, "prompt is required"},
		{"/v1/chat/completions", `{"model":"x","messages":[{"role":"user","content":"a"}]}`, 404, `model 'x' not found`},
		{"/v1/completions", `{"model":"x","prompt":"a"}`, 404, `model 'x' not found`},
		{"/api/chat", `{"model":"m","messages":[]}`, 200, `"done_reason":"load","done":true`},
		{"/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"a"}],"max_tokens":1}`, 200, `"id":"chatcmpl-sim-1"`},
		{"/v1/completions", `{"model":"m","prompt":"a b","max_tokens":1}`, 200, `"id":"chatcmpl-sim-2","object":"text_completion"`},
	} {
		resp, body := send(t, srv, tt.path, tt.body)
		if resp.StatusCode != tt.status || !strings.Contains(body, tt.want) {
			t.Errorf("%s %s: %d %s; want %d with %q", tt.path, tt.body, resp.StatusCode, body, tt.status, tt.want)
		}
	}
}

// The answer's length comes from max_tokens, Ollama's num_predict on the
// native API, max_completion_tokens only when honoured, and is capped by
// OutputTokens.
func TestPlanLength(t *testing.T) {
	t.Parallel()
	msg := `"model":"m","messages":[{"role":"user","content":"a"}]`
	for _, tt := range []struct {
		name, path, body string
		cfg              Config
		want             int
	}{
		{"default", "/v1/chat/completions", `{` + msg + `}`, Config{MaxTokens: 3}, 3},
		{"max_tokens", "/v1/chat/completions", `{` + msg + `,"max_tokens":2}`, Config{MaxTokens: 3}, 2},
		{"max_completion_tokens ignored", "/v1/chat/completions", `{` + msg + `,"max_completion_tokens":2}`, Config{MaxTokens: 3}, 3},
		{"max_completion_tokens honoured", "/v1/chat/completions", `{` + msg + `,"max_completion_tokens":2}`, Config{MaxTokens: 3, HonourMaxCompletionTokens: true}, 2},
		{"num_predict", "/api/chat", `{` + msg + `,"stream":false,"options":{"num_predict":4}}`, Config{MaxTokens: 3}, 4},
		{"output tokens", "/v1/chat/completions", `{` + msg + `,"max_tokens":5}`, Config{OutputTokens: 1}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(New(tt.cfg))
			defer srv.Close()
			resp, body := send(t, srv, tt.path, tt.body)
			var got struct {
				Usage struct {
					CompletionTokens int `json:"completion_tokens"`
				}
				EvalCount int `json:"eval_count"`
			}
			if err := json.Unmarshal([]byte(body), &got); err != nil || resp.StatusCode != 200 {
				t.Fatalf("status %d, %v: %s", resp.StatusCode, err, body)
			}
			if n := max(got.Usage.CompletionTokens, got.EvalCount); n != tt.want {
				t.Errorf("%d tokens; want %d: %s", n, tt.want, body)
			}
		})
	}
}

// With one slot, a second request waits silently and its clock starts only
// when it has the slot; a third, past MaxQueue, is told the server is busy,
// as Ollama does.
func TestQueue(t *testing.T) {
	t.Parallel()
	s := New(Config{Parallel: 1, MaxQueue: 1, TTFT: time.Hour, Record: true})
	srv := httptest.NewServer(s)
	defer srv.Close()
	body := `{"model":"m","messages":[{"role":"user","content":"a"}],"max_tokens":1,"stream":true}`
	start := func() (cancel func()) {
		ctx, cancel := context.WithCancel(context.Background())
		req, err := http.NewRequestWithContext(ctx, "POST", srv.URL+"/v1/chat/completions", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
		return cancel
	}
	waitFor := func(what string, done func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !done(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting until %s", what)
			}
		}
	}
	cancel1 := start()
	waitFor("the first request holds the slot", func() bool { return len(s.slots) == 1 })
	cancel2 := start()
	defer cancel2()
	waitFor("the second request waits", func() bool { return s.waiting.Load() == 1 })
	resp, b := send(t, srv, "/v1/chat/completions", body)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(b, "server busy") {
		t.Errorf("third request: %d %s; want 503 server busy", resp.StatusCode, b)
	}
	freed := time.Now()
	cancel1()
	waitFor("the second request has the slot", func() bool { return s.waiting.Load() == 0 && len(s.Requests()) == 1 })
	cancel2()
	waitFor("both requests ended", func() bool { return len(s.Requests()) == 2 })
	reqs := s.Requests()
	if reqs[1].ID != "chatcmpl-sim-2" || !reqs[1].Aborted {
		t.Fatalf("timeline = %+v; want the second request last, aborted", reqs)
	}
	if reqs[1].Received.Before(freed) {
		t.Errorf("queued request's clock started at %v, before the slot was freed at %v", reqs[1].Received, freed)
	}
}
