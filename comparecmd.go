package main

import (
	"context"
	"flag"
	"io"
)

// runCompareCommand compares two runs figure by figure:
//
//	tpsbench compare base.json new.json [--fail-on 'tps<-5%']
//
// Each run is a --json summary or a --records file. A difference counts only
// when a Mann-Whitney U test on the per-request samples says it is unlikely
// to be chance (p < 0.05); otherwise the change reads "~".
func runCompareCommand(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tpsbench compare", flag.ContinueOnError)
	var rules []failRule
	fs.Func("fail-on", "exit 1 when a significant change crosses these `bounds`, e.g. 'tps<-5%,ttft>+10%'", func(s string) error {
		var err error
		rules, err = parseFailOn(s)
		return err
	})
	files, err := parseInterleaved(fs, args, func() {
		printCommandUsage(stdout, fs, "Usage: tpsbench compare BASE NEW [options]\n\nCompares two runs (--json summaries or --records files) figure by figure.")
	})
	if err != nil {
		return err
	}
	if len(files) != 2 {
		return usagef("tpsbench compare takes two runs, BASE and NEW, got %d", len(files))
	}
	base, baseFP, baseTorn, err := loadRun(files[0])
	if err != nil {
		return &usageError{msg: err.Error()}
	}
	next, nextFP, nextTorn, err := loadRun(files[1])
	if err != nil {
		return &usageError{msg: err.Error()}
	}
	for i, torn := range []int{baseTorn, nextTorn} {
		if torn > 0 {
			writeTorn(stderr, []tornLine{{files[i], torn}})
		}
	}
	rows := compareRuns(base, next)
	var broken []brokenRule
	for _, rule := range rules {
		for _, r := range rows {
			if r.name == rule.figure && r.significant && rule.crossed(r.change) {
				broken = append(broken, brokenRule{r, rule})
			}
		}
	}
	writeComparison(stdout, files, rows, [2]*fingerprint{baseFP, nextFP}, broken)
	if len(broken) > 0 {
		return errFailed
	}
	return nil
}
