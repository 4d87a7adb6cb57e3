package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/tpsbench/tpsbench/internal/prom"
)

// Servers that export Prometheus metrics (vLLM, SGLang, llama.cpp's server,
// TGI) count what they did. tpsbench scrapes them before and after a run
// and reports the changes, beside its own figures: they count all of the
// server's traffic, not only tpsbench's.

// scrapeMetrics fetches and parses one snapshot.
// It is bounded by the run's --timeout, and by ctx (an interrupt). Its
// error is one line fit to show: it may quote the server (a metric's name).
func scrapeMetrics(ctx context.Context, c *Client, url string) (prom.Snapshot, error) {
	resp, err := c.call(ctx, c.timeout, http.MethodGet, url, nil, c.auxHeader)
	if err != nil {
		return nil, fmt.Errorf("scraping %s: %w", redactURL(url), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scraping %s: HTTP %d", redactURL(url), resp.StatusCode)
	}
	snap, err := prom.Parse(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, errors.New(c.message(fmt.Sprintf("scraping %s: %v", redactURL(url), err)))
	}
	return snap, nil
}
