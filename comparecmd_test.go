package main

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/tpsbench/tpsbench/internal/ollama"
)

// compare of two live runs' JSON: a 10x slower token rate is a significant
// change, and crosses a --fail-on rule. (TestCompareGolden pins the output.)
func TestCompareCommand(t *testing.T) {
	t.Parallel()
	base, next := testPath(t, "base.json"), testPath(t, "new.json")
	runExpect(t, 0, withSim(fastSim, "2", "--requests", "12", "--json", base)...)
	runExpect(t, 0, append(withSim(fastSim, "2", "--requests", "12", "--json", next), "--sim-rate", "200")...)
	out, _ := runExpect(t, 0, "compare", base, next)
	expectText(t, out, "\ntps (tokens/s) ", "\nttft (ms) ")
	// A 10x slower token rate fails tps<-5%.
	out, _ = runExpect(t, 1, "compare", base, next, "--fail-on", "tps<-5%")
	expectText(t, out, "\nFAIL: tps -")
	for _, bad := range [][]string{{"compare", base}, {"compare", base, next, "--fail-on", "speed<5%"}, {"compare", base, "/nonexistent"}} {
		runExpect(t, 2, bad...)
	}
}

// writeRunJSON writes the JSON summary of records, as a run would have
// written it with --json, and returns its path.
func writeRunJSON(t *testing.T, path string, recs []Record, fp *fingerprint) string {
	t.Helper()
	cfg, err := parseArgs([]string{"4", "--stream", "--requests-per-thread", "3", "--max-tokens", "16"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	s := summarizeRecords(recs, sloBounds{})
	s.Fingerprint = fp
	var b bytes.Buffer
	if err := renderJSON(&b, &finishedRun{cfg: cfg, baseURL: cfg.baseURL, started: time.Unix(0, 0).UTC(), s: s}); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, path, b.Bytes())
}

// slower returns recs with every ok answer's decode stretched by factor:
// the same first token, later tokens.
func slower(recs []Record, factor float64) []Record {
	for i := range recs {
		r := &recs[i]
		if !r.OK {
			continue
		}
		first := r.First()
		for j, c := range r.Chunks {
			r.Chunks[j] = first + time.Duration(float64(c-first)*factor)
		}
		r.FirstAnswer, r.Done = r.First(), r.Last()+time.Millisecond
	}
	return recs
}

// compare of two fixed runs, whole: the table, the fingerprints and how
// they differ, a --fail-on rule crossed, and the command lines it refuses.
func TestCompareGolden(t *testing.T) {
	t.Parallel()
	fp := func(quant string) *fingerprint {
		return &fingerprint{Tool: "VERSION", Server: "Ollama", ServerVersion: "0.24.0", Model: "llama3.1:8b",
			Ollama: &ollama.Info{Version: "0.24.0", Family: "llama", Quantization: quant}, OS: "linux/amd64", CPU: "Test CPU", Cores: 2}
	}
	base := writeRunJSON(t, testPath(t, "base.json"), goldenRecords(), fp("Q4_K_M"))
	next := writeRunJSON(t, testPath(t, "new.json"), slower(goldenRecords(), 1.25), fp("Q8_0"))
	got := transcript(t, testDir(t),
		[]string{"compare", base, next},
		[]string{"compare", base, next, "--fail-on", "tps<-5%"},
		[]string{"compare", base, next, "--fail-on", "tps<-50%"},
		[]string{"compare", base},
		[]string{"compare", base, next, "--fail-on", "speed<5%"},
		[]string{"compare", base, testPath(t, "nonexistent")},
	)
	golden(t, "compare.golden", got)
}
