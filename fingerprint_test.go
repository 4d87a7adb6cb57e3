package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A run's JSON carries its fingerprint, and compare warns when two runs'
// fingerprints differ.
func TestFingerprintInJSONAndCompare(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	runExpect(t, 0, withSim(slowSim, "2", "--stream", "--requests", "6", "--json", a)...)
	var doc map[string]any
	data, _ := os.ReadFile(a)
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	fp, _ := doc["fingerprint"].(map[string]any)
	if fp == nil || fp["server"] != "tpsbench simulator" || fp["ollama"].(map[string]any)["quantization"] != "Q4_K_M" || fp["client_cores"] == nil {
		t.Fatalf("fingerprint %v", doc["fingerprint"])
	}
	// The same run, but another quantization of the model.
	fp["ollama"].(map[string]any)["quantization"] = "Q8_0"
	changed, _ := json.Marshal(doc)
	os.WriteFile(b, changed, 0o644)
	out, _ := runExpect(t, 0, "compare", a, b)
	if !strings.Contains(out, `WARNING: the runs differ in quantization ("Q4_K_M" vs "Q8_0")`) {
		t.Errorf("compare output:\n%s", out)
	}
}
