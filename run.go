package main

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
)

// errUnreachable stops a run whose very first requests cannot connect.
var errUnreachable = errors.New("endpoint unreachable")

// runClosedLoop runs cfg.threads workers that each send their next request
// as soon as the last one ended, until cfg.total() requests were sent or ctx
// ends. Workers claim request numbers from one counter, so exactly total
// requests are sent whatever the thread count. Every request sent yields
// exactly one Record.
//
// When a request cannot connect at all before any request succeeded, the
// run stops sending: forty "connection refused" say no more than one.
// It returns the records and how many requests were sent, for the report to
// check that every request sent was recorded.
func runClosedLoop(ctx context.Context, cfg *config, client *Client) ([]Record, int, error) {
	ctx, abort := context.WithCancelCause(ctx)
	defer abort(nil)

	total := cfg.total()
	var claimed, succeeded, sent atomic.Int64
	// Room for many records, so workers never wait on the collector, which
	// settles token counts.
	results := make(chan Record, min(total, 4096)+cfg.threads)
	var wg sync.WaitGroup
	var bodyErr error
	var bodyErrOnce sync.Once
	for range cfg.threads {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(claimed.Add(1) - 1)
				if i >= total {
					return
				}
				body, err := buildBody(cfg, userPrompt(cfg.prompt))
				if err != nil {
					bodyErrOnce.Do(func() { bodyErr = err })
					abort(err)
					return
				}
				sent.Add(1)
				rec := client.Do(ctx, i, body)
				if rec.FailKind == "" {
					succeeded.Add(1)
				} else if rec.FailKind == failConnect && succeeded.Load() == 0 {
					abort(errUnreachable)
				}
				results <- rec
			}
		})
	}
	go func() {
		wg.Wait()
		close(results)
	}()

	records := make([]Record, 0, total)
	for rec := range results {
		client.settle(&rec)
		records = append(records, rec)
	}
	if bodyErr != nil {
		return records, int(sent.Load()), bodyErr
	}
	return records, int(sent.Load()), nil
}

// userPrompt appends a random number to the prompt, as the original script
// did, so no two requests are the same.
func userPrompt(prompt string) string {
	return prompt + " " + strconv.FormatUint(rand.Uint64N(1_000_000_000), 10)
}
