package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// renderer writes one output format of a finished run.
type renderer func(w io.Writer, r *finishedRun) error

// outputTable is every file format a run can write, by its flag.
func outputTable(out outputs) []struct {
	flag, path string
	render     renderer
} {
	return []struct {
		flag, path string
		render     renderer
	}{
		{"json", out.json, renderJSON},
		{"csv", out.csv, func(w io.Writer, r *finishedRun) error { return writeCSV(w, r.records) }},
		{"html", out.html, renderHTML},
	}
}

// checkPaths refuses outputs that would overwrite each other, or one of
// inputs (the records files a report is rebuilt from): two flags naming the
// same file (or both stdout) would leave one of them lost.
func (out outputs) checkPaths(inputs ...string) error {
	seen := map[string]string{}
	for _, in := range inputs {
		seen[samePathKey(in)] = "a records file it reads"
	}
	for _, o := range []struct{ flag, path string }{{"json", out.json}, {"csv", out.csv}, {"html", out.html}, {"records", out.records}} {
		if o.path == "" {
			continue
		}
		key := samePathKey(o.path)
		if other, ok := seen[key]; ok {
			return usagef("-%s %s: the same file as %s; give each its own", o.flag, o.path, other)
		}
		seen[key] = "-" + o.flag
	}
	return nil
}

// samePathKey names a file the same way however its path is spelled
// (relative or absolute, with ./ or ..); "-" is stdout.
func samePathKey(path string) string {
	if path == "-" {
		return path
	}
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return filepath.Clean(path)
}

// outputFile is one file to write when the run ends.
type outputFile struct {
	flag   string
	w      io.Writer
	file   *pendingFile // nil for stdout
	render renderer
}

// runFiles are a run's output files. They are all created before the first
// request is sent, so a path that cannot be written fails the run at once
// instead of losing its result at the end.
type runFiles struct {
	files   []*outputFile
	records *recordSink // --records, written as each request ends
}

// openOutputs creates every file out names ("-" is stdout).
func openOutputs(out outputs, stdout io.Writer) (*runFiles, error) {
	f := &runFiles{}
	for _, o := range outputTable(out) {
		if o.path == "" {
			continue
		}
		of := &outputFile{flag: o.flag, w: stdout, render: o.render}
		if o.path != "-" {
			file, err := createPending(o.path)
			if err != nil {
				f.close()
				return nil, usagef("-%s: %v", o.flag, err)
			}
			of.w, of.file = file, file
		}
		f.files = append(f.files, of)
	}
	if out.records != "" {
		sink, err := openRecordSink(out.records)
		if err != nil {
			f.close()
			return nil, err
		}
		f.records = sink
	}
	return f, nil
}

// startRecords writes the records file's header line, once the run's start
// and fingerprint are known, and returns the sink (nil without --records).
func (f *runFiles) startRecords(runStart time.Time, fp *fingerprint) (*recordSink, error) {
	if f.records == nil {
		return nil, nil
	}
	return f.records, f.records.begin(runStart, fp)
}

// write renders every file of the finished run, and closes them all with
// the records file.
func (f *runFiles) write(r *finishedRun) error {
	errs := []error{f.records.close()}
	f.records = nil
	for _, o := range f.files {
		err := o.render(o.w, r)
		if err != nil {
			err = fmt.Errorf("writing -%s: %w", o.flag, err)
		}
		if o.file != nil {
			if err != nil {
				o.file.abandon()
			} else if cerr := o.file.commit(); cerr != nil {
				err = fmt.Errorf("writing -%s: %w", o.flag, cerr)
			}
		}
		errs = append(errs, err)
	}
	f.files = nil
	return errors.Join(errs...)
}

// close closes what write did not: a run that ended in an error leaves
// the files it would have written as they were.
func (f *runFiles) close() {
	f.records.close()
	for _, o := range f.files {
		if o.file != nil {
			o.file.abandon()
		}
	}
	f.files, f.records = nil, nil
}

// writeJSONFile writes v as indented JSON to path, or to stdout for "-".
func writeJSONFile(path, flag string, v any, stdout io.Writer) error {
	enc := func(w io.Writer) error {
		e := json.NewEncoder(w)
		e.SetIndent("", "  ")
		return e.Encode(v)
	}
	if path == "-" {
		return enc(stdout)
	}
	f, err := createPending(path)
	if err != nil {
		return fmt.Errorf("-%s: %w", flag, err)
	}
	if err := enc(f); err != nil {
		f.abandon()
		return fmt.Errorf("writing -%s: %w", flag, err)
	}
	if err := f.commit(); err != nil {
		return fmt.Errorf("writing -%s: %w", flag, err)
	}
	return nil
}

// pendingFile is an output written beside its path and moved onto it only
// once complete: a run that fails, or two outputs named alike, never leave
// a file half written or an earlier one emptied. A path that exists and is
// not a regular file (/dev/stdout, a pipe) is written in place.
type pendingFile struct {
	*os.File
	path string
	tmp  string // the file being written; "" when in place
}

// createPending checks that path can be written, and opens where it will
// be written: a temporary file beside it, or the path itself when it is
// not a regular file or its folder takes no new file (written in place, as
// a plain create would).
func createPending(path string) (*pendingFile, error) {
	mode := fs.FileMode(0o644)
	fi, statErr := os.Stat(path)
	if statErr == nil {
		mode = fi.Mode().Perm()
	}
	if statErr != nil || fi.Mode().IsRegular() {
		if f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp"); err == nil {
			if err := f.Chmod(mode); err != nil {
				f.Close()
				os.Remove(f.Name())
				return nil, err
			}
			return &pendingFile{File: f, path: path, tmp: f.Name()}, nil
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &pendingFile{File: f, path: path}, nil
}

// commit closes the file and puts it in place.
func (p *pendingFile) commit() error {
	if err := p.Close(); err != nil {
		p.abandon()
		return err
	}
	if p.tmp == "" {
		return nil
	}
	return os.Rename(p.tmp, p.path)
}

// abandon closes the file and removes what was written of it.
func (p *pendingFile) abandon() {
	p.Close()
	if p.tmp != "" {
		os.Remove(p.tmp)
	}
}
