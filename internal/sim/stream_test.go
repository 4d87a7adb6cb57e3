package sim

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Each style reproduces the shape recorded from its real server (see
// ../../testdata/fixtures).
func TestStreamShapes(t *testing.T) {
	t.Parallel()
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
			t.Parallel()
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

// The timeline keeps every token's write time, and the server never sends a
// token before it is due.
func TestTimeline(t *testing.T) {
	t.Parallel()
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

// A chunk of several tokens goes out when its last token is due, as from a
// real server that sends what it has generated: token i is due at TTFT +
// i/rate, so the answer ends at the same time however it is chunked, and the
// simulator's record says when each chunk went and how many tokens it held.
// The server's own timings count every token's interval.
func TestChunksSentWhenLastTokenDue(t *testing.T) {
	t.Parallel()
	const (
		ttft = 10 * time.Millisecond
		rate = 100 // a token every 10 ms
		gap  = time.Second / rate
	)
	tests := []struct {
		name      string
		perChunk  int
		tokens    int
		wantSizes []int
	}{
		{"one token a chunk", 1, 12, []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
		{"4 tokens a chunk", 4, 12, []int{4, 4, 4}},
		{"a shorter last chunk", 4, 10, []int{4, 4, 2}},
		{"one chunk of all", 16, 12, []int{12}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := Config{TTFT: ttft, TokenRate: rate, TokensPerChunk: tt.perChunk, Style: StyleLlamaCpp, Record: true}
			body := `{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":` + strconv.Itoa(tt.tokens) + `,"stream":true}`
			_, answer, s := post(t, cfg, body)
			reqs := s.Requests()
			if len(reqs) != 1 || reqs[0].Aborted {
				t.Fatalf("timeline = %+v; want one whole answer", reqs)
			}
			r := reqs[0]
			if !slices.Equal(r.ChunkTokens, tt.wantSizes) || len(r.TokensSent) != len(tt.wantSizes) {
				t.Fatalf("%d writes of %v tokens; want %v", len(r.TokensSent), r.ChunkTokens, tt.wantSizes)
			}
			last := -1
			for j, n := range r.ChunkTokens {
				last += n
				due := ttft + time.Duration(last)*gap
				if at := r.TokensSent[j].Sub(r.Received); at < due || at > due+100*time.Millisecond {
					t.Errorf("chunk %d (tokens to %d) sent after %v; want when its last token was due, %v", j, last, at, due)
				}
			}
			evs, _ := events(t, answer)
			var timings struct {
				PredictedMs float64 `json:"predicted_ms"`
			}
			if err := json.Unmarshal(evs[len(evs)-1].Timings, &timings); err != nil {
				t.Fatalf("timings %s: %v", evs[len(evs)-1].Timings, err)
			}
			if want := float64(tt.tokens) * float64(gap) / 1e6; timings.PredictedMs < 0.9*want || timings.PredictedMs > 1.5*want {
				t.Errorf("predicted_ms %.1f; want about %.1f, a token interval per token", timings.PredictedMs, want)
			}
		})
	}
}
