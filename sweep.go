package main

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// levelsOf splits records by sweep level, in order of first appearance, and
// summarises each; records of no level give no levels.
func levelsOf(records []Record, slo sloBounds) []sweepLevel {
	var order []string
	byLevel := map[string][]Record{}
	for _, r := range records {
		if r.Level == "" || r.Warmup {
			continue
		}
		if _, seen := byLevel[r.Level]; !seen {
			order = append(order, r.Level)
		}
		byLevel[r.Level] = append(byLevel[r.Level], r)
	}
	var levels []sweepLevel
	for _, l := range order {
		levels = append(levels, sweepLevel{label: l, s: summarizeRecords(byLevel[l], slo)})
	}
	return levels
}

// knee finds the level past which more load stopped paying: the first
// level whose output throughput grew by less than 10% over the previous
// one while its latency (p95 TTFT when streamed, else p95 E2E) grew by more
// than 20%. It returns the index of the previous level, or -1.
func knee(levels []sweepLevel) int {
	latency := func(s Summary) float64 {
		if s.TTFT.N > 0 {
			return s.TTFT.P95
		}
		return s.E2E.P95
	}
	for i := 1; i < len(levels); i++ {
		prev, cur := levels[i-1].s, levels[i].s
		if prev.OutputThroughput <= 0 || latency(prev) <= 0 {
			continue
		}
		gain := cur.OutputThroughput/prev.OutputThroughput - 1
		climb := latency(cur)/latency(prev) - 1
		if gain < 0.10 && climb > 0.20 {
			return i - 1
		}
	}
	return -1
}

// writeSweep prints one row per level.
func writeSweep(w io.Writer, levels []sweepLevel, slo bool) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Sweep:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "  level\tok\tfailed\toutput tok/s\treq/s\tTPS median\tTTFT median ms\tTTFT p95 ms\tTPOT median ms\tE2E p95 ms"
	if slo {
		head += "\tgoodput req/s"
	}
	fmt.Fprintln(tw, head+"\t")
	k := knee(levels)
	for i, l := range levels {
		s := l.s
		row := fmt.Sprintf("  %s\t%d\t%d\t%.2f\t%.3f\t%s\t%s\t%s\t%s\t%s", l.label, s.OK, s.Failed,
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
