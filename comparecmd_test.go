package main

import (
	"bytes"
	"io"
	"strings"
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
	// A bound that is no number is named plainly, not by strconv.
	_, stderr := runExpect(t, 2, "compare", base, next, "--fail-on", "tps<-x%")
	expectText(t, stderr, `"tps<-x%": "-x" is not a number`)
}

// writeRunJSON writes the JSON summary of records, as a run would have
// written it with --json, and returns its path.
func writeRunJSON(t *testing.T, path string, recs []Record, fp *fingerprint) string {
	t.Helper()
	return writeRunJSONWith(t, path, recs, fp, "--max-tokens", "16")
}

// writeRunJSONWith is writeRunJSON of a run with the flags args, each
// sweep level's records summarised apart.
func writeRunJSONWith(t *testing.T, path string, recs []Record, fp *fingerprint, args ...string) string {
	t.Helper()
	cfg, err := parseArgs(append([]string{"4", "--stream", "--requests-per-thread", "3"}, args...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	s := summarizeRecords(recs, sloBounds{})
	s.Fingerprint = fp
	var b bytes.Buffer
	run := &finishedRun{cfg: cfg, baseURL: cfg.baseURL, started: time.Unix(0, 0).UTC(), s: s, levels: levelsOf(recs, sloBounds{})}
	if err := renderJSON(&b, run); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, path, b.Bytes())
}

// atLevels puts recs, twice over, at the sweep levels c=1 and c=2.
func atLevels(recs []Record) []Record {
	var out []Record
	for _, level := range []string{"c=1", "c=2"} {
		for _, r := range recs {
			r.Level = level
			out = append(out, r)
		}
	}
	return out
}

// A --fail-on gate passes only on figures it could compare: a bounded
// figure missing from a run, resting on fewer than 5 samples a side, or
// pooled over sweep levels that differ fails it (exit 1); a summary of
// several models, which is not one run, is refused (exit 2). Differing
// configurations are listed, sweeps are compared level by level, and the
// output throughput can be bounded too.
func TestCompareGate(t *testing.T) {
	t.Parallel()
	dir := testDir(t)
	base := writeRunJSON(t, testPath(t, "base.json"), goldenRecords(), nil)
	slow := writeRunJSON(t, testPath(t, "slow.json"), slower(goldenRecords(), 1.25), nil)
	var plain []Record
	for _, r := range goldenRecords() {
		r.Stream, r.Chunks, r.FirstAnswer = false, arrivals{}, none
		plain = append(plain, r)
	}
	unstreamed := writeRunJSONWith(t, testPath(t, "unstreamed.json"), plain, nil, "--max-tokens", "48")
	few := writeRunJSON(t, testPath(t, "few.json"), goldenRecords()[:4], nil)
	sweep := writeRunJSONWith(t, testPath(t, "sweep.json"), atLevels(goldenRecords()), nil, "--sweep-concurrency", "1,2", "--max-tokens", "16")
	slowSweep := writeRunJSONWith(t, testPath(t, "slow-sweep.json"), atLevels(slower(goldenRecords(), 1.25)), nil, "--sweep-concurrency", "1,2", "--max-tokens", "16")
	models := writeFile(t, testPath(t, "models.json"), `{"tool":"tpsbench","version":"v","started_at":"2026-11-27T12:00:00Z","models":[{"model":"a"},{"model":"b"}]}`)
	cases := []struct {
		args  []string
		code  int
		wants []string
	}{
		{[]string{base, unstreamed, "--fail-on", "ttft>+10%"}, 1, []string{"FAIL: ttft>+10% cannot be checked: ttft is not in both runs",
			"WARNING: the runs' configurations differ in max_tokens (16 vs 48): "}},
		{[]string{base, unstreamed, "--fail-on", "e2e>+50%"}, 0, nil},
		{[]string{few, slow, "--fail-on", "tps<-5%"}, 1, []string{"FAIL: tps<-5% cannot be checked: tps rests on fewer than 5 samples a side"}},
		{[]string{base, slow, "--fail-on", "throughput<-5%"}, 1, []string{"\nthroughput (tokens/s)", "FAIL: throughput -"}},
		{[]string{base, slow, "--fail-on", "throughput<-50%"}, 0, nil},
		{[]string{sweep, slowSweep, "--fail-on", "tps<-5%"}, 1, []string{"\nc=1    tps (tokens/s)", "\nc=2    tps (tokens/s)", "FAIL: tps at c=1 -", "; tps at c=2 -"}},
		{[]string{base, sweep, "--fail-on", "tps<-50%"}, 1, []string{"WARNING: the runs' sweep levels differ (base: none; new: c=1, c=2)",
			"FAIL: tps<-50% cannot be checked: the runs' sweep levels differ"}},
		{[]string{models, base}, 2, []string{"holds the summaries of 2 models"}},
		{[]string{base, slow, "--fail-on", "tps<NaN%"}, 2, []string{"not a finite percentage"}},
	}
	for _, tt := range cases {
		args := append([]string{"compare"}, tt.args...)
		out, errOut, code := runCLI(t, args...)
		if code != tt.code {
			t.Errorf("%s: exit %d; want %d\n%s%s", strings.ReplaceAll(strings.Join(args, " "), dir, "DIR"), code, tt.code, out, errOut)
		}
		expectText(t, out+errOut, tt.wants...)
	}
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
		stretched := r.Chunks.All()
		for j, c := range stretched {
			stretched[j] = first + time.Duration(float64(c-first)*factor)
		}
		r.Chunks = arrivalsOf(stretched...)
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
