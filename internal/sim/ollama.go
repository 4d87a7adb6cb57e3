package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Ollama's own endpoints, served in the Ollama style, and the model
// loading that Ollama users meet: a cold first request, reloads, and the
// 503 "server busy" past the queue limit.

// OllamaVersion is the version the simulator reports at /api/version.
const OllamaVersion = "0.24.0-sim"

// The simulated model's details, as /api/show, /api/ps and /api/tags give them.
const (
	simDigest    = "5117a7a8f0d1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f"
	simSize      = 4920753328
	simFamily    = "llama"
	simParams    = "8.0B"
	simQuant     = "Q4_K_M"
	simContext   = 4096
	busyMessage  = "server busy, please try again.  maximum pending requests exceeded"
	preloadReply = "load"
)

func (s *Server) serveOllama(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.Style != StyleOllama {
		return false
	}
	switch r.URL.Path {
	case "/api/version":
		writeJSON(w, map[string]any{"version": OllamaVersion})
	case "/api/ps":
		models := []any{}
		if s.loaded.Load() {
			m := s.modelEntry(s.lastModel())
			m["size_vram"] = int64(float64(simSize) * s.gpuShare())
			m["context_length"] = simContext
			m["expires_at"] = time.Now().Add(5 * time.Minute).UTC().Format(time.RFC3339Nano)
			models = append(models, m)
		}
		writeJSON(w, map[string]any{"models": models})
	case "/api/tags":
		names := s.cfg.Models
		if len(names) == 0 {
			names = []string{s.lastModel()}
		}
		models := []any{}
		for _, name := range names {
			models = append(models, s.modelEntry(name))
		}
		writeJSON(w, map[string]any{"models": models})
	case "/api/show":
		var req struct {
			Model string `json:"model"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		if !s.serves(req.Model) {
			ollamaError(w, http.StatusNotFound, fmt.Sprintf("model '%s' not found", req.Model))
			break
		}
		writeJSON(w, map[string]any{"details": details(), "model_info": map[string]any{"general.architecture": simFamily}})
	default:
		return false
	}
	return true
}

// serves reports whether the simulator has the model: any name unless
// Models is set; as in Ollama, a name without a tag means ":latest".
func (s *Server) serves(model string) bool {
	return len(s.cfg.Models) == 0 || slices.Contains(s.cfg.Models, model) || slices.Contains(s.cfg.Models, model+":latest")
}

func (s *Server) gpuShare() float64 {
	if s.cfg.GPUShare > 0 {
		return s.cfg.GPUShare
	}
	return 1
}

func details() map[string]any {
	return map[string]any{"format": "gguf", "family": simFamily, "families": []string{simFamily},
		"parameter_size": simParams, "quantization_level": simQuant}
}

func (s *Server) modelEntry(name string) map[string]any {
	return map[string]any{"name": name, "model": name, "size": simSize, "digest": simDigest, "details": details()}
}

func (s *Server) lastModel() string {
	if m, ok := s.model.Load().(string); ok && m != "" {
		return m
	}
	return "llama3.1:8b"
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(v)
}

// load makes the model ready for request n, as Ollama does: the first
// request (and, with ReloadEvery, every so many) waits for the model to
// load; requests that arrive meanwhile wait for the same load. It returns
// how long this request waited for a load (its own or the one under way),
// or false when the client left.
func (s *Server) load(r *http.Request, n int64, model string) (time.Duration, bool) {
	s.model.Store(model)
	if s.cfg.LoadTime <= 0 {
		s.loaded.Store(true)
		return 0, true
	}
	start := time.Now()
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	if every := int64(s.cfg.ReloadEvery); every > 0 && n > 1 && n%every == 0 {
		s.loaded.Store(false) // an option change reloads the model
	}
	if !s.loaded.Load() {
		timer := time.NewTimer(s.cfg.LoadTime)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-r.Context().Done():
			return 0, false
		}
		s.loaded.Store(true)
		s.loadEnded = time.Now()
		return time.Since(start), true
	}
	if s.loadEnded.After(start) { // it waited for another request's load
		return time.Since(start), true
	}
	return 0, true
}

// preload answers Ollama's load-only request (a chat with no messages).
func (s *Server) preload(w http.ResponseWriter, model string, took time.Duration) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	b := []byte(`{"model":`)
	b = appendJSONString(b, model)
	b = append(b, `,"created_at":"`...)
	b = time.Now().UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","message":{"role":"assistant","content":""},"done_reason":"`+preloadReply+`","done":true,"load_duration":`...)
	b = strconv.AppendInt(b, int64(took), 10)
	w.Write(append(b, "}\n"...))
}

// busy refuses a request past MaxQueue waiting ones, as Ollama does.
func busy(w http.ResponseWriter) { ollamaError(w, http.StatusServiceUnavailable, busyMessage) }

// ollamaError answers with an error in Ollama's shape: {"error":"..."}.
func ollamaError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(append(appendJSONString([]byte(`{"error":`), msg), '}'))
}
