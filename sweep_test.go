package main

import (
	"regexp"
	"strings"
	"testing"
)

func TestSweepTable(t *testing.T) {
	t.Parallel()
	out, errOut, code := runCLI(t, withSim(fastSim, "--stream", "--sweep-concurrency", "1,2,4", "--requests-per-thread", "3", "--slo", "e2e=10s")...)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	_, table, ok := strings.Cut(out, "Sweep:\n")
	if !ok {
		t.Fatalf("no Sweep table:\n%s", out)
	}
	row := regexp.MustCompile(`(?m)^\s+c=(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)`)
	rows := row.FindAllStringSubmatch(table, -1)
	if len(rows) != 3 {
		t.Fatalf("%d level rows; want 3:\n%s", len(rows), table)
	}
	for i, want := range []string{"1", "2", "4"} {
		if rows[i][1] != want || rows[i][3] != "0" || rows[i][2] != map[string]string{"1": "3", "2": "6", "4": "12"}[want] {
			t.Errorf("row %d = %q; want level c=%s with %s x 3 ok and 0 failed", i, rows[i][0], want, want)
		}
	}
	if !strings.Contains(table, "goodput req/s") {
		t.Errorf("no goodput column with --slo:\n%s", table)
	}
}
