package main

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// Every output path is created before the first request: a path that
// cannot be written fails the run at once (exit 1, one line naming the
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
			out, errOut := runExpect(t, 1, append([]string{"2", "--requests", "2", "--base-url", url}, tt.args...)...)
			if !strings.HasPrefix(errOut, tt.want) || strings.Count(errOut, "\n") != 1 || requests.Load() != 0 || strings.Contains(out, "Results:") {
				t.Errorf("stderr %q, %d requests, stdout:\n%s\nwant %q and no request", errOut, requests.Load(), out, tt.want)
			}
		})
	}
	// report checks its files before it writes anything, too.
	recs := testPath(t, "run.jsonl")
	runExpect(t, 0, withSim(fastSim, "2", "--requests", "2", "--records", recs)...)
	out, errOut := runExpect(t, 1, "report", recs, "--csv", bad)
	if out != "" || !strings.HasPrefix(errOut, "tpsbench: -csv: open "+bad) {
		t.Errorf("report with a bad --csv: stdout %q, stderr %q", out, errOut)
	}
}
