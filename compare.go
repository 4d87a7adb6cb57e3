package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// alpha is the significance level of compare's verdicts (benchstat's).
const alpha = 0.05

// brokenRule is a --fail-on bound a significant change crossed.
type brokenRule struct {
	row  comparison
	rule failRule
}

// loadRun reads the samples of a run, and its fingerprint when it has one,
// from a --json summary or a --records file (and the number of the
// records file's torn last line, left out, or 0).
func loadRun(path string) (jsonSamples, *fingerprint, int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return jsonSamples{}, nil, 0, err
	}
	var doc jsonSummary
	if json.Unmarshal(data, &doc) == nil && doc.Tool == "tpsbench" {
		return doc.Samples, doc.Fingerprint, 0, nil
	}
	runs, torn, err := readRecordFile(path)
	if err != nil {
		return jsonSamples{}, nil, 0, fmt.Errorf("%s is neither a tpsbench --json summary nor a --records file: %v", path, err)
	}
	if groups := overlapping(runs); len(groups) > 1 {
		return jsonSamples{}, nil, 0, fmt.Errorf("%s holds %d runs that did not overlap in time: compare takes one run a side", path, len(groups))
	}
	records, _ := mergeRecords(runs)
	return summarizeRecords(records, sloBounds{}).Samples, runs[0].fp, torn, nil
}

// comparison is one figure of compare's table.
type comparison struct {
	name, unit        string
	base, next        float64 // medians
	nBase, nNext      int
	change            float64 // relative change of the median
	p                 float64
	significant, none bool // none: a run lacks the figure
}

func compareRuns(base, next jsonSamples) []comparison {
	var rows []comparison
	for _, f := range []struct {
		name, unit string
		a, b       []float64
	}{
		{"tps", "tokens/s", base.TPS, next.TPS},
		{"ttft", "ms", base.TTFTMs, next.TTFTMs},
		{"tpot", "ms", base.TPOTMs, next.TPOTMs},
		{"e2e", "ms", base.E2EMs, next.E2EMs},
	} {
		c := comparison{name: f.name, unit: f.unit, nBase: len(f.a), nNext: len(f.b)}
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
	return rows
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
		if !slices.Contains([]string{"tps", "ttft", "tpot", "e2e"}, figure) {
			return nil, fmt.Errorf("unknown figure %q: use tps, ttft, tpot or e2e", figure)
		}
		pct, err := strconv.ParseFloat(strings.TrimSuffix(part[i+1:], "%"), 64)
		if err != nil {
			return nil, fmt.Errorf("%q: %v", part, err)
		}
		rules = append(rules, failRule{figure: figure, less: part[i] == '<', limit: pct / 100, text: part})
	}
	return rules, nil
}
