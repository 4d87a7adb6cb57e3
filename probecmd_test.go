package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// probe --json writes the table's rows as JSON, the same rows it prints.
func TestProbeJSON(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "probe.json")
	out, _ := runExpect(t, 0, withSim(fastSim, "probe", "--json", path)...)
	var rep probeReport
	b, _ := os.ReadFile(path)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil || len(rep.Rows) < 10 || rep.Model != "llama3.1:8b" {
		t.Fatalf("probe JSON %s: %v", b, err)
	}
	printed := tableRows(out)
	for _, r := range rep.Rows {
		if !strings.HasPrefix(printed[r.Check], r.Result) {
			t.Errorf("%s: JSON %q, printed %q", r.Check, r.Result, printed[r.Check])
		}
	}
}
