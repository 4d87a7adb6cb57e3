package main

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The calls around a run (probe, preflight, fingerprint, metrics) word their
// failures as the benchmark's requests do, in the user's words: the bound
// that ran out, an interrupt, an untrusted certificate; never Go's.
func TestCallFailuresWorded(t *testing.T) {
	t.Parallel()
	stalled, _ := stallServer(t, nil)
	slowBody := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "# TYPE a counter\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(slowBody.Close)
	tlsServer := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	tlsServer.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are expected
	tlsServer.StartTLS()
	t.Cleanup(tlsServer.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	interrupted, cancel := context.WithCancel(t.Context())
	cancel()

	scrape := func(ctx context.Context, c *Client, url string) error {
		_, err := scrapeMetrics(ctx, c, url)
		return err
	}
	getJSON := func(ctx context.Context, c *Client, url string) error { return c.GetJSON(ctx, url, new(any)) }
	postJSON := func(ctx context.Context, c *Client, url string) error {
		return c.PostJSON(ctx, url, map[string]any{}, nil)
	}
	tests := []struct {
		name string
		ctx  context.Context
		call func(context.Context, *Client, string) error
		url  string
		want string // the whole message, or its start and end around "..."
	}{
		{"scrape, no answer", t.Context(), scrape, stalled + "/metrics", "scraping " + stalled + "/metrics: no answer within 200ms"},
		{"scrape, body stalls", t.Context(), scrape, slowBody.URL + "/metrics", "scraping " + slowBody.URL + "/metrics: timeout after 200ms"},
		{"scrape, interrupted", interrupted, scrape, stalled + "/metrics", "scraping " + stalled + "/metrics: interrupted"},
		{"scrape, refused", t.Context(), scrape, closed + "/metrics", "scraping " + closed + "/metrics: connection refused"},
		{"get, no answer", t.Context(), getJSON, stalled + "/props", "no answer within 200ms"},
		{"get, untrusted", t.Context(), getJSON, tlsServer.URL + "/props", "TLS certificate not trusted: ... (--insecure skips the check)"},
		{"post, interrupted", interrupted, postJSON, stalled + "/api/chat", "interrupted"},
		{"post, no answer", t.Context(), postJSON, stalled + "/api/chat", "no answer within 200ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(clientSpec{baseURL: tt.url, timeout: 200 * time.Millisecond})
			err := tt.call(tt.ctx, c, tt.url)
			head, tail, cut := strings.Cut(tt.want, "...")
			if err == nil || !cut && err.Error() != tt.want || cut && (!strings.HasPrefix(err.Error(), head) || !strings.HasSuffix(err.Error(), tail)) {
				t.Errorf("error %v; want %q", err, tt.want)
			}
		})
	}
}
