package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/tpsbench/tpsbench/internal/host"
)

// A concurrency the process cannot open connections for is refused up
// front, naming the limit and how to raise it.
func TestCheckOpenFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		inflight int
		sim      bool
		limit    uint64
		want     string // in the error; "" for none
	}{
		{1000, false, 256, "1000 requests in flight need about 1064 open files, but this process may open 256: raise the limit (ulimit -n 1064) or lower the concurrency"},
		{100, false, 256, ""},
		{192, false, 256, ""},
		{193, false, 256, "need about 257 open files"},
		{100, true, 256, "need about 264 open files"}, // the simulator's end of each connection too
		{1 << 30, false, 0, ""},                       // limit unknown: no check
	}
	for _, tt := range tests {
		err := checkOpenFiles(tt.inflight, tt.sim, tt.limit)
		if (err == nil) != (tt.want == "") || err != nil && !strings.Contains(err.Error(), tt.want) {
			t.Errorf("checkOpenFiles(%d, %v, %d) = %v; want %q", tt.inflight, tt.sim, tt.limit, err, tt.want)
		}
	}
}

// The benchmark and selftest refuse a concurrency beyond the limit before
// anything is sent (exit 2).
func TestConcurrencyBeyondOpenFileLimit(t *testing.T) {
	t.Parallel()
	limit := host.OpenFileLimit()
	if limit == 0 || limit >= maxThreads {
		t.Skipf("open file limit %d: no thread count within bounds goes beyond it", limit)
	}
	beyond := strconv.FormatUint(limit+1, 10)
	for _, args := range [][]string{
		withSim(fastSim, beyond, "--requests", beyond),
		{"selftest", "--levels", "1," + beyond},
	} {
		out, errOut, code := runCLI(t, args...)
		if code != 2 || out != "" || !strings.Contains(errOut, "open files, but this process may open") || strings.Count(errOut, "\n") != 2 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2 and a one-line refusal", args, code, out, errOut)
		}
	}
}

// The most requests in flight: the threads, the highest sweep level or the
// open loop's cap, never more than the requests there are.
func TestInflightMost(t *testing.T) {
	t.Parallel()
	for args, want := range map[string]int{
		"8":                          8,
		"8 --requests 2":             2,
		"8 --requests-per-thread 1":  8,
		"--sweep-concurrency 1,16,4": 16,
		"4 --rate 10 --max-concurrency 32 --requests 100": 32,
		"4 --duration 1s":                       4,
		"64 --requests 8 --warmup 2":            8,
		"--sweep-concurrency 1,16 --requests 2": 16,
	} {
		cfg, err := parseArgs(strings.Fields(args), nil)
		if err != nil {
			t.Fatalf("%s: %v", args, err)
		}
		if got := cfg.inflightMost(); got != want {
			t.Errorf("%s: %d in flight at most; want %d", args, got, want)
		}
	}
}
