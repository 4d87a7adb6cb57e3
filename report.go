package main

import (
	"cmp"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// writeHeader prints the original script's opening lines.
func writeHeader(w io.Writer, cfg *config) {
	fmt.Fprintf(w, "Starting benchmark: threads=%d, requests_per_thread=%d, total=%d\n",
		cfg.threads, cfg.requestsPerThread, cfg.total())
	fmt.Fprintf(w, "Endpoint=%s, model=%s, timeout=%ss, max_tokens=%d\n",
		redactURL(cfg.baseURL), cfg.model, pyFloat(cfg.timeout), cfg.maxTokens)
	if cfg.sim {
		fmt.Fprintf(w, "Simulated endpoint (--sim): style=%s, ttft=%s, rate=%g tokens/s, jitter=%g\n",
			cfg.simConfig.Style, cfg.simConfig.TTFT, cfg.simConfig.TokenRate, cfg.simConfig.Jitter)
	}
	if cfg.insecure {
		fmt.Fprintln(w, "WARNING: --insecure: the server's TLS certificate is not verified")
	}
	if cfg.stream {
		fmt.Fprintln(w, "Streaming: SSE with stream_options.include_usage (TTFT, TPOT, ITL, decode TPS)")
	}
	fmt.Fprintln(w, "Sending requests...")
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
	}
	input := "n/a"
	if s.InputReported > 0 {
		input = strconv.Itoa(s.InputTokens)
	}
	fmt.Fprintf(w, "  Tokens: output=%d input=%s (source: usage %d, tiktoken %d)\n", s.OutputTokens, input, s.FromUsage, s.FromTiktoken)
	if s.OK > 0 && s.Duration > 0 {
		fmt.Fprintf(w, "  Throughput: output=%.2f tokens/sec, requests=%.3f req/sec, wall=%.2fs, concurrency=%.2f\n",
			s.OutputThroughput, s.RequestThroughput, s.Duration.Seconds(), s.Concurrency)
	}
	if s.NewConns > 0 {
		fmt.Fprintf(w, "  Connections: %d opened (connect ms: mean=%.2f   p95=%.2f), %d reused; connecting is inside TTFT and E2E\n",
			s.NewConns, s.Connect.Mean, s.Connect.P95, s.Total-s.NewConns)
	}
	writeDist(w, "E2E latency (ms)", s.E2E, "")
	if s.Streamed {
		writeDist(w, "TTFT (ms)", s.TTFT, "")
		if s.TTFO.N > 0 {
			writeDist(w, "TTFO (ms, first answer after reasoning)", s.TTFO, "")
		}
		writeDist(w, "TPOT (ms/token)", s.TPOT, "needs 2+ tokens")
		writeDist(w, "ITL (ms, per chunk)", s.ITL, "needs 2+ chunks")
		writeDist(w, "Decode TPS (tokens/sec)", s.DecodeTPS, "needs 2+ tokens arriving apart")
		fmt.Fprintf(w, "  Chunks: %d token-bearing for %d tokens\n", s.Chunks, s.OutputTokens)
	}
	if s.Retried > 0 {
		fmt.Fprintf(w, "  Retried: %d sent again after the server had closed a pooled connection\n", s.Retried)
	}
	if s.TPS.N > 0 && s.TPS.N < minTailSamples {
		fmt.Fprintf(w, "  Note: p05 and p95 rest on %d requests and are rough; send at least %d (threads x --requests-per-thread).\n", s.TPS.N, minTailSamples)
	}
	if len(s.Errors) > 0 {
		fmt.Fprintln(w, "Errors:")
		for _, e := range s.Errors {
			fmt.Fprintf(w, "  %d x %s\n", e.Count, e.Reason)
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

// minTailSamples is the fewest samples a p05 or p95 should rest on: with
// fewer, each tail is an interpolation between the two extreme values.
const minTailSamples = 20

// pyFloat formats like Python's str(float): 120 -> "120.0", 2.5 -> "2.5".
func pyFloat(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s
}
