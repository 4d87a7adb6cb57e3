package main

import (
	"context"
	"flag"
	"io"
	"strings"
)

// runCompareCommand compares two runs figure by figure:
//
//	tpsbench compare base.json new.json [--fail-on 'tps<-5%']
//
// Each run is a --json summary or a --records file. A difference counts only
// when a Mann-Whitney U test on the per-request samples says it is unlikely
// to be chance (p < 0.05); otherwise the change reads "~". Sweeps are
// compared level by level.
func runCompareCommand(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tpsbench compare", flag.ContinueOnError)
	var rules []failRule
	fs.Func("fail-on", "exit 1 when a significant change crosses these `bounds`, or a bounded figure cannot be compared, e.g. 'tps<-5%,ttft>+10%' (figures: "+strings.Join(figures, ", ")+")", func(s string) error {
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
	var runs [2]comparedRun
	for i, path := range files {
		if runs[i], err = loadRun(path); err != nil {
			return &usageError{msg: err.Error()}
		}
		if runs[i].torn > 0 {
			writeTorn(stderr, []tornLine{{path, runs[i].torn}})
		}
	}
	rows, levelsDiffer := compareRuns(runs[0], runs[1])
	failed := judge(rules, rows, levelsDiffer)
	writeComparison(stdout, files, runs, rows, levelsDiffer, failed)
	if len(failed) > 0 {
		return errFailed
	}
	return nil
}
