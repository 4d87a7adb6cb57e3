package main

import (
	"strconv"
	"strings"
	"testing"
)

// A concurrency sweep runs each level in turn; the JSON gives each level's
// figures (the table's layout is TestReportGoldenSweep's).
func TestSweepTable(t *testing.T) {
	t.Parallel()
	doc, text := runJSON(t, 0, withSim(fastSim, "--stream", "--sweep-concurrency", "1,2,4", "--requests-per-thread", "3", "--slo", "e2e=10s")...)
	if !strings.Contains(text, "\nSweep:\n") || len(doc.Levels) != 3 {
		t.Fatalf("%d levels; want 3 and the Sweep table:\n%s", len(doc.Levels), text)
	}
	for i, c := range []int{1, 2, 4} {
		l := doc.Levels[i]
		if l.Level != "c="+strconv.Itoa(c) || l.Requests.OK != 3*c || l.Requests.Failed != 0 || l.Goodput == nil {
			t.Errorf("level %d = %s with %+v; want c=%d with %d x 3 ok, 0 failed, and goodput", i, l.Level, l.Requests, c, c)
		}
	}
}
