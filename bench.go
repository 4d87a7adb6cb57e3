package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/tpsbench/tpsbench/internal/gpu"
	"github.com/tpsbench/tpsbench/internal/host"
	"github.com/tpsbench/tpsbench/internal/prom"
	"github.com/tpsbench/tpsbench/sim"
)

// benchmark runs one configured benchmark (warm-up, then one load shape or
// a sweep of them), prints its report and writes the files asked for.
//
// ctx ending (the first Ctrl-C) stops sending; requests in flight then get
// -grace to finish before they are cancelled, and the report covers
// everything that finished.
func benchmark(ctx context.Context, cfg *config, stdout, stderr io.Writer) error {
	if models := strings.Split(cfg.model, ","); len(models) > 1 {
		return benchmarkModels(ctx, cfg, models, stdout, stderr)
	}
	_, err := benchmarkOne(ctx, cfg, stdout, stderr)
	return err
}

// benchmarkOne runs the benchmark of one model and returns its summary.
func benchmarkOne(ctx context.Context, cfg *config, stdout, stderr io.Writer) (Summary, error) {
	var s Summary
	counter, err := newTiktokenCounter(cfg.encoding)
	if err != nil {
		return s, usagef("-encoding: %v", err)
	}
	prompts, promptsDesc, err := newPrompts(cfg, counter)
	if err != nil {
		return s, &usageError{msg: err.Error()}
	}
	if cfg.out.json == "-" {
		stdout = stderr // the JSON document owns stdout
	}
	if cfg.sim {
		running, err := sim.New(cfg.simConfig).Listen("127.0.0.1:0")
		if err != nil {
			return s, err
		}
		defer running.Close()
		cfg.baseURL = running.BaseURL
	}

	inflight, cancelInflight := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelInflight()
	stopGrace := context.AfterFunc(ctx, func() { time.AfterFunc(cfg.grace, cancelInflight) })
	defer stopGrace()

	client := newClient(cfg, counter)
	defer client.http.CloseIdleConnections()
	if cfg.probe {
		rep, err := newProber(cfg, client).run(ctx)
		if err != nil {
			return s, err
		}
		writeProbe(stdout, rep)
		fmt.Fprintln(stdout)
		if cfg.metricsURL == "" {
			cfg.metricsURL = rep.metricsRaw
		}
	}
	var preflight bytes.Buffer
	ollama := ollamaPreflight(ctx, cfg, client, &preflight)
	fp := takeFingerprint(ctx, cfg, client, ollama, func() []string { return gpu.List("/sys/class/drm") })
	var sink *recordSink
	if cfg.out.records != "" {
		if sink, err = newRecordSink(cfg.out.records, client.start, &fp); err != nil {
			return s, err
		}
		defer sink.close()
	}
	writeHeader(stdout, cfg, promptsDesc)
	fmt.Fprintln(stdout, "Fingerprint: "+fp.String())
	io.Copy(stdout, &preflight)
	fmt.Fprintln(stdout, "Sending requests...")
	total := cfg.load.warmup + cfg.total()
	if cfg.load.sweeping() {
		total = 0
	}
	prog := newProgress(stderr, cfg.out.quiet, total, cfg.load.duration)
	r := &runner{client: client, sink: sink, stop: ctx, prog: prog,
		body: bodyFunc(cfg, prompts)}

	var all []Record
	if cfg.load.warmup > 0 {
		warm := phase{threads: min(cfg.threads, cfg.load.warmup), total: cfg.load.warmup, warmup: true, firstIndex: 1 << 40}
		records, _, err := r.run(inflight, warm)
		if err != nil {
			return s, err
		}
		if reason, ok := unreachable(records); ok {
			return s, fmt.Errorf("cannot reach %s: %s; is the server running?", redactURL(cfg.baseURL), reason)
		}
		ok := 0
		for _, rec := range records {
			if rec.OK {
				ok++
			}
		}
		fmt.Fprintf(stdout, "Warm-up: %d requests sent first (%d ok / %d failed), left out of every figure\n", len(records), ok, len(records)-ok)
		all = records
	}

	var levels []sweepLevel
	defer prog.close()
	var before prom.Snapshot
	if cfg.metricsURL != "" {
		if before, err = scrapeMetrics(ctx, client.http, cfg.metricsURL); err != nil {
			fmt.Fprintf(stdout, "Server metrics: %v; the report goes on without them\n", err)
		}
	}
	afterRun := func(s *Summary) {
		if before == nil {
			return
		}
		after, err := scrapeMetrics(context.WithoutCancel(ctx), client.http, cfg.metricsURL)
		if err != nil {
			fmt.Fprintf(stdout, "Server metrics: %v\n", err)
			return
		}
		d := prom.Diff(redactURL(cfg.metricsURL), before, after)
		s.Metrics = &d
	}
	gpus := startGPUs(ctx, cfg, stdout)
	if gpus != nil {
		defer gpus.Stop()
	}
	runFrom := time.Now()
	afterGPU := func(s *Summary) {
		if gpus != nil {
			e := gpu.Energy(gpus.Source(), gpus.Count(), gpus.Window(gpus.idleFrom, gpus.idleTo), gpus.Window(runFrom, time.Now()), s.OutputTokens)
			s.Energy = &e
		}
	}
	watch := startWatch()
	if cfg.load.sweeping() {
		var records []Record
		levels, records, err = sweep(ctx, inflight, cfg, r, stdout)
		prog.close()
		if err != nil {
			return s, err
		}
		all = append(all, records...)
		s = summarizeRecords(records, cfg.load.slo)
		noteHealth(&s, watch.stop(), cfg.sim)
		afterRun(&s)
		afterGPU(&s)
		writeSweep(stdout, levels, cfg.load.slo.set())
		writeMetrics(stdout, s.Metrics, s)
		writeChecks(stdout, s)
	} else {
		records, sent, err := r.run(inflight, measuredPhase(cfg, cfg.threads, cfg.load.rate))
		prog.close()
		if err != nil {
			return s, err
		}
		if reason, ok := unreachable(records); ok {
			return s, fmt.Errorf("cannot reach %s: %s; is the server running?", redactURL(cfg.baseURL), reason)
		}
		all = append(all, records...)
		s = summarizeRecords(records, cfg.load.slo)
		s.Sent = sent
		noteHealth(&s, watch.stop(), cfg.sim)
		afterRun(&s)
		afterGPU(&s)
		writeText(stdout, s)
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stdout, "Interrupted: no new request was sent after the interrupt; the report covers every request that finished.")
	}
	s.Fingerprint = &fp
	if err := writeFiles(cfg, cfg.out, client.start, s, levels, all, sink); err != nil {
		return s, err
	}
	switch {
	case ctx.Err() != nil:
		return s, errInterrupted
	case s.Failed > 0 || s.Cancelled > 0 || s.Sent != s.Total:
		return s, errFailed
	}
	for _, l := range levels {
		if l.s.Failed > 0 || l.s.Cancelled > 0 || l.s.Sent != l.s.Total {
			return s, errFailed
		}
	}
	return s, nil
}

// writeFiles writes --json, --csv and --html, and closes --records.
// cfg is nil for a rebuilt report, whose run's configuration is unknown.
func writeFiles(cfg *config, out outputs, started time.Time, s Summary, levels []sweepLevel, records []Record, sink *recordSink) error {
	if err := sink.close(); err != nil {
		return err
	}
	write := func(path, flag string, f func(io.Writer) error) error {
		if path == "" {
			return nil
		}
		if path == "-" {
			return f(os.Stdout)
		}
		file, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("-%s: %w", flag, err)
		}
		if err := f(file); err != nil {
			file.Close()
			return fmt.Errorf("writing -%s: %w", flag, err)
		}
		return file.Close()
	}
	return errors.Join(
		write(out.json, "json", func(w io.Writer) error { return writeJSON(w, cfg, started, s, levels) }),
		write(out.csv, "csv", func(w io.Writer) error { return writeCSV(w, records) }),
		write(out.html, "html", func(w io.Writer) error {
			title := "tpsbench report rebuilt from records, run started " + started.Format(time.RFC3339)
			if cfg != nil {
				title = fmt.Sprintf("tpsbench: %s at %s, %s", cfg.model, redactURL(cfg.baseURL), started.Format(time.RFC3339))
			}
			return writeHTML(w, title, s, records, levels)
		}),
	)
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
		endpoint:      endpoint(cfg.baseURL, cfg.load.api),
		native:        cfg.load.api == apiOllama,
		apiKey:        cfg.apiKey,
		headers:       cfg.load.headers,
		timeout:       cfg.timeoutDuration(),
		maxTokens:     cfg.maxTokens,
		stream:        cfg.stream,
		forceTiktoken: cfg.forceTiktoken,
		crossCheck:    cfg.crossCheck,
		counter:       counter,
		start:         time.Now(),
		now:           time.Now,
	}
}

// endpoint is where requests go: under the /v1 base URL, or for Ollama's
// native API at the server root (the base URL without its /v1).
func endpoint(baseURL, api string) string {
	base := strings.TrimRight(baseURL, "/")
	switch api {
	case apiCompletions:
		return base + "/completions"
	case apiOllama:
		return strings.TrimSuffix(base, "/v1") + "/api/chat"
	}
	return base + "/chat/completions"
}

// idledSampler is a GPU sampler with its idle baseline taken.
type idledSampler struct {
	*gpu.Sampler
	idleFrom, idleTo time.Time
}

// startGPUs starts sampling for --gpu after an idle baseline, or says once
// why it cannot.
func startGPUs(ctx context.Context, cfg *config, w io.Writer) *idledSampler {
	if !cfg.gpu {
		return nil
	}
	if !host.IsLocal(cfg.baseURL) {
		fmt.Fprintln(w, "GPU: the endpoint is not on this machine: no energy figures")
		return nil
	}
	g := gpu.Start("/sys/class/drm")
	if g == nil {
		fmt.Fprintln(w, "GPU: no nvidia-smi on PATH and no AMD GPU in sysfs: no energy figures")
		return nil
	}
	s := &idledSampler{Sampler: g, idleFrom: time.Now()}
	fmt.Fprintf(w, "GPU: sampling with %s; idle baseline for %s...\n", g.Source(), cfg.gpuIdle)
	select {
	case <-time.After(cfg.gpuIdle):
	case <-ctx.Done():
	}
	s.idleTo = time.Now()
	return s
}

// bodyFunc encodes request i's body with prompts(i).
func bodyFunc(cfg *config, prompts promptSource) func(int) ([]byte, error) {
	b := newBodyBuilder(cfg)
	return func(i int) ([]byte, error) { return b.build(prompts(i)) }
}
