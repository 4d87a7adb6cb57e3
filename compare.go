package main

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// alpha is the significance level of compare's verdicts (benchstat's).
const alpha = 0.05

// minSamples is how many samples a side a test needs to give a gateFailure.
const minSamples = 5

// comparison is one figure of compare's table, at one sweep level ("" for
// a run that is no sweep).
type comparison struct {
	name, unit, level string
	base, next        float64 // medians; the throughputs for the whole-run figure
	nBase, nNext      int
	change            float64 // relative change
	p                 float64
	significant       bool
	none              bool // a run lacks the figure
	whole             bool // one number a run (throughput): no test, the change is as it is
}

// label names the figure and its level, as a --fail-on gateFailure says it.
func (c comparison) label() string {
	if c.level == "" {
		return c.name
	}
	return c.name + " at " + c.level
}

// figures are compare's figures: the four tested on per-request samples,
// and the output throughput over the run.
var figures = []string{"tps", "ttft", "tpot", "e2e", "throughput"}

// compareRuns compares two runs figure by figure: sweeps level by level on
// the levels both have. levelsDiffer says the runs' levels are not the
// same (one a sweep and the other not, or other levels): then the figures
// are pooled over every level, or compared on the common ones only.
func compareRuns(base, next comparedRun) (rows []comparison, levelsDiffer bool) {
	levelsDiffer = !slices.Equal(base.levelLabels(), next.levelLabels())
	for _, l := range base.levels {
		if n, ok := next.level(l.label); ok {
			rows = append(rows, compareFigures(l.label, l.runFigures, n)...)
		}
	}
	if len(rows) == 0 {
		rows = compareFigures("", base.all, next.all)
	}
	return rows, levelsDiffer
}

// compareFigures compares the figures of two runs (or of one sweep level).
func compareFigures(level string, base, next runFigures) []comparison {
	var rows []comparison
	for _, f := range []struct {
		name, unit string
		a, b       []float64
	}{
		{"tps", "tokens/s", base.samples.TPS, next.samples.TPS},
		{"ttft", "ms", base.samples.TTFTMs, next.samples.TTFTMs},
		{"tpot", "ms", base.samples.TPOTMs, next.samples.TPOTMs},
		{"e2e", "ms", base.samples.E2EMs, next.samples.E2EMs},
	} {
		c := comparison{name: f.name, unit: f.unit, level: level, nBase: len(f.a), nNext: len(f.b)}
		if len(f.a) == 0 || len(f.b) == 0 {
			c.none = true
			rows = append(rows, c)
			continue
		}
		c.base, c.next = median(f.a), median(f.b)
		if c.base != 0 {
			c.change = c.next/c.base - 1
		}
		c.p = mannWhitneyP(f.a, f.b)
		c.significant = c.p < alpha
		rows = append(rows, c)
	}
	t := comparison{name: "throughput", unit: "tokens/s", level: level, whole: true, base: base.throughput, next: next.throughput}
	if !(t.base > 0) || !(t.next > 0) || math.IsInf(t.base, 0) || math.IsInf(t.next, 0) {
		t.none = true
	} else {
		t.change = t.next/t.base - 1
	}
	return append(rows, t)
}

// failRule is one --fail-on bound, e.g. tps<-5%.
type failRule struct {
	figure string
	less   bool
	limit  float64 // relative
	text   string
}

func (r failRule) crossed(change float64) bool {
	if r.less {
		return change < r.limit
	}
	return change > r.limit
}

func parseFailOn(s string) ([]failRule, error) {
	var rules []failRule
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		i := strings.IndexAny(part, "<>")
		if i <= 0 || !strings.HasSuffix(part, "%") {
			return nil, fmt.Errorf("%q is not figure<-N%% or figure>+N%%", part)
		}
		figure := part[:i]
		if !slices.Contains(figures, figure) {
			return nil, fmt.Errorf("unknown figure %q: use %s", figure, strings.Join(figures, ", "))
		}
		num := strings.TrimSuffix(part[i+1:], "%")
		pct, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return nil, fmt.Errorf("%q: %q is not a number", part, num)
		}
		if math.IsNaN(pct) || math.IsInf(pct, 0) {
			return nil, fmt.Errorf("%q: not a finite percentage", part)
		}
		rules = append(rules, failRule{figure: figure, less: part[i] == '<', limit: pct / 100, text: part})
	}
	return rules, nil
}

// gateFailure is a --fail-on bound that fails the gate: crossed by a change
// (why is empty), or that could not be checked, and why.
type gateFailure struct {
	row  comparison
	rule failRule
	why  string
}

// judge holds every row of a rule's figure to the rule. A gate passes only
// on what it could check: a figure missing from a run, resting on too few
// samples for a gateFailure, or pooled over sweep levels that differ fails it.
func judge(rules []failRule, rows []comparison, levelsDiffer bool) []gateFailure {
	var failed []gateFailure
	for _, rule := range rules {
		if levelsDiffer {
			failed = append(failed, gateFailure{rule: rule, why: "the runs' sweep levels differ"})
			continue
		}
		for _, r := range rows {
			switch {
			case r.name != rule.figure:
			case r.none:
				failed = append(failed, gateFailure{r, rule, r.label() + " is not in both runs"})
			case !r.whole && min(r.nBase, r.nNext) < minSamples:
				failed = append(failed, gateFailure{r, rule, fmt.Sprintf("%s rests on fewer than %d samples a side", r.label(), minSamples)})
			case (r.whole || r.significant) && rule.crossed(r.change):
				failed = append(failed, gateFailure{row: r, rule: rule})
			}
		}
	}
	return failed
}
