package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Server is an http.Handler that simulates an LLM endpoint.
type Server struct {
	cfg       Config
	nextID    atomic.Int64
	inFlight  atomic.Int64
	slots     chan struct{} // Config.Parallel
	waiting   atomic.Int64  // requests waiting for a slot
	loaded    atomic.Bool
	loadMu    sync.Mutex
	loadEnded time.Time    // when the last load ended; under loadMu
	model     atomic.Value // the last model name asked for
	stats     counters
	mu        sync.Mutex
	log       []Request
}

// New returns a simulator with the given configuration.
func New(cfg Config) *Server {
	if cfg.Style == "" {
		cfg.Style = StyleOllama
	}
	if cfg.MaxTokens <= 0 {
		cfg.MaxTokens = 256
	}
	if cfg.Faults == (Faults{}) {
		cfg.Faults = NoFaults()
	}
	srv := &Server{cfg: cfg}
	if cfg.Parallel > 0 {
		srv.slots = make(chan struct{}, cfg.Parallel)
	}
	return srv
}

// Request is the simulator's own record of one chat request.
type Request struct {
	ID               string
	Stream           bool
	Received         time.Time     // handler entered (headers and body arrived)
	LoadWait         time.Duration // how long it waited for the model to load (its own load, or one under way)
	TokensSent       []time.Time   // just before each token-bearing write
	ChunkTokens      []int         // how many tokens each write of TokensSent carried
	Sent             time.Time     // non-streaming: just before the body was written
	PromptTokens     int
	CompletionTokens int
	Aborted          bool // the client went away before the answer ended
}

// Requests returns a copy of the timeline of every finished request, in the
// order they finished. It is empty unless Config.Record is set.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// Stats are the simulator's running totals, served at GET /sim/stats so a
// benchmark can compare a client's figures with the server's own.
type Stats struct {
	Requests   int64   `json:"requests"`     // chat requests that finished
	Tokens     int64   `json:"tokens"`       // tokens written
	TTFTMeanMs float64 `json:"ttft_mean_ms"` // mean of received-to-first-token-written, streams
	TTFTCount  int64   `json:"ttft_count"`
}

// counters count as the answers are written (tokens before the write that
// carries them), so a scrape after an answer ended has counted it.
type counters struct {
	requests, tokens, promptTokens, ttftSum, ttftCount atomic.Int64
}

// Stats returns the running totals.
func (s *Server) Stats() Stats {
	st := Stats{
		Requests:  s.stats.requests.Load(),
		Tokens:    s.stats.tokens.Load(),
		TTFTCount: s.stats.ttftCount.Load(),
	}
	if st.TTFTCount > 0 {
		st.TTFTMeanMs = float64(s.stats.ttftSum.Load()) / float64(st.TTFTCount) / 1e6
	}
	return st
}

// ServeHTTP routes the OpenAI-compatible paths the simulator knows.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.serveOllama(w, r) {
		return
	}
	switch r.URL.Path {
	case "/v1/chat/completions", "/v1/completions", "/api/chat":
		if r.Method != http.MethodPost {
			writeError(w, http.StatusMethodNotAllowed, "invalid_request_error", "method not allowed: use POST")
			return
		}
		s.chat(w, r, r.URL.Path == "/v1/completions", r.URL.Path == "/api/chat")
	case "/sim/stats":
		st := s.Stats()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(st)
	case "/v1/models":
		s.serveModels(w)
	case "/metrics":
		if !s.cfg.Metrics {
			writeError(w, http.StatusNotFound, "not_found_error", "no such path: /metrics")
			return
		}
		s.serveMetrics(w)
	default:
		writeError(w, http.StatusNotFound, "not_found_error", "no such path: "+r.URL.Path)
	}
}

// serveModels lists the served models as OpenAI's GET /v1/models does.
func (s *Server) serveModels(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	models := s.cfg.Models
	if len(models) == 0 {
		models = []string{"llama3.1:8b"} // tpsbench's default; any name is served
	}
	b := []byte(`{"object":"list","data":[`)
	for i, m := range models {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = appendJSONString(b, m)
		b = append(b, `,"object":"model","created":`...)
		b = strconv.AppendInt(b, time.Now().Unix(), 10)
		b = append(b, `,"owned_by":"tpsbench"}`...)
	}
	w.Write(append(b, "]}"...))
}

// serveMetrics writes the running totals as Prometheus counters, named as
// llama.cpp's server names them.
func (s *Server) serveMetrics(w http.ResponseWriter) {
	st := s.Stats()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintf(w, "# HELP llamacpp:tokens_predicted_total Number of generation tokens processed.\n# TYPE llamacpp:tokens_predicted_total counter\nllamacpp:tokens_predicted_total %d\n", st.Tokens)
	fmt.Fprintf(w, "# HELP llamacpp:prompt_tokens_total Number of prompt tokens processed.\n# TYPE llamacpp:prompt_tokens_total counter\nllamacpp:prompt_tokens_total %d\n", s.stats.promptTokens.Load())
}

// writeError answers with an OpenAI-style error body.
func writeError(w http.ResponseWriter, status int, kind, msg string) {
	b := []byte(`{"error":{"message":`)
	b = appendJSONString(b, msg)
	b = append(b, `,"type":"`...)
	b = append(b, kind...)
	b = append(b, `","param":null,"code":null}}`...)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// appendJSONString appends s as a quoted JSON string.
func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}
