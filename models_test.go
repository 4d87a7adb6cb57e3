package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Several models in one run: each benchmarked in turn, one table, a JSON
// document with a summary per model, and each model's own files.
func TestSeveralModels(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	doc := filepath.Join(dir, "run.json")
	out, _, code := runCLI(t, withSim(slowSim, "2", "--stream", "--requests", "4", "--model", "llama3.1:8b,qwen2.5:7b", "--json", doc, "--records", filepath.Join(dir, "run.jsonl"))...)
	if code != 0 || strings.Count(out, "=== Model ") != 2 || !strings.Contains(out, "Models:\n") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	_, table, _ := strings.Cut(out, "Models:\n")
	for _, m := range []string{"llama3.1:8b", "qwen2.5:7b"} {
		if !strings.Contains(table, m+"   4       0") {
			t.Errorf("no row for %s:\n%s", m, table)
		}
	}
	var combined struct {
		Models []struct {
			Model    string `json:"model"`
			Requests struct {
				OK int `json:"ok"`
			} `json:"requests"`
		} `json:"models"`
	}
	data, _ := os.ReadFile(doc)
	if err := json.Unmarshal(data, &combined); err != nil || len(combined.Models) != 2 || combined.Models[1].Model != "qwen2.5:7b" || combined.Models[1].Requests.OK != 4 {
		t.Errorf("combined JSON %s: %v", data, err)
	}
	for _, f := range []string{"run.llama3.1_8b.json", "run.qwen2.5_7b.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("per-model file: %v", err)
		}
	}
}
