package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// post sends one chat request to a fresh simulator and returns the answer.
func post(t *testing.T, cfg Config, body string) (*http.Response, string, *Server) {
	t.Helper()
	s := New(cfg)
	srv := httptest.NewServer(s)
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b), s
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

// Each style reproduces the shape recorded from its real server (see
// ../../testdata/fixtures).
func TestStreamShapes(t *testing.T) {
	usage := `,"stream_options":{"include_usage":true}`
	tests := []struct {
		name         string
		style        Style
		extra        string
		events       int  // events before [DONE]
		roleEvery    bool // role on every content chunk (Ollama)
		roleOnlyHead bool // a role-only first chunk (OpenAI)
		usageLast    bool // the last event carries usage
		usageOwn     bool // ... as its own chunk with empty choices
		timings      bool // llama.cpp's timings on the finish chunk
	}{
		{"ollama without usage", StyleOllama, "", 4, true, false, false, false, false},
		{"ollama with usage", StyleOllama, usage, 5, true, false, true, true, false},
		{"llamacpp without asking", StyleLlamaCpp, "", 4, false, false, true, false, true},
		{"openai with usage", StyleOpenAI, usage, 6, false, true, true, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Style: tt.style}
			resp, body, _ := post(t, cfg, strings.Replace(streamReq, "%s", tt.extra, 1))
			if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
				t.Fatalf("Content-Type = %q", ct)
			}
			evs, done := events(t, body)
			if !done || len(evs) != tt.events {
				t.Fatalf("%d events, [DONE]=%v; want %d and [DONE]:\n%s", len(evs), done, tt.events, body)
			}
			first := 0
			if tt.roleOnlyHead {
				if d := evs[0].Choices[0].Delta; d["role"] != "assistant" || d["content"] != "" {
					t.Errorf("first chunk delta = %v; want role only", d)
				}
				first = 1
			}
			for i := first; i < first+3; i++ {
				d := evs[i].Choices[0].Delta
				if c, _ := d["content"].(string); c == "" {
					t.Errorf("chunk %d has no content: %v", i, d)
				}
				if _, has := d["role"]; has != tt.roleEvery {
					t.Errorf("chunk %d role present = %v; want %v", i, has, tt.roleEvery)
				}
			}
			finish := evs[first+3]
			if len(finish.Choices) != 1 || finish.Choices[0].FinishReason == nil || *finish.Choices[0].FinishReason != "length" {
				t.Errorf("finish chunk = %+v; want finish_reason length", finish)
			}
			last := evs[len(evs)-1]
			hasUsage := len(last.Usage) > 0 && string(last.Usage) != "null"
			if hasUsage != tt.usageLast || (tt.usageOwn && len(last.Choices) != 0) {
				t.Errorf("last event usage=%s choices=%d; want usage %v, own chunk %v", last.Usage, len(last.Choices), tt.usageLast, tt.usageOwn)
			}
			if hasUsage && !strings.Contains(string(last.Usage), `"completion_tokens":3`) {
				t.Errorf("usage = %s; want 3 completion tokens", last.Usage)
			}
			if (len(last.Timings) > 0) != tt.timings {
				t.Errorf("timings = %s; want present %v", last.Timings, tt.timings)
			}
		})
	}
}

func TestWholeAnswer(t *testing.T) {
	resp, body, _ := post(t, Config{OutputTokens: 2}, `{"model":"m","messages":[{"role":"user","content":"a b c"}],"max_tokens":5}`)
	var got struct {
		Choices []struct {
			Message      struct{ Role, Content string }
			FinishReason string `json:"finish_reason"`
		}
		Usage struct {
			PromptTokens     int `json:"prompt_tokens"`
			CompletionTokens int `json:"completion_tokens"`
		}
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil || resp.StatusCode != 200 {
		t.Fatalf("status %d, %v: %s", resp.StatusCode, err, body)
	}
	if got.Choices[0].Message.Content != " the of" || got.Choices[0].FinishReason != "stop" || got.Usage.CompletionTokens != 2 {
		t.Errorf("answer = %+v; want two words, finish stop, usage 2", got)
	}
}

func TestErrorsAndRoutes(t *testing.T) {
	s := New(Config{})
	srv := httptest.NewServer(s)
	defer srv.Close()
	for _, tt := range []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"POST", "/v1/chat/completions", `{"model":"m","messages":[`, 400, `"type":"invalid_request_error"`},
		{"POST", "/v1/chat/completions", `{"model":"m","messages":[]}`, 400, "messages must not be empty"},
		{"GET", "/v1/chat/completions", "", 405, "use POST"},
		{"POST", "/v1/chat/completion", "{}", 404, "no such path"},
		{"GET", "/v1/models", "", 200, `"object":"list"`},
	} {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.Contains(string(b), tt.want) {
			t.Errorf("%s %s: %d %s; want %d with %q", tt.method, tt.path, resp.StatusCode, b, tt.status, tt.want)
		}
	}
}

// The timeline keeps every token's write time, and the server never sends a
// token before it is due.
func TestTimeline(t *testing.T) {
	cfg := Config{TTFT: 20 * time.Millisecond, TokenRate: 500, Jitter: 0.5, Record: true, Seed: 3}
	_, _, s := post(t, cfg, strings.Replace(streamReq, "%s", "", 1))
	reqs := s.Requests()
	if len(reqs) != 1 || len(reqs[0].TokensSent) != 3 || reqs[0].Aborted {
		t.Fatalf("timeline = %+v; want one request with 3 tokens", reqs)
	}
	r := reqs[0]
	if ttft := r.TokensSent[0].Sub(r.Received); ttft < 10*time.Millisecond {
		t.Errorf("first token after %v; want at least TTFT*(1-jitter) = 10ms", ttft)
	}
	// Tokens are due on a schedule from Received, so each is at least the
	// smallest jittered TTFT plus the smallest jittered gaps after it.
	for i := 1; i < 3; i++ {
		if at, least := r.TokensSent[i].Sub(r.Received), 10*time.Millisecond+time.Duration(i)*time.Millisecond; at < least {
			t.Errorf("token %d after %v; want at least %v", i, at, least)
		}
	}
}

// A rate-limited request gets 429 with Retry-After, as real gateways send.
func TestRateLimitRetryAfter(t *testing.T) {
	cfg := Config{Faults: NoFaults(), TTFT: time.Second}
	cfg.Faults.MaxInFlight = 1
	s := New(cfg)
	srv := httptest.NewServer(s)
	defer srv.Close()
	body := `{"model":"m","messages":[{"role":"user","content":"a"}],"max_tokens":1}`
	first := make(chan struct{})
	go func() {
		defer close(first)
		resp, err := http.Post(srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
		if err == nil {
			resp.Body.Close()
		}
	}()
	for s.inFlight.Load() == 0 { // wait until the first request holds the only slot
		time.Sleep(time.Millisecond)
	}
	resp, err := http.Post(srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" {
		t.Errorf("status %d, Retry-After %q; want 429 and 1", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	<-first
}
