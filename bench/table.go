package main

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
)

// pair is one repetition of a point: tpsbench's run and, where the point
// has one, the reference's.
type pair struct {
	own, ref *result
}

// points measures each point, the two clients taking turns in alternating
// order, and prints its rows of medians.
func (b *bench) points() {
	tw := tabwriter.NewWriter(b.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "point\tclient\tok\tfailed\ttokens/s\treq/s\tCPU s/Mtok\tsim CPU s/Mtok\tsim busy\tpeak RSS MB\tKB/conn\tconnect ms\tTTFT err ms\tbudget\t")
	for _, p := range points() {
		if b.only != "" && !strings.Contains(p.name, b.only) {
			continue
		}
		var reps []pair
		for i := range cmp.Or(p.setRuns, b.reps) {
			var rep pair
			order := []bool{false}
			if p.ref != nil {
				order = []bool{i%2 == 1, i%2 == 0} // the reference first every other time
			}
			for _, ref := range order {
				r, err := b.measure(p, ref)
				if err != nil {
					fmt.Fprintf(b.stderr, "%s (reference %v): %v\n", p.name, ref, err)
					continue
				}
				if ref {
					rep.ref = &r
				} else {
					rep.own = &r
				}
			}
			reps = append(reps, rep)
		}
		own := collect(reps, func(r pair) *result { return r.own })
		ref := collect(reps, func(r pair) *result { return r.ref })
		if len(own) > 0 {
			fmt.Fprint(tw, row(p, p.name, "tpsbench", own))
		}
		if len(ref) > 0 {
			fmt.Fprint(tw, row(p, "", "reference", ref))
			fmt.Fprint(tw, ratioRow(p, reps))
		}
		fmt.Fprintf(b.stderr, "done: %s\n", p.name)
	}
	tw.Flush()
}

func collect(reps []pair, side func(pair) *result) []result {
	var rs []result
	for _, r := range reps {
		if x := side(r); x != nil {
			rs = append(rs, *x)
		}
	}
	return rs
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	xs = slices.Clone(xs)
	slices.Sort(xs)
	return xs[len(xs)/2]
}

func medianOf(runs []result, f func(result) float64) float64 {
	xs := make([]float64, len(runs))
	for i, r := range runs {
		xs[i] = f(r)
	}
	return median(xs)
}

func cpuPerM(r result) float64 { return r.cpu.Seconds() / float64(max(r.tokens, 1)) * 1e6 }
func simPerM(r result) float64 { return r.simCPU.Seconds() / float64(max(r.tokens, 1)) * 1e6 }
func simBusy(r result) float64 { return r.simCPU.Seconds() / max(r.wall.Seconds(), 1e-9) }

// row is one client's line of medians for a point.
func row(p point, name, client string, runs []result) string {
	med := func(f func(result) float64) float64 { return medianOf(runs, f) }
	ttft, perM, simM, kbPerConn := "-", "-", "-", "-"
	if !p.noTTFT {
		ttft = fmt.Sprintf("%.2f", med(func(r result) float64 { return r.ttftClient - r.ttftSim }))
	}
	if p.perTok {
		perM, simM = fmt.Sprintf("%.2f", med(cpuPerM)), fmt.Sprintf("%.2f", med(simPerM))
	}
	if p.perConn {
		kbPerConn = fmt.Sprintf("%.1f", med(func(r result) float64 { return float64(r.rssKB) / float64(max(r.opened, 1)) }))
	}
	return fmt.Sprintf("%s\t%s\t%.0f\t%.0f\t%.0f\t%.0f\t%s\t%s\t%.2f\t%.1f\t%s\t%.2f\t%s\t%s\t\n", name, client,
		med(func(r result) float64 { return float64(r.ok) }),
		med(func(r result) float64 { return float64(r.failed) }),
		med(func(r result) float64 { return r.tokensPerSec }),
		med(func(r result) float64 { return r.reqPerSec }),
		perM, simM, med(simBusy),
		med(func(r result) float64 { return float64(r.rssKB) / 1024 }),
		kbPerConn,
		med(func(r result) float64 { return r.connectMs }),
		ttft, p.budget)
}

// ratioRow is tpsbench's figures divided by the reference's: for each
// figure the median of the repetitions' own ratios.
func ratioRow(p point, reps []pair) string {
	ratio := func(f func(result) float64) string {
		var xs []float64
		for _, r := range reps {
			if r.own != nil && r.ref != nil && f(*r.ref) != 0 {
				xs = append(xs, f(*r.own)/f(*r.ref))
			}
		}
		if len(xs) == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2fx", median(xs))
	}
	perM, simM := "-", "-"
	if p.perTok {
		perM, simM = ratio(cpuPerM), ratio(simPerM)
	}
	return fmt.Sprintf("\ttpsbench / ref\t\t\t%s\t%s\t%s\t%s\t%s\t%s\t\t\t\t\t\n",
		ratio(func(r result) float64 { return r.tokensPerSec }), ratio(func(r result) float64 { return r.reqPerSec }),
		perM, simM, ratio(simBusy), ratio(func(r result) float64 { return float64(r.rssKB) }))
}
