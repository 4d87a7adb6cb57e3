package main

import (
	"strings"
	"testing"
)

func TestOllamaPreflight(t *testing.T) {
	t.Parallel()
	out, _, code := runCLI(t, withSim(slowSim, "2", "--requests", "4", "--sim-load-time", "200ms", "--sim-gpu-share", "0.75")...)
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
	out, _ = runExpect(t, 0, withSim(slowSim, "2", "--requests", "2", "--sim-style", "llamacpp")...)
	if strings.Contains(out, "Ollama") || strings.Contains(out, "Model load") {
		t.Errorf("preflight against a non-Ollama server:\n%s", out)
	}
}
