package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var ollamaSim = []string{"--sim", "--sim-ttft", "10ms", "--sim-rate", "400", "--sim-jitter", "0", "--max-tokens", "16"}

func TestOllamaPreflight(t *testing.T) {
	out, _, code := runCLI(t, append([]string{"2", "--requests", "4", "--sim-load-time", "200ms", "--sim-gpu-share", "0.75"}, ollamaSim...)...)
	for _, want := range []string{
		"Ollama 0.24.0-sim: model llama3.1:8b (llama, 8.0B, Q4_K_M, digest 5117a7a8f0d1), not loaded\n",
		"Model load: 0.2", // the preload paid the 200 ms
		"Advice: 25% of the model is in CPU memory",
		"Advice: /v1 gives no server-side rates; --api ollama adds",
		"Fingerprint: tpsbench ", "model llama3.1:8b (llama, 8.0B, Q4_K_M, digest 5117a7a8f0d1)",
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("exit %d; output lacks %q:\n%s", code, want, out)
		}
	}
	// The preload took the load: no measured request waited for it.
	if strings.Contains(out, "waited for the model to load") {
		t.Errorf("a measured request paid the load despite the preload:\n%s", out)
	}
	// Not Ollama: no preflight at all.
	out, _, _ = runCLI(t, append([]string{"2", "--requests", "2", "--sim-style", "llamacpp"}, ollamaSim...)...)
	if strings.Contains(out, "Ollama") || strings.Contains(out, "Model load") {
		t.Errorf("preflight against a non-Ollama server:\n%s", out)
	}
}

func TestColdStartAndReloadsCaught(t *testing.T) {
	out, _, _ := runCLI(t, append([]string{"1", "--stream", "--api", "ollama", "--requests", "6", "--no-preload",
		"--sim-load-time", "300ms", "--sim-reload-every", "4"}, ollamaSim...)...)
	for _, want := range []string{"2 measured requests waited for the model to load (up to 0.3", "model load (ms): mean=3"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestParallelismEstimate(t *testing.T) {
	for _, tt := range []struct{ parallel, want string }{{"1", "1 request at a time"}, {"2", "2 requests at a time"}} {
		out, _, _ := runCLI(t, append([]string{"6", "--stream", "--requests", "12", "--sim-parallel", tt.parallel}, ollamaSim...)...)
		if !strings.Contains(out, "Server parallelism: the server appears to run "+tt.want) {
			t.Errorf("parallel %s: output lacks %q:\n%s", tt.parallel, tt.want, out)
		}
	}
}

func TestServerBusyCountedApart(t *testing.T) {
	out, _, code := runCLI(t, append([]string{"6", "--stream", "--requests", "12", "--sim-parallel", "1", "--sim-max-queue", "1"}, ollamaSim...)...)
	if code != 1 || !strings.Contains(out, `requests got HTTP 503 "server busy"`) || !strings.Contains(out, "x HTTP 503: server busy") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

func TestFingerprintInJSONAndCompare(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	runCLI(t, append([]string{"2", "--stream", "--requests", "6", "--json", a}, ollamaSim...)...)
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
	out, _, _ := runCLI(t, "compare", a, b)
	if !strings.Contains(out, `WARNING: the runs differ in quantization ("Q4_K_M" vs "Q8_0")`) {
		t.Errorf("compare output:\n%s", out)
	}
}

// Several models in one run: each benchmarked in turn, one table, a JSON
// document with a summary per model, and each model's own files.
func TestSeveralModels(t *testing.T) {
	dir := t.TempDir()
	doc := filepath.Join(dir, "run.json")
	out, _, code := runCLI(t, append([]string{"2", "--stream", "--requests", "4", "--model", "llama3.1:8b,qwen2.5:7b", "--json", doc, "--records", filepath.Join(dir, "run.jsonl")}, ollamaSim...)...)
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
