package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
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

// outputFile is one file to write when the run ends.
type outputFile struct {
	flag   string
	w      io.Writer
	file   *os.File // nil for stdout
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
			file, err := os.Create(o.path)
			if err != nil {
				f.close()
				return nil, fmt.Errorf("-%s: %w", o.flag, err)
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
			if cerr := o.file.Close(); err == nil && cerr != nil {
				err = fmt.Errorf("writing -%s: %w", o.flag, cerr)
			}
		}
		errs = append(errs, err)
	}
	f.files = nil
	return errors.Join(errs...)
}

// close closes what write did not: a run that ended in an error leaves
// its files empty.
func (f *runFiles) close() {
	f.records.close()
	for _, o := range f.files {
		if o.file != nil {
			o.file.Close()
		}
	}
	f.files, f.records = nil, nil
}

// writeJSONFile writes v as indented JSON to path, or to stdout for "-".
func writeJSONFile(path, flag string, v any, stdout io.Writer) error {
	w := stdout
	if path != "-" {
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("-%s: %w", flag, err)
		}
		defer f.Close()
		w = f
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
