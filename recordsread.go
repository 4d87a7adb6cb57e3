package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"time"
)

// recordFile is one run as read from a --records file: its start, its
// fingerprint (when its header has one) and its records' lines. A file
// holds one run, or several when files were concatenated (cat a.jsonl
// b.jsonl > c.jsonl): each header line, or a record whose run_start
// differs from the run before it, starts the next.
type recordFile struct {
	path  string
	run   int // which run of the file, from 1; 0 when the file holds one
	start time.Time
	fp    *fingerprint
	lines []recordLine
}

// name names the run: its file, and which run of it when the file holds
// several.
func (f recordFile) name() string {
	if f.run == 0 {
		return f.path
	}
	return fmt.Sprintf("%s, run %d", f.path, f.run)
}

// tornLine is a file's last line, cut short: what a run killed, or a disk
// that filled, while writing it leaves. It is left out, with a warning.
type tornLine struct {
	path string
	line int
}

// readRecordFiles reads one or more --records files, each once, into their
// runs.
func readRecordFiles(paths []string) ([]recordFile, []tornLine, error) {
	var runs []recordFile
	var torn []tornLine
	for _, p := range paths {
		f, cut, err := readRecordFile(p)
		if err != nil {
			return nil, nil, err
		}
		runs = append(runs, f...)
		if cut > 0 {
			torn = append(torn, tornLine{p, cut})
		}
	}
	return runs, torn, nil
}

// mergeRecords reads runs as one: each run's times are shifted by how much
// later it started than the earliest, so runs from several machines line
// up on the wall clock. It also returns that earliest start.
func mergeRecords(files []recordFile) ([]Record, time.Time) {
	earliest := slices.MinFunc(files, func(a, b recordFile) int { return a.start.Compare(b.start) }).start
	var records []Record
	for _, f := range files {
		shift := f.start.Sub(earliest)
		for i := range f.lines {
			records = append(records, f.lines[i].record(shift))
		}
	}
	return records, earliest
}

// readRecordFile reads the runs of one file, and the number of its last
// line when that was torn (0 when not).
func readRecordFile(path string) ([]recordFile, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	runs, torn, err := parseRecordFile(f)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	for i := range runs {
		runs[i].path = path
		if len(runs) > 1 {
			runs[i].run = i + 1
		}
	}
	return runs, torn, nil
}

// lastByteReader remembers the last byte read through it: whether a file
// ends with a newline, that is whether its last line was written whole.
type lastByteReader struct {
	r    io.Reader
	last byte
}

func (l *lastByteReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	if n > 0 {
		l.last = p[n-1]
	}
	return n, err
}

// parseRecordFile reads a records file into its runs; header lines are not
// records. A last line that does not parse and lacks its newline was torn
// while being written: it is left out, and its number returned. Any other
// line that does not parse is an error.
func parseRecordFile(r io.Reader) (runs []recordFile, torn int, err error) {
	in := &lastByteReader{r: r}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 256<<20)
	var bad error // a line that did not parse: an error unless it is the torn last one
	badLine, records := 0, 0
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		if bad != nil {
			return nil, 0, bad
		}
		var l recordLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			bad, badLine = fmt.Errorf("line %d: not a tpsbench record: %v", n, err), n
			continue
		}
		if l.RunStart.IsZero() {
			return nil, 0, fmt.Errorf("line %d: not a tpsbench record: no run_start", n)
		}
		header := l.Fingerprint != nil || l.Format != ""
		if header || len(runs) == 0 || !runs[len(runs)-1].start.Equal(l.RunStart) {
			runs = append(runs, recordFile{start: l.RunStart})
		}
		if header {
			runs[len(runs)-1].fp = l.Fingerprint.escaped()
			continue
		}
		runs[len(runs)-1].lines = append(runs[len(runs)-1].lines, l)
		records++
	}
	if err := sc.Err(); err != nil {
		return nil, 0, err
	}
	if bad != nil {
		if in.last == '\n' {
			return nil, 0, bad
		}
		torn = badLine
	}
	if records == 0 {
		return nil, 0, errors.New("no records in it")
	}
	// A run that ended before any request did (its header alone) has
	// nothing to report.
	runs = slices.DeleteFunc(runs, func(f recordFile) bool { return len(f.lines) == 0 })
	return runs, torn, nil
}

// span is when a run's requests were in flight, on the wall clock: from the
// first sent to the last ended.
func (f recordFile) span() (from, to time.Time) {
	first, last := time.Duration(math.MaxInt64), time.Duration(0)
	for i := range f.lines {
		r := f.lines[i].record(0)
		first, last = min(first, r.Send), max(last, r.Send, r.End())
	}
	return f.start.Add(first), f.start.Add(last)
}

// overlapping groups runs by whether they were in flight at the same time,
// earliest group first, each group's runs in the order given. Runs made at
// once (several machines against one endpoint) are one run to report;
// runs made at different times pooled would make one meaningless total.
func overlapping(runs []recordFile) [][]recordFile {
	type window struct {
		i        int
		from, to time.Time
	}
	ws := make([]window, len(runs))
	for i, f := range runs {
		from, to := f.span()
		ws[i] = window{i, from, to}
	}
	slices.SortStableFunc(ws, func(a, b window) int { return a.from.Compare(b.from) })
	var groups [][]int
	var end time.Time
	for j, w := range ws {
		if j == 0 || w.from.After(end) {
			groups = append(groups, nil)
			end = w.to
		}
		groups[len(groups)-1] = append(groups[len(groups)-1], w.i)
		if w.to.After(end) {
			end = w.to
		}
	}
	out := make([][]recordFile, len(groups))
	for g, idx := range groups {
		slices.Sort(idx)
		for _, i := range idx {
			out[g] = append(out[g], runs[i])
		}
	}
	return out
}
