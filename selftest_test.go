package main

import (
	"strings"
	"testing"
)

// selftest measures this machine as a client, level by level, against the
// simulator in this process.
func TestSelftest(t *testing.T) {
	t.Parallel()
	out, errOut := runExpect(t, 0, "selftest", "--in-process", "--duration", "150ms", "--levels", "1,4")
	if !strings.Contains(out, "\nCeiling of this machine as a client: about ") || strings.Count(out, "\n") < 6 {
		t.Errorf("selftest: %s\n%s", errOut, out)
	}
	for _, bad := range [][]string{{"--levels", "0"}, {"--levels", "1,10000000"}, {"--duration", "1ns"}} {
		if _, errOut := runExpect(t, 2, append([]string{"selftest"}, bad...)...); strings.Count(errOut, "\n") != 2 {
			t.Errorf("%q: stderr %q; want a one-line error", bad, errOut)
		}
	}
}
