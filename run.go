package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/tpsbench/tpsbench/internal/gpu"
	"github.com/tpsbench/tpsbench/internal/ollama"
	"github.com/tpsbench/tpsbench/internal/sim"
)

// A benchmark run reads top to bottom: plan (what to send), execute (send
// it, collecting one Record per request, and watch what happens around
// it), summarise (once, from the Records and the run's own facts), render
// (text, JSON, CSV, HTML).

// benchmarkOne runs the benchmark of one model (warm-up, then one load
// shape or a sweep of them), prints its report, writes the files asked
// for, and returns its summary.
//
// ctx ending (the first Ctrl-C) stops sending; requests in flight then get
// --grace to finish before they are cancelled (at once on the second
// Ctrl-C: quitContext), and the report covers everything that finished.
func benchmarkOne(ctx context.Context, cfg *config, stdout, stderr io.Writer) (Summary, error) {
	text := stdout
	if cfg.out.json == "-" {
		text = stderr // the JSON document owns stdout
	}
	p, err := newPlan(cfg)
	if err != nil {
		return Summary{}, err
	}
	files, err := openOutputs(cfg.out, stdout)
	if err != nil {
		return Summary{}, err
	}
	defer files.close()
	tgt, err := startTarget(cfg)
	if err != nil {
		return Summary{}, err
	}
	defer tgt.shutdown()
	b := &benchRun{cfg: cfg, plan: p, baseURL: tgt.baseURL, rep: &textReport{w: text}, stderr: stderr}
	spec := cfg.clientSpec(tgt.baseURL)
	spec.tokens = p.tokens
	b.client = newClient(spec)
	defer b.client.http.CloseIdleConnections()

	res, err := b.execute(ctx, files)
	if err != nil {
		return Summary{}, err
	}
	s := summarise(res.records, res.facts)
	if !res.beforeRun {
		b.rep.printResults(s, res.levels, cfg.load.sweeping())
		if ctx.Err() != nil {
			b.rep.printInterrupted()
		}
	}
	done := &finishedRun{cfg: cfg, baseURL: b.baseURL, started: b.client.start, s: s, levels: res.levels, records: res.records}
	if err := files.write(done); err != nil {
		return s, err
	}
	return s, verdict(ctx, s, res.levels)
}

// verdict is the run's outcome for the exit status: interrupted, some
// request failed (or went unrecorded), or all well.
func verdict(ctx context.Context, s Summary, levels []sweepLevel) error {
	if ctx.Err() != nil {
		return errInterrupted
	}
	for _, l := range append([]sweepLevel{{s: s}}, levels...) {
		if l.s.Failed > 0 || l.s.Cancelled > 0 || l.s.Sent != l.s.Total {
			return errFailed
		}
	}
	return nil
}

// benchTarget is the endpoint a run measures: --base-url, or the simulator
// started in this process for --sim.
type benchTarget struct {
	baseURL string
	sim     *sim.Running
}

func startTarget(cfg *config) (*benchTarget, error) {
	if !cfg.sim {
		return &benchTarget{baseURL: cfg.baseURL}, nil
	}
	running, err := sim.New(cfg.simConfig).Listen("127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting the simulator: %w", err)
	}
	return &benchTarget{baseURL: running.BaseURL, sim: running}, nil
}

func (t *benchTarget) shutdown() {
	if t.sim != nil {
		t.sim.Close()
	}
}

// benchRun is one model's run while it executes.
type benchRun struct {
	cfg     *config
	plan    *plan
	baseURL string // the endpoint measured
	client  *Client
	rep     *textReport
	stderr  io.Writer // the progress line
}

// runResult is what executing a run produced: every Record (warm-up
// included, marked), the sweep levels' summaries, and the run's own facts.
type runResult struct {
	records   []Record
	levels    []sweepLevel
	facts     runFacts
	beforeRun bool // interrupted before the first request: nothing sent
}

// execute carries out the plan: what is asked of the server first (probe,
// preflight, fingerprint), the warm-up, then the measured phases while the
// server's counters, the GPUs and the client itself are watched.
func (b *benchRun) execute(ctx context.Context, files *runFiles) (runResult, error) {
	// Requests in flight end at the second interrupt, or --grace after the first.
	inflight, cancelInflight := context.WithCancel(quitContext(ctx))
	defer cancelInflight()
	stopGrace := context.AfterFunc(ctx, func() { time.AfterFunc(b.cfg.grace, cancelInflight) })
	defer stopGrace()

	res := runResult{facts: runFacts{slo: b.cfg.load.slo, simulated: b.cfg.sim}}
	metricsURL, fp, err := b.prepare(ctx)
	if err != nil && ctx.Err() == nil {
		return res, err
	}
	var sink *recordSink
	if err == nil {
		res.facts.fingerprint = &fp
		if sink, err = files.startRecords(b.client.start, &fp); err != nil {
			return res, err
		}
	}
	if ctx.Err() != nil {
		// Ctrl-C before the first request (the probe, the preload): no
		// phase starts; what was learned is still written.
		b.rep.printInterruptedBefore()
		res.beforeRun = true
		return res, nil
	}
	b.rep.printSending()
	total := b.cfg.load.warmup + b.cfg.total()
	if b.cfg.load.sweeping() {
		total = 0
	}
	prog := newProgress(b.stderr, b.cfg.out.quiet, total, b.cfg.load.duration, &b.client.arrived)
	defer prog.close()
	rn := &runner{client: b.client, tokens: b.plan.tokens, body: b.plan.body, sink: sink, prog: prog, stop: ctx}
	if w, ok := b.plan.warmup(); ok {
		if res.records, err = b.sendWarmup(inflight, rn, w); err != nil {
			return res, err
		}
	}
	if !b.cfg.load.cold && ctx.Err() == nil {
		res.facts.ready, res.facts.preopened = b.client.openConnections(ctx, b.cfg.inflightMost())
	}
	side := watchSide(ctx, b.cfg, b.client, metricsURL, b.rep)
	defer side.close()
	err = b.sendMeasured(ctx, inflight, rn, &res)
	prog.close()
	if err != nil {
		return res, err
	}
	side.finish(ctx, &res.facts)
	return res, nil
}

// prepare asks the server what it is before the run, and prints the
// report's header: the probe (--probe), Ollama's preflight, the
// fingerprint. It returns the Prometheus URL to scrape, if any.
func (b *benchRun) prepare(ctx context.Context) (string, fingerprint, error) {
	metricsURL := b.cfg.metricsURL
	if b.cfg.probe {
		found, err := newProber(b.cfg, b.client).ask(ctx)
		if err != nil {
			return "", fingerprint{}, err
		}
		b.rep.printProbe(newProbeReport(found, b.client.text))
		if metricsURL == "" {
			metricsURL = found.metricsURL
		}
	}
	pre, err := ollamaPreflight(ctx, b.cfg, b.client)
	if err != nil {
		return "", fingerprint{}, err
	}
	var info *ollama.Info
	if pre != nil {
		info = pre.info
	}
	fp := takeFingerprint(ctx, b.cfg, b.client, info, func() []string { return gpu.List("/sys/class/drm") })
	b.rep.printHeader(b.cfg, b.baseURL, fp.Proxy, b.plan.promptFile)
	b.rep.printFingerprint(fp)
	b.rep.printPreflight(pre)
	return metricsURL, fp, nil
}

// sendWarmup sends the warm-up phase; its records are marked and left out of
// every figure.
func (b *benchRun) sendWarmup(inflight context.Context, rn *runner, w phaseRun) ([]Record, error) {
	records, _, err := rn.runPhase(inflight, w)
	if err != nil {
		return nil, err
	}
	if reason, ok := unreachableReason(records); ok {
		return nil, unreachableError(b.baseURL, reason)
	}
	ok := 0
	for _, rec := range records {
		if rec.OK {
			ok++
		}
	}
	b.rep.printWarmupDone(len(records), ok)
	return records, nil
}

// sendMeasured sends the measured phases in turn: one, or one per sweep level,
// until stop ends.
func (b *benchRun) sendMeasured(stop, inflight context.Context, rn *runner, res *runResult) error {
	for _, ph := range b.plan.measured() {
		if stop.Err() != nil {
			break
		}
		records, sent, err := rn.runPhase(inflight, ph)
		if err != nil {
			return err
		}
		if reason, ok := unreachableReason(records); ok {
			return unreachableError(b.baseURL, reason)
		}
		res.records = append(res.records, records...)
		res.facts.sent += sent
		if ph.level != "" {
			s := summarise(records, runFacts{sent: sent, sentCounted: true, slo: b.cfg.load.slo})
			b.rep.printLevel(ph.level, s)
			res.levels = append(res.levels, sweepLevel{label: ph.level, s: s})
		}
	}
	res.facts.sentCounted = true
	return nil
}
