package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

// Several models in one run: each benchmarked in turn, one table, a JSON
// document with a summary per model, and each model's own files.
func TestSeveralModels(t *testing.T) {
	t.Parallel()
	doc := testPath(t, "run.json")
	out, _ := runExpect(t, 0, withSim(slowSim, "2", "--stream", "--requests", "4", "--model", "llama3.1:8b,qwen2.5:7b", "--json", doc, "--records", testPath(t, "run.jsonl"))...)
	if strings.Count(out, "=== Model ") != 2 || !strings.Contains(out, "Models:\n") {
		t.Fatalf("want a report per model, then the Models table:\n%s", out)
	}
	_, table, _ := strings.Cut(out, "Models:\n")
	expectText(t, table, "llama3.1:8b   4       0", "qwen2.5:7b   4       0") // a row for each
	var combined struct {
		Tool      string      `json:"tool"`
		Version   string      `json:"version"`
		StartedAt time.Time   `json:"started_at"`
		Models    []jsonModel `json:"models"`
	}
	readJSON(t, doc, &combined)
	if len(combined.Models) != 2 {
		t.Fatalf("combined JSON has %d models; want 2", len(combined.Models))
	}
	for i, m := range []string{"llama3.1:8b", "qwen2.5:7b"} {
		got := combined.Models[i]
		if got.Model != m || got.Requests.OK != 4 || got.Requests.Failed != 0 || got.Tokens.Output != 64 || got.Fingerprint == nil || got.Fingerprint.Model != m {
			t.Errorf("model %d in the JSON: %s with %+v, %d tokens, fingerprint %+v; want %s, 4 ok, 64 tokens", i, got.Model, got.Requests, got.Tokens.Output, got.Fingerprint, m)
		}
	}
	for _, f := range []string{"run.llama3.1_8b.json", "run.qwen2.5_7b.jsonl"} {
		if _, err := os.Stat(testPath(t, f)); err != nil {
			t.Errorf("per-model file: %v", err)
		}
	}
}
