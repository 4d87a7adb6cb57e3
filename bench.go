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

// benchmark runs one configured benchmark (warm-up, then one load shape or
// a sweep of them) and prints its report to stdout.
func benchmark(ctx context.Context, cfg *config, stdout io.Writer) error {
	counter, err := newTiktokenCounter(cfg.encoding)
	if err != nil {
		return usagef("-encoding: %v", err)
	}
	prompts, promptsDesc, err := newPrompts(cfg, counter)
	if err != nil {
		return &usageError{msg: err.Error()}
	}
	if cfg.sim {
		running, err := sim.New(cfg.simConfig).Listen("127.0.0.1:0")
		if err != nil {
			return err
		}
		defer running.Close()
		cfg.baseURL = running.BaseURL
	}
	writeHeader(stdout, cfg, promptsDesc)

	client := newClient(cfg, counter)
	defer client.http.CloseIdleConnections()
	r := &runner{client: client, body: func(i int) ([]byte, error) { return buildBody(cfg, prompts(i)) }}

	if cfg.load.warmup > 0 {
		warm := phase{threads: min(cfg.threads, cfg.load.warmup), total: cfg.load.warmup, warmup: true, firstIndex: 1 << 40}
		records, _, err := r.run(ctx, warm)
		if err != nil {
			return err
		}
		if reason, ok := unreachable(records); ok {
			return fmt.Errorf("cannot reach %s: %s; is the server running?", redactURL(cfg.baseURL), reason)
		}
		ok := 0
		for _, rec := range records {
			if rec.OK {
				ok++
			}
		}
		fmt.Fprintf(stdout, "Warm-up: %d requests sent first (%d ok / %d failed), left out of every figure\n", len(records), ok, len(records)-ok)
	}
	if cfg.load.sweeping() {
		return sweep(ctx, cfg, r, stdout)
	}

	records, sent, err := r.run(ctx, measuredPhase(cfg, cfg.threads, cfg.load.rate))
	if err != nil {
		return err
	}
	if reason, ok := unreachable(records); ok {
		return fmt.Errorf("cannot reach %s: %s; is the server running?", redactURL(cfg.baseURL), reason)
	}
	s := summarizeRecords(records, cfg.load.slo)
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

// measuredPhase is the load shape of one run or sweep level.
func measuredPhase(cfg *config, threads int, rate float64) phase {
	return phase{
		threads:     threads,
		total:       cfg.totalFor(threads),
		duration:    cfg.load.duration,
		rate:        rate,
		burstiness:  cfg.load.burstiness,
		maxInFlight: cfg.load.maxConcurrency,
		seed:        cfg.load.seed,
	}
}

// newPrompts picks the prompt source and says what it is for the header.
func newPrompts(cfg *config, counter tokenCounter) (promptSource, string, error) {
	l := &cfg.load
	switch {
	case l.promptsFile != "":
		pf, err := readPromptFile(l.promptsFile, cfg.system)
		if err != nil {
			return nil, "", err
		}
		order := "in order"
		if l.seedSet {
			order = "shuffled by -seed"
		}
		return pf.source(l.seedSet, l.seed), fmt.Sprintf("%d from %s, %s", len(pf.prompts), l.promptsFile, order), nil
	case l.inputTokens > 0:
		src, err := syntheticPrompts(cfg.system, l.inputTokens, l.inputTokensStddev, l.prefixTokens, l.seed, counter)
		if err != nil {
			return nil, "", err
		}
		desc := fmt.Sprintf("synthetic, %d tokens (%s)", l.inputTokens, cfg.encoding)
		if l.inputTokensStddev > 0 {
			desc += fmt.Sprintf(" +- %d", l.inputTokensStddev)
		}
		if l.prefixTokens > 0 {
			desc += fmt.Sprintf(", the first %d shared by all", l.prefixTokens)
		} else {
			desc += ", each different from its first token"
		}
		return src, desc, nil
	}
	return fixedPrompts(cfg.system, cfg.prompt, cfg.load.seed), "", nil
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
	pool := cfg.threads
	if cfg.load.maxConcurrency > 0 {
		pool = max(pool, cfg.load.maxConcurrency)
	}
	return &Client{
		http:          &http.Client{Transport: newTransport(pool, cfg.insecure), CheckRedirect: noRedirects},
		endpoint:      strings.TrimRight(cfg.baseURL, "/") + "/" + apiPath(cfg.load.api),
		apiKey:        cfg.apiKey,
		headers:       cfg.load.headers,
		timeout:       cfg.timeoutDuration(),
		stream:        cfg.stream,
		forceTiktoken: cfg.forceTiktoken,
		counter:       counter,
		start:         time.Now(),
		now:           time.Now,
	}
}

func apiPath(api string) string {
	if api == apiCompletions {
		return "completions"
	}
	return "chat/completions"
}
