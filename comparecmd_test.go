package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestCompareCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	base, next := filepath.Join(dir, "base.json"), filepath.Join(dir, "new.json")
	runExpect(t, 0, withSim(fastSim, "2", "--requests", "12", "--json", base)...)
	runExpect(t, 0, append(withSim(fastSim, "2", "--requests", "12", "--json", next), "--sim-rate", "200")...)
	out, _, code := runCLI(t, "compare", base, next)
	if code != 0 || !strings.Contains(out, "tps (tokens/s)") || !strings.Contains(out, "ttft (ms)") {
		t.Errorf("compare: exit %d:\n%s", code, out)
	}
	out, _, code = runCLI(t, "compare", base, next, "--fail-on", "tps<-5%")
	if code != 1 || !strings.Contains(out, "FAIL: tps -") {
		t.Errorf("a 10x slower token rate should fail tps<-5%%: exit %d:\n%s", code, out)
	}
	for _, bad := range [][]string{{"compare", base}, {"compare", base, next, "--fail-on", "speed<5%"}, {"compare", base, "/nonexistent"}} {
		if _, _, code := runCLI(t, bad...); code != 2 {
			t.Errorf("%v: exit %d; want 2", bad, code)
		}
	}
}
