package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestProbeJSON(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "probe.json")
	runExpect(t, 0, withSim(fastSim, "probe", "--json", path)...)
	var rep probeReport
	b, _ := os.ReadFile(path)
	if err := json.Unmarshal(b, &rep); err != nil || len(rep.Rows) < 10 || rep.Model != "llama3.1:8b" {
		t.Errorf("probe JSON %s: %v", b, err)
	}
}
