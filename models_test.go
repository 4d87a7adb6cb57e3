package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Several models in one run: each benchmarked in turn, one table, a JSON
// document with a summary per model, and each model's own files.
func TestSeveralModels(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	doc := filepath.Join(dir, "run.json")
	out, _ := runExpect(t, 0, withSim(slowSim, "2", "--stream", "--requests", "4", "--model", "llama3.1:8b,qwen2.5:7b", "--json", doc, "--records", filepath.Join(dir, "run.jsonl"))...)
	if strings.Count(out, "=== Model ") != 2 || !strings.Contains(out, "Models:\n") {
		t.Fatalf("want a report per model, then the Models table:\n%s", out)
	}
	_, table, _ := strings.Cut(out, "Models:\n")
	for _, m := range []string{"llama3.1:8b", "qwen2.5:7b"} {
		if !strings.Contains(table, m+"   4       0") {
			t.Errorf("no row for %s:\n%s", m, table)
		}
	}
	var combined struct {
		Tool      string      `json:"tool"`
		Version   string      `json:"version"`
		StartedAt time.Time   `json:"started_at"`
		Models    []jsonModel `json:"models"`
	}
	data, _ := os.ReadFile(doc)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&combined); err != nil || len(combined.Models) != 2 {
		t.Fatalf("combined JSON %s: %v", data, err)
	}
	for i, m := range []string{"llama3.1:8b", "qwen2.5:7b"} {
		got := combined.Models[i]
		if got.Model != m || got.Requests.OK != 4 || got.Requests.Failed != 0 || got.Tokens.Output != 64 || got.Fingerprint == nil || got.Fingerprint.Model != m {
			t.Errorf("model %d in the JSON: %s with %+v, %d tokens, fingerprint %+v; want %s, 4 ok, 64 tokens", i, got.Model, got.Requests, got.Tokens.Output, got.Fingerprint, m)
		}
	}
	for _, f := range []string{"run.llama3.1_8b.json", "run.qwen2.5_7b.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("per-model file: %v", err)
		}
	}
}
