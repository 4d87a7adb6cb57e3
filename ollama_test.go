package main

import (
	"context"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tpsbench/tpsbench/internal/sim"
)

// Against Ollama the preflight learns the model's build and where it sits,
// loads it before the run, and says what it found; against any other
// server there is no preflight at all.
func TestOllamaPreflight(t *testing.T) {
	t.Parallel()
	doc, text := runJSON(t, 0, withSim(slowSim, "2", "--requests", "4", "--sim-load-time", "200ms", "--sim-gpu-share", "0.75")...)
	expectText(t, text,
		"\nOllama 0.24.0-sim: model llama3.1:8b (llama, 8.0B, Q4_K_M, digest 5117a7a8f0d1), not loaded\nModel load: ", // the preload paid the 200 ms: PreloadS below
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

// ollamaSim serves a fast simulator in Ollama's style that has only
// models (none: any name), and returns its root URL (without /v1) and a
// count of the chats it was sent (any POST under /v1, or to /api/chat).
func ollamaSim(t *testing.T, models ...string) (root string, chats *atomic.Int64) {
	t.Helper()
	cfg := sim.DefaultConfig()
	cfg.TTFT, cfg.TokenRate, cfg.Jitter, cfg.Models = time.Millisecond, 0, 0, models
	s := sim.New(cfg)
	chats = new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && (strings.HasPrefix(r.URL.Path, "/v1/") || r.URL.Path == "/api/chat") {
			chats.Add(1)
		}
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, chats
}

// A model the Ollama server does not have stops the run before any request,
// with exit status 2: the line says what the server has and how to get the
// model. So does a base URL without /v1, which Ollama answers with 404s.
func TestOllamaMissingModelOrV1(t *testing.T) {
	t.Parallel()
	root, chats := ollamaSim(t, "qwen2.5:7b", "tiny:latest")
	checkUsageErrorsIn(t, "usage-errors-ollama.golden", root, []badArgs{
		{[]string{"2", "--base-url", root + "/v1"},
			"the Ollama server at " + root + "/v1 does not have the model llama3.1:8b; it has qwen2.5:7b, tiny:latest: run 'ollama pull llama3.1:8b', or use --model qwen2.5:7b"},
		{[]string{"2", "--base-url", root + "/v1", "--api", "ollama", "--model", "qwen2.5:7b,llama3.2"},
			"does not have the model llama3.2; it has qwen2.5:7b, tiny:latest: run 'ollama pull llama3.2', or use --model qwen2.5:7b"},
		{[]string{"2", "--base-url", root, "--model", "qwen2.5:7b"},
			"the Ollama server at " + root + " serves its OpenAI-compatible API under /v1: use --base-url " + root + "/v1 (or --api ollama for its native API)"},
		{[]string{"2", "--base-url", root + "/", "--model", "qwen2.5:7b", "--api", "completions"},
			"use --base-url " + root + "/v1"},
	})
	if n := chats.Load(); n != 0 {
		t.Errorf("%d chat requests reached the server; want none", n)
	}
	// A model it has, at /v1 or natively at the root: the run goes ahead.
	runExpect(t, 0, "1", "--base-url", root+"/v1", "--model", "tiny", "--requests", "1")
	runExpect(t, 0, "1", "--base-url", root, "--api", "ollama", "--model", "qwen2.5:7b", "--requests", "1")
	// An empty server: nothing to choose from, so only the pull.
	empty := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/version":
			io.WriteString(w, `{"version":"0.24.0"}`)
		case "/api/tags":
			io.WriteString(w, `{"models":[]}`)
		default:
			http.Error(w, `{"error":"model 'm' not found"}`, http.StatusNotFound)
		}
	}))
	t.Cleanup(empty.Close)
	_, errOut := runExpect(t, 2, "1", "--base-url", empty.URL+"/v1", "--model", "m")
	expectText(t, errOut, "does not have the model m; it has no model: run 'ollama pull m'\n")
}

// The preflight's calls are bounded by --timeout and by Ctrl-C: a server
// whose /api/show or preload never answers costs the run --timeout, and a
// Ctrl-C while it waits ends the run before its first request.
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
			if code != 130 || !strings.Contains(out, "\nInterrupted before the run: ") {
				t.Errorf("Ctrl-C during %s: exit %d; want 130, said to be before the run\n%s%s", hang, code, out, errOut)
			}
		})
	}
}
