package main

import (
	"strings"
	"testing"
)

func TestSelftest(t *testing.T) {
	t.Parallel()
	out, errOut, code := runCLI(t, "selftest", "--in-process", "--duration", "150ms", "--levels", "1,4")
	if code != 0 || !strings.Contains(out, "Ceiling of this machine as a client: about ") || strings.Count(out, "\n") < 6 {
		t.Errorf("exit %d: %s\n%s", code, errOut, out)
	}
	if _, _, code := runCLI(t, "selftest", "--levels", "0"); code != 2 {
		t.Errorf("--levels 0: exit %d; want 2", code)
	}
}
