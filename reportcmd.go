package main

import (
	"context"
	"flag"
	"io"
)

// runReportCommand rebuilds a report from --records files alone:
//
//	tpsbench report run.jsonl [more.jsonl ...] [--json F] [--csv F] [--slo ...]
//
// Several files are one run, lined up on their wall-clock start times (runs
// started on several machines against one endpoint).
func runReportCommand(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tpsbench report", flag.ContinueOnError)
	var out outputs
	var slo sloBounds
	addFileFlags(fs, &out)
	addSLOFlag(fs, &slo)
	paths, err := parseInterleaved(fs, args, func() {
		printCommandUsage(stdout, fs, "Usage: tpsbench report FILE.jsonl [FILE.jsonl ...] [options]\n\nRebuilds the report of a run from its -records files (several files are one run).")
	})
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usagef("tpsbench report needs at least one -records file")
	}
	files, err := readRecordFiles(paths)
	if err != nil {
		return &usageError{msg: "reading records: " + err.Error()}
	}
	outs, err := openOutputs(out, stdout)
	if err != nil {
		return err
	}
	defer outs.close()
	records, started := mergeRecords(files)
	s := summarise(records, runFacts{slo: slo})
	levels := levelsOf(records, slo)
	text := stdout
	if out.json == "-" {
		text = stderr
	}
	writeRebuilt(text, files, len(records), started, s, levels)
	return outs.write(&finishedRun{started: started, s: s, levels: levels, records: records})
}
