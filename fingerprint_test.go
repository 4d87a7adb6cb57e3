package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// A run's JSON carries its fingerprint, and compare warns when two runs'
// fingerprints differ.
func TestFingerprintInJSONAndCompare(t *testing.T) {
	t.Parallel()
	a, b := testPath(t, "a.json"), testPath(t, "b.json")
	runExpect(t, 0, withSim(slowSim, "2", "--stream", "--requests", "6", "--json", a)...)
	var doc map[string]any
	readJSON(t, a, &doc)
	fp, _ := doc["fingerprint"].(map[string]any)
	if fp == nil || fp["server"] != "tpsbench simulator" || fp["ollama"].(map[string]any)["quantization"] != "Q4_K_M" || fp["client_cores"] == nil {
		t.Fatalf("fingerprint %v", doc["fingerprint"])
	}
	// The same run, but another quantization of the model.
	fp["ollama"].(map[string]any)["quantization"] = "Q8_0"
	changed, _ := json.Marshal(doc)
	writeFile(t, b, changed)
	out, _ := runExpect(t, 0, "compare", a, b)
	expectText(t, out, `WARNING: the runs differ in quantization ("Q4_K_M" vs "Q8_0")`)
}

// A local run's GPU line ("none found" on a machine without one) is what
// report and compare say of it too, from its records and its JSON; a file
// that says nothing of GPUs (a remote run, or one from before the field)
// still reads "not looked for".
func TestFingerprintGPUsSurviveFiles(t *testing.T) {
	t.Parallel()
	recs, doc := testPath(t, "run.jsonl"), testPath(t, "run.json")
	live, _ := runExpect(t, 0, withSim(fastSim, "1", "--requests", "2", "--records", recs, "--json", doc)...)
	gpus := func(out string) string {
		for line := range strings.Lines(out) {
			if _, g, ok := strings.Cut(line, "; GPU "); ok {
				return strings.TrimSpace(g)
			}
		}
		return ""
	}
	want := gpus(live)
	if want == "" || strings.Contains(want, "not looked for") {
		t.Fatalf("live fingerprint's GPU %q: want one looked for (the simulator is local)\n%s", want, live)
	}
	reported, _ := runExpect(t, 0, "report", recs)
	compared, _ := runExpect(t, 0, "compare", doc, doc)
	for name, out := range map[string]string{"report": reported, "compare": compared} {
		if got := gpus(out); got != want {
			t.Errorf("%s says GPU %q; the run said %q\n%s", name, got, want, out)
		}
	}
	for _, c := range []struct{ doc, want string }{
		{`{"tool_version":"x"}`, "GPU not looked for (remote endpoint)"},
		{`{"tool_version":"x","gpus":["A100"]}`, "GPU A100"},
		{`{"tool_version":"x","gpus_looked_for":true}`, "GPU none found"},
	} {
		var fp fingerprint
		if err := json.Unmarshal([]byte(c.doc), &fp); err != nil {
			t.Fatal(err)
		}
		if got := fingerprintLine(*fp.escaped()); !strings.HasSuffix(got, c.want) {
			t.Errorf("%s: %q; want it to end in %q", c.doc, got, c.want)
		}
	}
}
