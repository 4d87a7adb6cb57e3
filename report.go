package main

import (
	"cmp"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// textReport is a run's text report, written as the run goes: the header
// before the first request, a line per finished phase, the results at the
// end. It is the only place a run writes text.
type textReport struct{ w io.Writer }

// probe prints what --probe found, before the header.
func (r *textReport) printProbe(found *probeReport) {
	writeProbe(r.w, found)
	fmt.Fprintln(r.w)
}

// header prints the original script's opening lines and what tpsbench adds.
func (r *textReport) printHeader(cfg *config, baseURL, proxy string, promptFile int) {
	writeHeader(r.w, cfg, baseURL, proxy, describePrompts(cfg, promptFile))
}

func (r *textReport) printFingerprint(fp fingerprint) {
	fmt.Fprintln(r.w, "Fingerprint: "+fingerprintLine(fp))
}

// preflight prints what Ollama's preflight found and did.
func (r *textReport) printPreflight(pre *preflight) {
	if pre == nil {
		return
	}
	info := pre.info
	state := "not loaded"
	if info.Loaded {
		state = "loaded"
	}
	fmt.Fprintf(r.w, "Ollama %s: model %s (%s), %s\n", info.Version, pre.model, describeOllama(info), state)
	switch {
	case pre.loadCut:
		fmt.Fprintln(r.w, "Model load: interrupted")
	case pre.loadErr != nil:
		fmt.Fprintf(r.w, "Model load: failed (%s); measured requests may pay for it\n", pre.loadErr)
	case pre.preloaded:
		fmt.Fprintf(r.w, "Model load: %.2f s before the run (no measured request pays it; --no-preload to measure a cold start)\n", pre.took.Seconds())
	}
	if info.GPUShare >= 0 && info.GPUShare < 0.99 {
		fmt.Fprintf(r.w, "Advice: %.0f%% of the model is in CPU memory (size_vram / size): it runs partly on the CPU, slower than on the GPU alone\n", 100*(1-info.GPUShare))
	}
	if !pre.native {
		fmt.Fprintln(r.w, "Advice: /v1 gives no server-side rates; --api ollama adds Ollama's own eval rate and load time")
	}
}

func (r *textReport) printSending() { fmt.Fprintln(r.w, "Sending requests...") }

func (r *textReport) printWarmupDone(sent, ok int) {
	fmt.Fprintf(r.w, "Warm-up: %d requests sent first (%d ok / %d failed), left out of every figure\n", sent, ok, sent-ok)
}

// metricsUnavailable says a scrape of the server's counters failed, before
// the run or after it.
func (r *textReport) printMetricsUnavailable(err error, before bool) {
	if before {
		fmt.Fprintf(r.w, "Server metrics: %v; the report goes on without them\n", err)
		return
	}
	fmt.Fprintf(r.w, "Server metrics: %v\n", err)
}

// printGPU says whether --gpu can sample, and how.
func (r *textReport) printGPU(status gpuStatus, g *idledSampler, idle time.Duration) {
	switch status {
	case gpuRemote:
		fmt.Fprintln(r.w, "GPU: the endpoint is not on this machine: no energy figures")
	case gpuNone:
		fmt.Fprintln(r.w, "GPU: no nvidia-smi on PATH and no AMD GPU in sysfs: no energy figures")
	case gpuSampling:
		fmt.Fprintf(r.w, "GPU: sampling with %s; idle baseline for %s...\n", g.Source(), idle)
	}
}

// level prints a sweep level's line as it ends.
func (r *textReport) printLevel(label string, s Summary) {
	cancelled := ""
	if s.Cancelled > 0 {
		cancelled = fmt.Sprintf(" / %d cancelled", s.Cancelled)
	}
	fmt.Fprintf(r.w, "Level %s: %d ok / %d failed%s, output %.2f tokens/sec\n", label, s.OK, s.Failed, cancelled, s.OutputThroughput)
}

// results prints the figures: a sweep's table, or one run's results.
func (r *textReport) printResults(s Summary, levels []sweepLevel, sweep bool) {
	if !sweep {
		writeText(r.w, s)
		return
	}
	writeSweep(r.w, levels, s.SLO.set())
	writeMetrics(r.w, s.Metrics, s)
	writeChecks(r.w, s)
}

// printInterruptedBefore says that the run ended before its first request:
// no phase started, so there are no results to show.
func (r *textReport) printInterruptedBefore() {
	fmt.Fprintln(r.w, "Interrupted before the run: no request was sent.")
}

func (r *textReport) printInterrupted() {
	fmt.Fprintln(r.w, "Interrupted: no new request was sent after the interrupt; the report covers every request that finished.")
}

// writeRebuilt prints a report rebuilt from records files: where it comes
// from, each file's fingerprint (warning when they differ), the figures.
func writeRebuilt(w io.Writer, files []recordFile, records int, started time.Time, s Summary, levels []sweepLevel) {
	paths := map[string]bool{}
	for _, f := range files {
		paths[f.path] = true
	}
	in := fmt.Sprintf("%d file(s)", len(paths))
	if len(files) > len(paths) {
		in += fmt.Sprintf(" holding %d runs", len(files))
	}
	fmt.Fprintf(w, "Report rebuilt from %d records in %s; the run started at %s\n", records, in, started.Format(time.RFC3339))
	var fps []*fingerprint
	for _, f := range files {
		if f.fp != nil {
			fmt.Fprintf(w, "Fingerprint (%s): %s\n", f.name(), fingerprintLine(*f.fp))
			fps = append(fps, f.fp)
		}
	}
	for _, fp := range fps[min(1, len(fps)):] {
		if diffs := fps[0].differences(*fp); len(diffs) > 0 {
			fmt.Fprintf(w, "WARNING: the files differ in %s: they may not be one run\n", differencesText(diffs))
		}
	}
	if len(levels) > 0 {
		writeSweep(w, levels, s.SLO.set())
	} else {
		writeText(w, s)
	}
}

// describePrompts says what the prompts are, for the header: "" for the
// original's fixed prompt.
func describePrompts(cfg *config, promptFile int) string {
	l := &cfg.load
	switch {
	case l.promptsFile != "":
		order := "in order"
		if l.seedSet {
			order = "shuffled by -seed"
		}
		return fmt.Sprintf("%d from %s, %s", promptFile, l.promptsFile, order)
	case l.inputTokens > 0:
		desc := fmt.Sprintf("synthetic, %d tokens (%s)", l.inputTokens, cfg.encoding)
		if l.inputTokensStddev > 0 {
			desc += fmt.Sprintf(" +- %d", l.inputTokensStddev)
		}
		if l.prefixTokens > 0 {
			return desc + fmt.Sprintf(", the first %d shared by all", l.prefixTokens)
		}
		return desc + ", each different from its first token"
	}
	return ""
}

// writeHeader prints the original script's opening lines, then what
// tpsbench adds: the proxy, the load shape, the prompts, the simulator.
func writeHeader(w io.Writer, cfg *config, baseURL, proxy, prompts string) {
	l := &cfg.load
	total := strconv.Itoa(cfg.total())
	switch {
	case l.sweeping() && l.requests > 0:
		total += " per level"
	case l.sweeping():
		total = "per level"
	case l.duration > 0:
		total = "as many as fit in " + l.duration.String()
	}
	// The original script's line, unless -requests or -duration make the
	// per-thread figure meaningless.
	perThread := fmt.Sprintf(", requests_per_thread=%d", cfg.requestsPerThread)
	if l.requests > 0 || l.duration > 0 {
		perThread = ""
	}
	fmt.Fprintf(w, "Starting benchmark: threads=%d%s, total=%s\n", cfg.threads, perThread, total)
	fmt.Fprintf(w, "Endpoint=%s, model=%s, timeout=%ss, max_tokens=%d\n",
		redactURL(baseURL), cfg.model, pyFloat(cfg.timeout), cfg.maxTokens)
	if proxy != "" {
		fmt.Fprintf(w, "Proxy: %s (from HTTP_PROXY/HTTPS_PROXY): every request goes through it, the API key and --header with it, and its delay is inside TTFT and E2E; --no-proxy bypasses it\n", proxy)
	}
	if cfg.sim {
		fmt.Fprintf(w, "Simulated endpoint (--sim): style=%s, ttft=%s, rate=%g tokens/s, jitter=%g\n",
			cfg.simConfig.Style, cfg.simConfig.TTFT, cfg.simConfig.TokenRate, cfg.simConfig.Jitter)
	}
	if load := describeLoad(cfg); load != "" {
		fmt.Fprintln(w, "Load: "+load)
	}
	if prompts != "" {
		fmt.Fprintln(w, "Prompts: "+prompts)
	}
	if l.api == apiCompletions {
		fmt.Fprintln(w, "API: legacy /completions")
	}
	if l.fixedOutput {
		fmt.Fprintf(w, "Fixed output: sent ignore_eos=true and min_tokens=%d (vLLM, SGLang and llama.cpp's server honour them; Ollama and OpenAI do not, and may stop early)\n", cfg.maxTokens)
	}
	if cfg.insecure {
		fmt.Fprintln(w, "WARNING: --insecure: the server's TLS certificate is not verified")
	}
	if cfg.stream {
		fmt.Fprintln(w, "Streaming: SSE with stream_options.include_usage (TTFT, TPOT, ITL, decode TPS)")
	}
}

// writeText prints a run's Summary in the original script's format, then
// the figures tpsbench adds, each with its unit in its label.
func writeText(w io.Writer, s Summary) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Results:")
	fmt.Fprintf(w, "  Samples: %d ok / %d failed (total %d)\n", s.OK, s.Failed, s.OK+s.Failed)
	if s.Sent != s.Total {
		fmt.Fprintf(w, "  BUG: %d requests sent but %d recorded (ok + failed + cancelled); please report it\n", s.Sent, s.Total)
	}
	if s.Cancelled > 0 {
		fmt.Fprintf(w, "  Cancelled: %d in flight when the run was stopped (not in any figure)\n", s.Cancelled)
	}
	fmt.Fprintln(w, "  TPS (tokens/sec):")
	if s.TPS.N == 0 {
		fmt.Fprintln(w, "    n/a (no successful request)")
	} else {
		fmt.Fprintf(w, "    mean=%.2f   median=%.2f   p05=%.2f   p95=%.2f\n", s.TPS.Mean, s.TPS.Median, s.TPS.P05, s.TPS.P95)
		writeCI(w, s.TPS)
	}
	input := "n/a"
	if s.InputReported > 0 {
		input = strconv.Itoa(s.InputTokens)
	}
	fmt.Fprintf(w, "  Tokens: output=%d input=%s (source: usage %d, tiktoken %d)\n", s.OutputTokens, input, s.FromUsage, s.FromTiktoken)
	if s.ReasonAnswers > 0 {
		fmt.Fprintf(w, "  Reasoning: %d of the %d output tokens were thinking (the server's reasoning_tokens, %d answers); TPS counts them, TTFO is the first answer token\n",
			s.ReasonTokens, s.OutputTokens, s.ReasonAnswers)
	}
	if s.Cross.N > 0 {
		fmt.Fprintf(w, "  Token cross-check: tiktoken counts %+.1f%% (median; worst %+.1f%%) against the server's usage over %d answers\n",
			100*s.Cross.Median, 100*s.Cross.Worst, s.Cross.N)
	}
	if s.OK > 0 && s.Duration > 0 {
		fmt.Fprintf(w, "  Throughput: output=%.2f tokens/sec, requests=%.3f req/sec, wall=%.2fs, concurrency=%.2f\n",
			s.OutputThroughput, s.RequestThroughput, s.Duration.Seconds(), s.Concurrency)
	}
	writeConnections(w, s)
	writeDist(w, "E2E latency (ms)", s.E2E, "")
	if s.Scheduled {
		writeDist(w, "Client queue (ms, t_send - t_sched)", s.Queue, "")
		writeDist(w, "E2E incl. queue (ms)", s.E2EQueue, "")
	}
	if s.Streamed {
		writeDist(w, "TTFT (ms)", s.TTFT, "")
		if s.Scheduled {
			writeDist(w, "TTFT incl. queue (ms)", s.TTFTQueue, "")
		}
		if s.TTFO.N > 0 {
			writeDist(w, "TTFO (ms, first answer after reasoning)", s.TTFO, "")
		}
		writeDist(w, "TPOT (ms/token)", s.TPOT, "needs 2+ tokens")
		writeDist(w, "ITL (ms, per chunk)", s.ITL, "needs 2+ chunks")
		writeDist(w, "Decode TPS (tokens/sec)", s.DecodeTPS, "needs 2+ tokens arriving apart")
		fmt.Fprintf(w, "  Chunks: %d token-bearing for %d tokens\n", s.Chunks, s.OutputTokens)
	}
	if s.SLO.set() {
		fmt.Fprintf(w, "  Goodput: %.3f req/sec (%d of %d requests, %.1f%%, within %s; failed ones count as not good)\n",
			s.Goodput, s.Good, s.OK+s.Failed, 100*s.GoodFraction, s.SLO)
	}
	if s.Scheduled && s.Queue.N > 0 && s.Queue.P95 > maxScheduleLagMs {
		fmt.Fprintf(w, "  WARNING: requests started late: client queue p95 = %.1f ms. Latency from t_send understates what users arriving on schedule saw; read the \"incl. queue\" figures (a --max-concurrency cap, or a client short of CPU, holds requests back).\n", s.Queue.P95)
	}
	writeServerSide(w, s)
	writeMetrics(w, s.Metrics, s)
	if line := parallelismLine(s.Parallel); line != "" {
		fmt.Fprintf(w, "  Server parallelism: %s\n", line)
	}
	if s.Retried > 0 {
		fmt.Fprintf(w, "  Retried: %d sent again after the server had closed a pooled connection\n", s.Retried)
	}
	if s.TPS.N > 0 && s.TPS.N < minTailSamples {
		fmt.Fprintf(w, "  Note: p05 and p95 rest on %d requests and are rough; send at least %d (threads x --requests-per-thread).\n", s.TPS.N, minTailSamples)
	}
	writeChecks(w, s)
	writeErrors(w, s)
}

// writeErrors lists the failures by reason, most frequent first.
func writeErrors(w io.Writer, s Summary) {
	if len(s.Errors) > 0 {
		fmt.Fprintln(w, "Errors:")
		for _, e := range s.Errors {
			fmt.Fprintf(w, "  %d x %s\n", e.Count, e.Reason)
		}
	}
}

// writeChecks prints the client's health and the trust checks.
func writeChecks(w io.Writer, s Summary) {
	if s.Energy != nil {
		fmt.Fprintf(w, "  GPU: %s\n", energyLine(*s.Energy))
	}
	if s.Client != nil {
		fmt.Fprintf(w, "  Client: %s\n", clientLine(*s.Client))
	}
	if len(s.Checks) > 0 {
		fmt.Fprintln(w, "Checks (findings that lower trust in a figure):")
		for _, c := range s.Checks {
			fmt.Fprintf(w, "  - %s\n", findingText(c))
		}
	}
}

// writeDist prints one distribution as the original prints TPS, plus n.
func writeDist(w io.Writer, label string, d Dist, why string) {
	fmt.Fprintf(w, "  %s:\n", label)
	if d.N == 0 {
		fmt.Fprintf(w, "    n/a (%s)\n", cmp.Or(why, "no samples"))
		return
	}
	fmt.Fprintf(w, "    mean=%.2f   median=%.2f   p05=%.2f   p95=%.2f   n=%d\n", d.Mean, d.Median, d.P05, d.P95, d.N)
}

// maxScheduleLagMs is how late (p95) open-loop requests may start before
// the report warns of coordinated omission.
const maxScheduleLagMs = 10

// writeCI prints the 95% confidence intervals of a headline figure.
func writeCI(w io.Writer, d Dist) {
	if d.CI.ok {
		fmt.Fprintf(w, "    95%% CI: median %.2f..%.2f   mean %.2f..%.2f\n", d.CI.medianLow, d.CI.medianHigh, d.CI.meanLow, d.CI.meanHigh)
	}
}

// minTailSamples is the fewest samples a p05 or p95 should rest on: with
// fewer, each tail is an interpolation between the two extreme values.
const minTailSamples = 20

// describeLoad says how requests are sent, when it is not the original's
// plain closed loop.
func describeLoad(cfg *config) string {
	l := &cfg.load
	var parts []string
	switch {
	case len(l.sweepConcurrency) > 0:
		parts = append(parts, "closed-loop sweep over concurrency "+joinInts(l.sweepConcurrency))
	case len(l.sweepRate) > 0:
		var rates []string
		for _, r := range l.sweepRate {
			rates = append(rates, r.String())
		}
		parts = append(parts, "open-loop sweep over rates "+strings.Join(rates, ",")+" req/s")
	case l.rate > 0:
		parts = append(parts, "open loop at "+l.rate.String()+" req/s")
	}
	if l.rate > 0 || len(l.sweepRate) > 0 {
		kind := "Poisson arrivals"
		if l.burstiness != 1 {
			kind = fmt.Sprintf("gamma arrivals, burstiness %g", l.burstiness)
		}
		parts = append(parts, kind)
		if l.maxConcurrency > 0 {
			parts = append(parts, fmt.Sprintf("at most %d in flight", l.maxConcurrency))
		}
	}
	if l.duration > 0 {
		parts = append(parts, "for "+l.duration.String())
	}
	if l.warmup > 0 {
		parts = append(parts, fmt.Sprintf("%d warm-up requests first", l.warmup))
	}
	if l.slo.set() {
		parts = append(parts, "SLO "+l.slo.String())
	}
	if l.seedSet {
		parts = append(parts, fmt.Sprintf("seed %d", l.seed))
	}
	return strings.Join(parts, ", ")
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

// writeConnections says how the run's requests got their connections:
// opened before the clock, or during the run (inside their TTFT and E2E).
func writeConnections(w io.Writer, s Summary) {
	switch {
	case s.ReadyConns > 0:
		fmt.Fprintf(w, "  Connections: %d open before the clock (%d opened then, connect ms: mean=%.2f   p95=%.2f); during the run %d opened, %d reused\n",
			s.ReadyConns, s.PreConns, s.PreConnect.Mean, s.PreConnect.P95, s.NewConns, s.Total-s.NewConns)
	case s.NewConns > 0:
		fmt.Fprintf(w, "  Connections: %d opened (connect ms: mean=%.2f   p95=%.2f), %d reused; connecting is inside TTFT and E2E\n",
			s.NewConns, s.Connect.Mean, s.Connect.P95, s.Total-s.NewConns)
	}
}
