package main

import (
	"encoding/json"
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
