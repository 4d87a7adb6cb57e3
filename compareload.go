package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
)

// comparedRun is one side of compare: a run's figures, pooled and per
// sweep level, with what says how it was made.
type comparedRun struct {
	all     runFigures
	levels  []levelFigures // a sweep's levels, in order; none otherwise
	fp      *fingerprint
	config  map[string]any // the run's configuration as in --json; nil when unknown
	partial bool           // config holds only what records tell (stream, max_tokens)
	torn    int            // the records file's torn last line, left out; 0 when none
}

// runFigures are the figures compare tests: the per-request samples and
// the output throughput over the run (NaN when unknown).
type runFigures struct {
	samples    jsonSamples
	throughput float64
}

// levelFigures are one sweep level's figures.
type levelFigures struct {
	label string
	runFigures
}

// levelLabels lists a run's sweep levels.
func (r comparedRun) levelLabels() []string {
	labels := make([]string, len(r.levels))
	for i, l := range r.levels {
		labels[i] = l.label
	}
	return labels
}

// level returns the figures of the level labelled label.
func (r comparedRun) level(label string) (runFigures, bool) {
	for _, l := range r.levels {
		if l.label == label {
			return l.runFigures, true
		}
	}
	return runFigures{}, false
}

// loadRun reads a run from a --json summary or a --records file. A summary
// of several models, or a records file of runs made at different times,
// is not one run.
func loadRun(path string) (comparedRun, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return comparedRun{}, err
	}
	var doc struct {
		jsonSummary
		Models []json.RawMessage `json:"models"`
	}
	if json.Unmarshal(data, &doc) == nil && doc.Tool == "tpsbench" {
		if len(doc.Models) > 0 {
			return comparedRun{}, fmt.Errorf("%s holds the summaries of %d models (--model a,b): compare takes one run a side", path, len(doc.Models))
		}
		return fromSummary(doc.jsonSummary), nil
	}
	runs, torn, err := readRecordFile(path)
	if err != nil {
		return comparedRun{}, fmt.Errorf("%s is neither a tpsbench --json summary nor a --records file: %v", path, err)
	}
	if groups := overlapping(runs); len(groups) > 1 {
		return comparedRun{}, fmt.Errorf("%s holds %d runs that did not overlap in time: compare takes one run a side", path, len(groups))
	}
	run := fromRecords(runs)
	run.torn = torn
	return run, nil
}

// fromSummary takes a run's figures and configuration from its --json
// summary.
func fromSummary(doc jsonSummary) comparedRun {
	run := comparedRun{all: runFigures{doc.Samples, float64(doc.OutputThroughputTokS)}, fp: doc.Fingerprint}
	for _, l := range doc.Levels {
		run.levels = append(run.levels, levelFigures{l.Level, runFigures{l.Samples, float64(l.OutputThroughputTokS)}})
	}
	if doc.Config != nil {
		b, _ := json.Marshal(doc.Config)
		json.Unmarshal(b, &run.config)
	}
	return run
}

// fromRecords summarises a run from its records; of its configuration they
// tell whether it streamed and the max_tokens asked, when every request
// asked the same.
func fromRecords(runs []recordFile) comparedRun {
	records, _ := mergeRecords(runs)
	s := summarizeRecords(records, sloBounds{})
	run := comparedRun{all: runFigures{s.Samples, throughputOf(s)}, fp: runs[0].fp, partial: true}
	for _, l := range levelsOf(records, sloBounds{}) {
		run.levels = append(run.levels, levelFigures{l.label, runFigures{l.s.Samples, throughputOf(l.s)}})
	}
	run.config = map[string]any{"stream": records[0].StreamAsked(), "max_tokens": float64(records[0].MaxTokens)}
	for _, r := range records {
		if r.MaxTokens != records[0].MaxTokens || r.MaxTokens == 0 { // 0: a file from before records kept it
			delete(run.config, "max_tokens")
		}
		if r.StreamAsked() != records[0].StreamAsked() {
			delete(run.config, "stream")
		}
	}
	return run
}

// throughputOf is a summary's output throughput, NaN when it has none.
func throughputOf(s Summary) float64 {
	if s.Duration <= 0 {
		return math.NaN()
	}
	return s.OutputThroughput
}

// configDifference is one setting two runs were made with differently,
// each value as JSON ("" when the run's configuration lacks it).
type configDifference struct{ key, a, b string }

// configDifferences lists the settings two runs differ in: every setting
// when both configurations are whole, those both know when one is partial
// (from records).
func configDifferences(a, b comparedRun) []configDifference {
	if a.config == nil || b.config == nil {
		return nil
	}
	var keys []string
	for k := range a.config {
		if _, both := b.config[k]; both || !(a.partial || b.partial) {
			keys = append(keys, k)
		}
	}
	for k := range b.config {
		if _, both := a.config[k]; !both && !(a.partial || b.partial) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	text := func(m map[string]any, k string) string {
		v, ok := m[k]
		if !ok {
			return ""
		}
		j, _ := json.Marshal(v)
		return string(j)
	}
	var diffs []configDifference
	for _, k := range keys {
		if va, vb := text(a.config, k), text(b.config, k); va != vb {
			diffs = append(diffs, configDifference{k, va, vb})
		}
	}
	return diffs
}
