package main

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// Against Ollama the preflight learns the model's build and where it sits,
// loads it before the run, and says what it found; against any other
// server there is no preflight at all.
func TestOllamaPreflight(t *testing.T) {
	t.Parallel()
	doc, text := runJSON(t, 0, withSim(slowSim, "2", "--requests", "4", "--sim-load-time", "200ms", "--sim-gpu-share", "0.75")...)
	expectText(t, text,
		"\nOllama 0.24.0-sim: model llama3.1:8b (llama, 8.0B, Q4_K_M, digest 5117a7a8f0d1), not loaded\nModel load: 0.2", // the preload paid the 200 ms
		"\nAdvice: 25% of the model is in CPU memory",
		"\nAdvice: /v1 gives no server-side rates; --api ollama adds",
		"\nFingerprint: tpsbench ",
	)
	fp := doc.Fingerprint
	if fp == nil || fp.Ollama == nil {
		t.Fatalf("fingerprint %+v; want Ollama's details", fp)
	}
	o := *fp.Ollama
	if o.Version != "0.24.0-sim" || o.Loaded || o.GPUShare != 0.75 || o.Family != "llama" || o.ParameterSize != "8.0B" ||
		o.Quantization != "Q4_K_M" || !strings.HasPrefix(o.Digest, "5117a7a8f0d1") || o.PreloadS < 0.2 || fp.Model != "llama3.1:8b" {
		t.Errorf("Ollama in the fingerprint %+v; want 0.24.0-sim's llama3.1:8b, not loaded, 75%% on the GPU, preloaded in 0.2 s", o)
	}
	// The preload took the load: no measured request waited for it.
	if slices.ContainsFunc(doc.Checks, func(c string) bool { return strings.Contains(c, "waited for the model to load") }) {
		t.Errorf("a measured request paid the load despite the preload: %q", doc.Checks)
	}
	// Not Ollama: no preflight at all.
	doc, text = runJSON(t, 0, withSim(slowSim, "2", "--requests", "2", "--sim-style", "llamacpp")...)
	if strings.Contains(text, "Ollama") || strings.Contains(text, "Model load") || doc.Fingerprint == nil || doc.Fingerprint.Ollama != nil {
		t.Errorf("preflight against a non-Ollama server (fingerprint %+v):\n%s", doc.Fingerprint, text)
	}
}

// The preflight's calls are bounded by --timeout and by Ctrl-C: a server
// whose /api/show or preload never answers costs the run --timeout, and a
// Ctrl-C while it waits ends the run with its report.
func TestOllamaPreflightBounded(t *testing.T) {
	t.Parallel()
	answers := map[string]string{"GET /api/version": `{"version":"0.9.0"}`, "GET /api/ps": `{"models":[]}`, "GET /api/tags": `{"models":[]}`,
		"POST /v1/chat/completions": okAnswer}
	for _, hang := range []string{"POST /api/show", "POST /api/chat"} {
		t.Run(hang, func(t *testing.T) {
			t.Parallel()
			these := maps.Clone(answers)
			if hang == "POST /api/chat" {
				these["POST /api/show"] = `{"details":{"family":"llama"}}`
			}
			root, _ := stallServer(t, these)
			start := time.Now()
			runExpect(t, 0, "1", "--base-url", root+"/v1", "--requests", "1", "--timeout", "0.3")
			if time.Since(start) > time.Minute {
				t.Errorf("took %v", time.Since(start))
			}
			root, stalled := stallServer(t, these)
			ctx, cancel := context.WithCancel(t.Context())
			go func() {
				<-stalled
				cancel()
			}()
			out, errOut, code := runCLIContext(ctx, t, "1", "--base-url", root+"/v1", "--requests", "1", "--timeout", "600")
			if code != 130 || !strings.Contains(out, "Interrupted: ") {
				t.Errorf("Ctrl-C during %s: exit %d; want 130 and the report\n%s%s", hang, code, out, errOut)
			}
		})
	}
}
