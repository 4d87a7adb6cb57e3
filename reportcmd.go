package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// runReportCommand rebuilds a report from --records files alone:
//
//	tpsbench report run.jsonl [more.jsonl ...] [--json F] [--csv F] [--slo ...]
//
// Several files are one run, lined up on their wall-clock start times (runs
// started on several machines against one endpoint).
func runReportCommand(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("tpsbench report", flag.ContinueOnError)
	cfg := &config{}
	fs.StringVar(&cfg.out.json, "json", "", "write the summary as JSON to `file` (- for stdout; the text report then goes to stderr)")
	fs.StringVar(&cfg.out.csv, "csv", "", "write one CSV row per request to `file`")
	fs.StringVar(&cfg.out.html, "html", "", "write a self-contained HTML report with charts to `file`")
	fs.Func("slo", "count requests within these `bounds` for goodput, e.g. ttft=500ms,tpot=50ms,e2e=10s", func(s string) error {
		var err error
		cfg.load.slo, err = parseSLO(s)
		return err
	})
	files, err := parseInterleaved(fs, args, func() {
		printCommandUsage(stdout, fs, "Usage: tpsbench report FILE.jsonl [FILE.jsonl ...] [options]\n\nRebuilds the report of a run from its -records files (several files are one run).")
	})
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usagef("tpsbench report needs at least one -records file")
	}
	records, err := readRecordFiles(files)
	if err != nil {
		return &usageError{msg: "reading records: " + err.Error()}
	}
	var started time.Time
	for _, f := range files {
		if lines, err := readRecordFile(f); err == nil && (started.IsZero() || lines[0].RunStart.Before(started)) {
			started = lines[0].RunStart
		}
	}
	text := stdout
	if cfg.out.json == "-" {
		text = os.Stderr
	}
	fmt.Fprintf(text, "Report rebuilt from %d records in %d file(s); the run started at %s\n", len(records), len(files), started.Format(time.RFC3339))
	var fps []*fingerprint
	for _, f := range files {
		if fp := recordFingerprint(f); fp != nil {
			fmt.Fprintf(text, "Fingerprint (%s): %s\n", f, fp)
			fps = append(fps, fp)
		}
	}
	for _, fp := range fps[min(1, len(fps)):] {
		if diffs := fps[0].differences(*fp); len(diffs) > 0 {
			fmt.Fprintf(text, "WARNING: the files differ in %s: they may not be one run\n", strings.Join(diffs, ", "))
		}
	}
	s := summarizeRecords(records, cfg.load.slo)
	levels := levelsOf(records, cfg.load.slo)
	if len(levels) > 0 {
		writeSweep(text, levels, cfg.load.slo.set())
	} else {
		writeText(text, s)
	}
	return writeFiles(nil, cfg.out, started, s, levels, records, nil)
}
