package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// scrapeMetrics fetches and parses a server's /metrics (the parsing is
// tested in internal/prom); a failed scrape names the URL, redacted.
func TestScrapeMetrics(t *testing.T) {
	t.Parallel()
	root := strings.TrimSuffix(fixtureServer(t, map[string]string{"GET /metrics": "llamacpp-x-metrics.http"}), "/v1")
	c := newClient(clientSpec{baseURL: root + "/v1", timeout: 10 * time.Second})
	snap, err := scrapeMetrics(context.Background(), c, root+"/metrics")
	if err != nil || snap["llamacpp:tokens_predicted_total"] != 8474 || len(snap) != 12 {
		t.Errorf("scraped %v, %v", snap, err)
	}
	withUser := strings.Replace(root, "http://", "http://user:s3cret@", 1) + "/nothing"
	_, err = scrapeMetrics(context.Background(), c, withUser)
	if want := "scraping " + strings.Replace(root, "http://", "http://user:xxxxx@", 1) + "/nothing: HTTP 404"; err == nil || err.Error() != want {
		t.Errorf("error %v; want %q", err, want)
	}
}
