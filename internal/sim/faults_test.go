package sim

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A rate-limited request gets 429 with Retry-After, as real gateways send.
func TestRateLimitRetryAfter(t *testing.T) {
	t.Parallel()
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
	resp, _ := send(t, srv, "/v1/chat/completions", body)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" {
		t.Errorf("status %d, Retry-After %q; want 429 and 1", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	<-first
}
