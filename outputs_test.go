package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// Every output path is created before the first request: a path that
// cannot be written fails the run at once (exit 2, one line naming the
// flag), and the server sees no request.
func TestOutputsCheckedBeforeFirstRequest(t *testing.T) {
	t.Parallel()
	bad := testPath(t, "no-such-dir/out")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--json", bad}, "tpsbench: -json: open " + bad},
		{[]string{"--csv", bad}, "tpsbench: -csv: open " + bad},
		{[]string{"--html", bad}, "tpsbench: -html: open " + bad},
		{[]string{"--records", bad}, "tpsbench: -records: open " + bad},
		{[]string{"--model", "a,b", "--json", bad}, "tpsbench: -json: open " + bad},
	} {
		t.Run(tt.args[len(tt.args)-2], func(t *testing.T) {
			t.Parallel()
			var requests atomic.Int64
			url := serve(t, func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				io.WriteString(w, okAnswer)
			})
			out, errOut := runExpect(t, 2, append([]string{"2", "--requests", "2", "--base-url", url}, tt.args...)...)
			if !strings.HasPrefix(errOut, tt.want) || strings.Count(errOut, "\n") != 2 || requests.Load() != 0 || strings.Contains(out, "Results:") {
				t.Errorf("stderr %q, %d requests, stdout:\n%s\nwant %q and no request", errOut, requests.Load(), out, tt.want)
			}
		})
	}
	// report checks its files before it writes anything, too.
	recs := testPath(t, "run.jsonl")
	runExpect(t, 0, withSim(fastSim, "2", "--requests", "2", "--records", recs)...)
	out, errOut := runExpect(t, 2, "report", recs, "--csv", bad)
	if out != "" || !strings.HasPrefix(errOut, "tpsbench: -csv: open "+bad) {
		t.Errorf("report with a bad --csv: stdout %q, stderr %q", out, errOut)
	}
}

// A run that fails after its files were opened leaves an earlier file as
// it was, and nothing of its own beside it.
func TestFailedRunKeepsEarlierFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	prev := filepath.Join(dir, "run.json")
	writeFile(t, prev, "PREV")
	runExpect(t, 1, "2", "--requests", "2", "--base-url", "http://127.0.0.1:1/v1", "--json", prev, "--csv", filepath.Join(dir, "run.csv"))
	if got := string(readFile(t, prev)); got != "PREV" {
		t.Errorf("the earlier --json file now holds %q; want it untouched", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files left in %s: %v; want only the earlier run.json", dir, entries)
	}
}

// Two outputs on one path would leave one of them lost: the command line
// is refused (exit 2, nothing sent), however the path is spelled, and so is
// a report that would overwrite the records it reads.
func TestOutputsOnOnePath(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "out")
	again := dir + "/./sub/../out"
	recs := filepath.Join(dir, "run.jsonl")
	runExpect(t, 0, withSim(fastSim, "2", "--requests", "2", "--records", recs)...)
	checkUsageErrorsIn(t, "usage-errors-paths.golden", dir, []badArgs{
		{withSim(fastSim, "2", "--json", path, "--csv", again), "-csv " + again + ": the same file as -json; give each its own"},
		{withSim(fastSim, "2", "--html", path, "--records", path), "-records " + path + ": the same file as -html"},
		{withSim(fastSim, "2", "--json", "-", "--csv", "-"), "-csv -: the same file as -json"},
		{[]string{"report", recs, "--json", recs}, "-json " + recs + ": the same file as a records file it reads"},
	})
	if _, err := os.Stat(path); err == nil {
		t.Errorf("%s was written; want nothing", path)
	}
	if lines := readRecordLines(t, recs); len(lines) != 2 {
		t.Errorf("the records read: %d lines; want the 2 written", len(lines))
	}
}

// A records file that cannot be written (a full disk) loses nothing else:
// the other files are written, and the run says so and fails.
func TestRecordsWriteFailureKeepsOtherOutputs(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full here")
	}
	doc, page := testPath(t, "run.json"), testPath(t, "run.html")
	_, errOut := runExpect(t, 1, withSim(fastSim, "2", "--requests", "2", "--records", "/dev/full", "--json", doc, "--html", page)...)
	if !strings.HasPrefix(errOut, "tpsbench: writing -records: ") {
		t.Errorf("stderr %q; want the records file's failure", errOut)
	}
	var s jsonSummary
	readJSON(t, doc, &s)
	if s.Requests.OK != 2 || len(readFile(t, page)) == 0 {
		t.Errorf("--json %+v and --html not written whole beside a failed --records", s.Requests)
	}
}
