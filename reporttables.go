package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tpsbench/tpsbench/internal/sim"
)

// The tables of the report: a sweep's levels, several models, compare's
// figures.

// writeComparison prints compare's table (a level column for sweeps), how
// the runs differ in their making, and the --fail-on bounds that failed.
func writeComparison(w io.Writer, files []string, runs [2]comparedRun, rows []comparison, levelsDiffer bool, failed []gateFailure) {
	fmt.Fprintf(w, "base: %s\nnew:  %s\n\n", files[0], files[1])
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	levels := slices.ContainsFunc(rows, func(r comparison) bool { return r.level != "" })
	head := "figure\tbase\tnew\tchange\tp\tn"
	if levels {
		head = "level\t" + head
	}
	fmt.Fprintln(tw, head)
	for _, r := range rows {
		if levels {
			fmt.Fprintf(tw, "%s\t", r.level)
		}
		fmt.Fprintln(tw, comparisonRow(r))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nbase and new: medians of the per-request values; throughput: output tokens/s over the run, one number a run, so no test applies and its change shows as it is\n")
	fmt.Fprintf(w, "~: no significant difference (Mann-Whitney U, p >= %g, or fewer than %d samples a side)\n", alpha, minSamples)
	fps := [2]*fingerprint{runs[0].fp, runs[1].fp}
	if fps[0] != nil && fps[1] != nil {
		fmt.Fprintf(w, "\nbase fingerprint: %s\nnew fingerprint:  %s\n", fingerprintLine(*fps[0]), fingerprintLine(*fps[1]))
		if diffs := fps[0].differences(*fps[1]); len(diffs) > 0 {
			fmt.Fprintf(w, "WARNING: the runs differ in %s: a change may come from that, not from what you changed\n", differencesText(diffs))
		}
	}
	if diffs := configDifferences(runs[0], runs[1]); len(diffs) > 0 {
		parts := make([]string, len(diffs))
		for i, d := range diffs {
			parts[i] = fmt.Sprintf("%s (%s vs %s)", d.key, cmp.Or(d.a, "unset"), cmp.Or(d.b, "unset"))
		}
		fmt.Fprintf(w, "WARNING: the runs' configurations differ in %s: a change may come from that, not from what you changed\n", strings.Join(parts, ", "))
	}
	if levelsDiffer {
		how := "compared on the levels both have"
		if !levels {
			how = "pooled over every level"
		}
		fmt.Fprintf(w, "WARNING: the runs' sweep levels differ (base: %s; new: %s): their figures are %s\n",
			levelList(runs[0]), levelList(runs[1]), how)
	}
	if len(failed) > 0 {
		parts := make([]string, len(failed))
		for i, f := range failed {
			parts[i] = fmt.Sprintf("%s cannot be checked: %s", f.rule.text, f.why)
			if f.why == "" && f.row.whole {
				parts[i] = fmt.Sprintf("%s %+.1f%% crosses %s", f.row.label(), 100*f.row.change, f.rule.text)
			} else if f.why == "" {
				parts[i] = fmt.Sprintf("%s %+.1f%% (p=%.3g) crosses %s", f.row.label(), 100*f.row.change, f.row.p, f.rule.text)
			}
		}
		fmt.Fprintln(w, "FAIL: "+strings.Join(parts, "; "))
	}
}

// comparisonRow is one figure's cells of compare's table.
func comparisonRow(r comparison) string {
	name := fmt.Sprintf("%s (%s)", r.name, r.unit)
	switch {
	case r.none && r.whole:
		return fmt.Sprintf("%s\t-\t-\tn/a (not in both runs)\t\t", name)
	case r.none:
		return fmt.Sprintf("%s\t-\t-\tn/a (not in both runs)\t\t%d+%d", name, r.nBase, r.nNext)
	case r.whole:
		return fmt.Sprintf("%s\t%.2f\t%.2f\t%+.1f%%\t\trun", name, r.base, r.next, 100*r.change)
	}
	change := "~"
	if r.significant {
		change = fmt.Sprintf("%+.1f%%", 100*r.change)
	}
	return fmt.Sprintf("%s\t%.2f\t%.2f\t%s\t%.3g\t%d+%d", name, r.base, r.next, change, r.p, r.nBase, r.nNext)
}

// levelList names a run's sweep levels, for a warning.
func levelList(r comparedRun) string {
	if len(r.levels) == 0 {
		return "none"
	}
	return strings.Join(r.levelLabels(), ", ")
}

// writeSweep prints one row per level.
func writeSweep(w io.Writer, levels []sweepLevel, slo bool) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Sweep:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	// A cancelled column only when a level was cut short (Ctrl-C).
	cancelled := slices.ContainsFunc(levels, func(l sweepLevel) bool { return l.s.Cancelled > 0 })
	head := "  level\tok\tfailed\t"
	if cancelled {
		head += "cancelled\t"
	}
	head += "output tok/s\treq/s\tTPS median\tTTFT median ms\tTTFT p95 ms\tTPOT median ms\tE2E p95 ms"
	if slo {
		head += "\tgoodput req/s"
	}
	fmt.Fprintln(tw, head+"\t")
	k := knee(levels)
	for i, l := range levels {
		s := l.s
		row := fmt.Sprintf("  %s\t%d\t%d\t", l.label, s.OK, s.Failed)
		if cancelled {
			row += fmt.Sprintf("%d\t", s.Cancelled)
		}
		row += fmt.Sprintf("%.2f\t%.3f\t%s\t%s\t%s\t%s\t%s",
			s.OutputThroughput, s.RequestThroughput, cell(s.TPS, s.TPS.Median), cell(s.TTFT, s.TTFT.Median),
			cell(s.TTFT, s.TTFT.P95), cell(s.TPOT, s.TPOT.Median), cell(s.E2E, s.E2E.P95))
		if slo {
			row += fmt.Sprintf("\t%.3f", s.Goodput)
		}
		if i == k {
			row += "\t<- knee"
		}
		fmt.Fprintln(tw, row+"\t")
	}
	tw.Flush()
	if k >= 0 {
		fmt.Fprintf(w, "  knee: past %s, output throughput grew by less than 10%% while latency grew by more than 20%%\n", levels[k].label)
	}
}

// cell formats a figure of d, or "-" when d has no samples.
func cell(d Dist, v float64) string {
	if d.N == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}

// writeModelHeading opens one model's part of a several-model run.
func writeModelHeading(w io.Writer, model string) { fmt.Fprintf(w, "=== Model %s ===\n", model) }

// writeModels prints a several-model run's closing table.
func writeModels(stdout io.Writer, results []modelResult) {
	fmt.Fprintln(stdout, "Models:")
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  model\tok\tfailed\toutput tok/s\tTPS median\tTTFT median ms\tTPOT median ms\tE2E p95 ms\tserver decode TPS\t")
	for _, r := range results {
		s := r.s
		server := "-"
		if s.ServerDecodeTPS.N > 0 {
			server = fmt.Sprintf("%.2f", s.ServerDecodeTPS.Median)
		}
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%.2f\t%s\t%s\t%s\t%s\t%s\t\n", r.model, s.OK, s.Failed, s.OutputThroughput,
			cell(s.TPS, s.TPS.Median), cell(s.TTFT, s.TTFT.Median), cell(s.TPOT, s.TPOT.Median), cell(s.E2E, s.E2E.P95), server)
	}
	tw.Flush()
}

// selftestRow is what one concurrency level of the selftest measured.
type selftestRow struct {
	streams     int
	tokensPerS  float64
	cpuPerToken float64 // client CPU µs per token
	schedP99    time.Duration
	bound       bool
}

// writeSelftestHeading says what the selftest measures, before it starts.
func writeSelftestHeading(w io.Writer, inProcess bool, each time.Duration) {
	where := "a child process"
	if inProcess {
		where = "in this process"
	}
	fmt.Fprintf(w, "Selftest: streaming 256-token answers from a simulator with no delays (%s), %s per level\n\n", where, each)
}

// writeSelftest prints the selftest's table and the machine's ceiling.
func writeSelftest(w io.Writer, rows []selftestRow) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "streams\ttokens/s\tclient CPU µs/token\tready-goroutine wait p99 ms\tclient-bound\t")
	var best selftestRow
	for _, r := range rows {
		bound := "no"
		if r.bound {
			bound = "yes"
		}
		fmt.Fprintf(tw, "%d\t%.0f\t%.2f\t%.2f\t%s\t\n", r.streams, r.tokensPerS, r.cpuPerToken, toMs(r.schedP99), bound)
		if r.tokensPerS > best.tokensPerS {
			best = r
		}
	}
	tw.Flush()
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(w, "\nCeiling of this machine as a client: about %.0f tokens/s (at %d streams). A server measured near it is measured as much as the client.\n", best.tokensPerS, best.streams)
}

// writeSimListening says where 'tpsbench sim' serves.
func writeSimListening(w io.Writer, baseURL string, cfg sim.Config) {
	fmt.Fprintf(w, "Simulated endpoint at %s (style=%s, ttft=%s, rate=%g tokens/s, jitter=%g); Ctrl-C stops it.\n",
		baseURL, cfg.Style, cfg.TTFT, cfg.TokenRate, cfg.Jitter)
}
