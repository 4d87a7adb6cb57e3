package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// runReportCommand rebuilds a report from --records files alone:
//
//	tpsbench report run.jsonl [more.jsonl ...] [--json F] [--csv F] [--slo ...]
//
// Several files are one run, lined up on their wall-clock start times (runs
// started on several machines against one endpoint), when they overlapped
// in time; runs that did not are reported one by one.
func runReportCommand(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tpsbench report", flag.ContinueOnError)
	var out outputs
	var slo sloBounds
	addFileFlags(fs, &out)
	addSLOFlag(fs, &slo)
	paths, err := parseInterleaved(fs, args, func() {
		printCommandUsage(stdout, fs, "Usage: tpsbench report FILE.jsonl [FILE.jsonl ...] [options]\n\nRebuilds the report of a run from its -records files (several files are one run when they overlapped in time; runs made apart are reported one by one).")
	})
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usagef("tpsbench report needs at least one -records file")
	}
	if err := out.checkPaths(paths...); err != nil {
		return err
	}
	files, torn, err := readRecordFiles(paths)
	if err != nil {
		return &usageError{msg: "reading records: " + err.Error()}
	}
	writeTorn(stderr, torn)
	groups := overlapping(files)
	if len(groups) > 1 && (out.json != "" || out.csv != "" || out.html != "") {
		return usagef("the records hold %d runs that did not overlap in time (%s): -json, -csv and -html hold one run; report one at a time, or tpsbench compare two",
			len(groups), describeApart(groups))
	}
	outs, err := openOutputs(out, stdout)
	if err != nil {
		return err
	}
	defer outs.close()
	text := stdout
	if out.json == "-" {
		text = stderr
	}
	if len(groups) > 1 {
		writeRunsApart(text, len(groups))
		for i, g := range groups {
			writeRunApart(text, i, len(groups), g)
			rebuild(text, g, slo)
		}
		return nil
	}
	return outs.write(rebuild(text, files, slo))
}

// rebuild summarises runs as one and writes its text report.
func rebuild(text io.Writer, runs []recordFile, slo sloBounds) *finishedRun {
	records, started := mergeRecords(runs)
	s := summarise(records, runFacts{slo: slo})
	levels := levelsOf(records, slo)
	writeRebuilt(text, runs, len(records), started, s, levels)
	return &finishedRun{started: started, s: s, levels: levels, records: records}
}

// describeApart names each group of runs and when it started.
func describeApart(groups [][]recordFile) string {
	parts := make([]string, len(groups))
	for i, g := range groups {
		from, _ := g[0].span()
		for _, f := range g[1:] {
			if t, _ := f.span(); t.Before(from) {
				from = t
			}
		}
		parts[i] = fmt.Sprintf("%s from %s", runNames(g), from.UTC().Format(time.RFC3339))
	}
	return strings.Join(parts, ", ")
}
