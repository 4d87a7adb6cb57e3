package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/tpsbench/tpsbench/sim"
)

// benchmark runs one configured benchmark and prints its report to stdout.
func benchmark(ctx context.Context, cfg *config, stdout io.Writer) error {
	counter, err := newTiktokenCounter(cfg.encoding)
	if err != nil {
		return usagef("-encoding: %v", err)
	}
	if cfg.sim {
		running, err := sim.New(cfg.simConfig).Listen("127.0.0.1:0")
		if err != nil {
			return err
		}
		defer running.Close()
		cfg.baseURL = running.BaseURL
	}
	writeHeader(stdout, cfg)

	client := newClient(cfg, counter)
	defer client.http.CloseIdleConnections()
	records, sent, err := runClosedLoop(ctx, cfg, client)
	if err != nil {
		return err
	}
	if reason, ok := unreachable(records); ok {
		return fmt.Errorf("cannot reach %s: %s; is the server running?", redactURL(cfg.baseURL), reason)
	}
	s := summarizeRecords(records)
	s.Sent = sent
	writeText(stdout, s)
	if ctx.Err() != nil {
		fmt.Fprintln(stdout, "Interrupted: the run was stopped before all requests were sent.")
	}
	if s.Failed > 0 || s.Cancelled > 0 || ctx.Err() != nil || s.Sent != s.Total {
		return errFailed
	}
	return nil
}

// unreachable reports whether no request got through because none could
// connect, and why.
func unreachable(records []Record) (string, bool) {
	reason := ""
	for _, r := range records {
		switch r.FailKind {
		case failConnect:
			if reason == "" {
				reason = r.Err
			}
		case failCancelled:
		default:
			return "", false
		}
	}
	return reason, reason != ""
}

// newClient builds the one Client of a run, its pool sized to the threads.
func newClient(cfg *config, counter tokenCounter) *Client {
	return &Client{
		http:          &http.Client{Transport: newTransport(cfg.threads, cfg.insecure), CheckRedirect: noRedirects},
		endpoint:      strings.TrimRight(cfg.baseURL, "/") + "/chat/completions",
		apiKey:        cfg.apiKey,
		timeout:       cfg.timeoutDuration(),
		stream:        cfg.stream,
		forceTiktoken: cfg.forceTiktoken,
		counter:       counter,
		start:         time.Now(),
		now:           time.Now,
	}
}
