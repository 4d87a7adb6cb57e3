package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/tpsbench/tpsbench/internal/gpu"
	"github.com/tpsbench/tpsbench/internal/prom"
)

// The server's side of the report: its own timings, its Prometheus
// counters, its GPUs' energy.

// writeMetrics prints the server's counters beside the client's figures:
// a figure the server does not export is left out; one it exports that is
// no figure reads n/a, with the reason.
func writeMetrics(w io.Writer, d *prom.Delta, s Summary) {
	if d == nil {
		return
	}
	fmt.Fprintf(w, "  Server metrics (%s, change during the run; they count all the server's traffic):\n", d.URL)
	metricLine(w, "generated tokens", d.Generated, "%.0f", fmt.Sprintf("client counted %d", s.OutputTokens))
	metricLine(w, "prompt tokens", d.Prompt, "%.0f", "")
	metricLine(w, "requests", d.Requests, "%.0f", fmt.Sprintf("client: %d ok", s.OK))
	metricLine(w, "decode rate", d.DecodeTPS, "%.2f tokens/sec", "generation time counted by the server")
	clientTTFT := "client TTFT n/a: not streamed"
	if s.TTFT.N > 0 {
		clientTTFT = "client TTFT mean=" + figureOr("%.2f", s.TTFT.Mean)
	}
	metricLine(w, "TTFT mean", d.TTFTMeanMs, "%.2f ms", clientTTFT)
	metricLine(w, "queue time mean", d.QueueMeanMs, "%.2f ms", "")
}

// metricLine prints one of the server's figures, formatted, and an aside
// in parentheses; nothing when the server does not export it.
func metricLine(w io.Writer, name string, f prom.Figure, format, aside string) {
	value := ""
	switch f.Status {
	case prom.Absent:
		return
	case prom.OK:
		value = fmt.Sprintf(format, f.Value)
	default:
		value = "n/a"
		what, v := unusableFigure(f)
		if v != "" {
			what += ": " + v
		}
		aside = strings.TrimSuffix(what+"; "+aside, "; ")
	}
	if aside != "" {
		value += " (" + aside + ")"
	}
	fmt.Fprintf(w, "    %s: %s\n", name, value)
}

// unusableFigure says why one of the server's figures is no figure, and
// the value it had when that says something ("" otherwise).
func unusableFigure(f prom.Figure) (what, value string) {
	if f.Status == prom.NotFinite {
		return "not a finite number", ""
	}
	if math.IsNaN(f.Value) { // computed from an absurd figure
		return "absurd", ""
	}
	return "absurd", strconv.FormatFloat(f.Value, 'g', 6, 64)
}

// writeServerSide prints the server's own figures beside the client's.
func writeServerSide(w io.Writer, s Summary) {
	if s.ServerAnswers == 0 {
		return
	}
	fmt.Fprintf(w, "  Server-side (the server's own timings, %d answers):\n", s.ServerAnswers)
	missing := "n/a (not streamed)"
	if s.Streamed {
		missing = "n/a (needs 2+ tokens arriving apart)"
	}
	if d := s.ServerDecodeTPS; d.N > 0 {
		client := missing
		if s.DecodeTPS.N > 0 {
			client = fmt.Sprintf("%.2f", s.DecodeTPS.Median)
		}
		fmt.Fprintf(w, "    decode TPS (tokens/sec): mean=%.2f   median=%.2f   n=%d   (client decode TPS median=%s)\n", d.Mean, d.Median, d.N, client)
	}
	if d := s.ServerPromptMs; d.N > 0 {
		client := "n/a (not streamed)" // a streamed answer always has a TTFT
		if s.TTFT.N > 0 {
			client = fmt.Sprintf("%.2f", s.TTFT.Median)
		}
		fmt.Fprintf(w, "    prompt (ms): mean=%.2f   median=%.2f   n=%d   (client TTFT median=%s: the difference is network, queueing and the client)\n", d.Mean, d.Median, d.N, client)
	}
	if d := s.ServerPrefill; d.N > 0 {
		fmt.Fprintf(w, "    prefill (prompt tokens/sec): mean=%.2f   median=%.2f   n=%d\n", d.Mean, d.Median, d.N)
	}
	if d := s.ServerLoadMs; d.N > 0 {
		fmt.Fprintf(w, "    model load (ms): mean=%.2f   max=%.2f   n=%d   (answers that waited for the model to load)\n", d.Mean, d.Max, d.N)
	}
	fmt.Fprintf(w, "    tokens: server %d, client %d\n", s.ServerTokens, s.ClientTokens)
}

// energyLine is the report's "GPU:" line: the energy figures of a run; a
// figure the driver did not give reads n/a.
func energyLine(e gpu.Report) string {
	if e.TooShort {
		return fmt.Sprintf("%s: the run was too short to sample (%d samples, one every %s)", e.Source, e.Samples, gpu.Interval)
	}
	util, mem := figureOr("%.0f%%", e.UtilPct), figureOr("%.0f MiB", e.PeakMemMiB)
	if e.NoPower {
		return fmt.Sprintf("%s, %d GPU(s): the driver reports no power (utilisation mean %s, memory peak %s)", e.Source, e.GPUs, util, mem)
	}
	return fmt.Sprintf("%s, %d GPU(s), %d samples: power mean %s, peak %s (idle %s); energy %s (estimated); %s output tokens/J (%s above idle); utilisation mean %s; memory peak %s",
		e.Source, e.GPUs, e.Samples, figureOr("%.1f W", e.MeanW), figureOr("%.1f W", e.PeakW), figureOr("%.1f W", e.IdleW),
		figureOr("%.1f J", e.EnergyJ), figureOr("%.3f", e.TokensPerJ), figureOr("%.3f", e.TokensPerJAbv), util, mem)
}

// figureOr formats v, or gives "n/a" when v is not a finite number.
func figureOr(format string, v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	return fmt.Sprintf(format, v)
}
