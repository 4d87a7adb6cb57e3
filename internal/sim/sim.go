// Package sim is tpsbench's simulated OpenAI-compatible endpoint.
//
// It answers POST /v1/chat/completions (streaming and not) and GET /v1/models
// in the shapes that real servers use (Ollama, llama.cpp's server, OpenAI),
// with a configurable time to first token, token rate, output length and
// jitter. It is the client's judge: it shares no parsing or timing code with
// the client, and with Config.Record it keeps its own timeline of every
// request (when it arrived, when each token was written) so tests can hold
// the client's measurements against it.
package sim

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Style names the wire shape the simulator imitates.
type Style string

// The shapes recorded from real servers (see testdata/fixtures at the repository root).
const (
	// StyleOllama repeats the role on every chunk, ends with an empty-content
	// finish chunk, sends usage as its own chunk only when asked, and sends
	// no headers until the first token exists.
	StyleOllama Style = "ollama"
	// StyleLlamaCpp sends headers at once, no role, and puts usage and
	// timings on the finish chunk whether or not usage was asked for.
	StyleLlamaCpp Style = "llamacpp"
	// StyleOpenAI sends a role-only first chunk, the finish reason on its own
	// chunk, "usage":null on every chunk and a usage chunk when asked.
	StyleOpenAI Style = "openai"
)

// Styles lists the valid styles.
var Styles = []Style{StyleOllama, StyleLlamaCpp, StyleOpenAI}

// Config sets how the simulated model behaves.
type Config struct {
	TTFT         time.Duration // time from receiving a request to its first token
	TokenRate    float64       // tokens per second after the first; <= 0 means no delay
	OutputTokens int           // tokens per answer, capped by max_tokens; 0 means max_tokens
	MaxTokens    int           // answer length when a request sets no max_tokens
	Jitter       float64       // relative jitter (0..1) on TTFT and on every gap
	Style        Style
	Seed         uint64
	NoUsage      bool // never report usage (clients must count tokens themselves)
	// FlushEachToken sends every token in its own write even when the next
	// is already due (by default tokens that are due go out together).
	FlushEachToken bool
	Record         bool // keep a timeline of every request (see Requests)
	Faults         Faults
	// Parallel is how many answers the simulated server generates at once
	// (like OLLAMA_NUM_PARALLEL); later requests queue, silently, and their
	// time to first token grows. 0: no limit.
	Parallel int
	// Models, when set, are the only model names served; others get 404
	// as from Ollama (by default any name is accepted, as llama.cpp does).
	Models []string
	// TokensPerChunk puts this many tokens in each stream chunk, as servers
	// with speculative or multi-step decoding do (0 or 1: one).
	TokensPerChunk int
	// HonourMaxCompletionTokens reads max_completion_tokens as OpenAI does;
	// llama.cpp's server and Ollama ignore it, and so does the simulator by
	// default.
	HonourMaxCompletionTokens bool
	// Metrics serves Prometheus counters at /metrics, named as llama.cpp's
	// server names them.
	Metrics bool
	// LoadTime is how long loading the model takes: the first request (and
	// every ReloadEvery-th, as when options change) waits for it, as with
	// Ollama. 0: always loaded.
	LoadTime    time.Duration
	ReloadEvery int
	// GPUShare is the share of the model in GPU memory that /api/ps reports
	// (Ollama's size_vram / size); 0 means all of it.
	GPUShare float64
	// MaxQueue refuses, with Ollama's 503 "server busy", requests that find
	// this many already waiting for one of the Parallel slots. 0: no limit.
	MaxQueue int
}

// DefaultConfig looks like a small local model: about 150 ms to the first
// token, then about 40 tokens per second, answers as long as max_tokens.
func DefaultConfig() Config {
	return Config{
		TTFT:      150 * time.Millisecond,
		TokenRate: 40,
		MaxTokens: 256,
		Jitter:    0.1,
		Style:     StyleOllama,
		Seed:      1,
		Faults:    NoFaults(),
	}
}

// Request is the simulator's own record of one chat request.
type Request struct {
	ID               string
	Stream           bool
	Received         time.Time   // handler entered (headers and body arrived)
	TokensSent       []time.Time // just before each token-bearing write
	Sent             time.Time   // non-streaming: just before the body was written
	PromptTokens     int
	CompletionTokens int
	Aborted          bool // the client went away before the answer ended
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

// Server is an http.Handler that simulates an LLM endpoint.
type Server struct {
	cfg      Config
	nextID   atomic.Int64
	inFlight atomic.Int64
	slots    chan struct{} // Config.Parallel
	waiting  atomic.Int64  // requests waiting for a slot
	loaded   atomic.Bool
	loadMu   sync.Mutex
	model    atomic.Value // the last model name asked for
	stats    counters
	mu       sync.Mutex
	log      []Request
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

// Requests returns a copy of the timeline of every finished request, in the
// order they finished. It is empty unless Config.Record is set.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
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
	case "/metrics":
		if !s.cfg.Metrics {
			writeError(w, http.StatusNotFound, "not_found_error", "no such path: /metrics")
			return
		}
		st := s.Stats()
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "# HELP llamacpp:tokens_predicted_total Number of generation tokens processed.\n# TYPE llamacpp:tokens_predicted_total counter\nllamacpp:tokens_predicted_total %d\n", st.Tokens)
		fmt.Fprintf(w, "# HELP llamacpp:prompt_tokens_total Number of prompt tokens processed.\n# TYPE llamacpp:prompt_tokens_total counter\nllamacpp:prompt_tokens_total %d\n", s.stats.promptTokens.Load())
	default:
		writeError(w, http.StatusNotFound, "not_found_error", "no such path: "+r.URL.Path)
	}
}

// chatRequest holds the fields of a chat (or legacy completions) request
// the simulator reads.
type chatRequest struct {
	Model    string          `json:"model"`
	Prompt   json.RawMessage `json:"prompt"` // legacy: a string or an array
	Messages []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"messages"`
	MaxTokens     int   `json:"max_tokens"`
	MaxCompletion int   `json:"max_completion_tokens"`
	Stream        *bool `json:"stream"` // Ollama's native API streams unless told not to
	Options       *struct {
		NumPredict int `json:"num_predict"`
	} `json:"options"` // Ollama's native API
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
}

// chat answers a chat request; with legacy set a completions request, with
// native set a request to Ollama's native /api/chat.
func (s *Server) chat(w http.ResponseWriter, r *http.Request, legacy, native bool) {
	received := time.Now()
	var req chatRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "malformed JSON: "+err.Error())
		return
	}
	switch {
	case legacy && len(req.Prompt) == 0:
		writeError(w, http.StatusBadRequest, "invalid_request_error", "prompt is required")
		return
	case legacy:
		var prompt string
		json.Unmarshal(req.Prompt, &prompt)
		req.Messages = append(req.Messages, struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		}{"user", prompt})
	case native && len(req.Messages) == 0:
		// Ollama loads the model for a chat without messages, and says so.
		took, ok := s.load(r, 0, req.Model)
		if ok {
			s.preload(w, req.Model, took)
		}
		return
	case len(req.Messages) == 0:
		writeError(w, http.StatusBadRequest, "invalid_request_error", "messages must not be empty")
		return
	}
	n := s.cfg.MaxTokens
	if req.MaxTokens > 0 {
		n = req.MaxTokens
	}
	if native && req.Options != nil && req.Options.NumPredict > 0 {
		n = req.Options.NumPredict
	}
	if s.cfg.HonourMaxCompletionTokens && req.MaxCompletion > 0 {
		n = req.MaxCompletion
	}
	if len(s.cfg.Models) > 0 && !slices.Contains(s.cfg.Models, req.Model) {
		writeError(w, http.StatusNotFound, "not_found_error", fmt.Sprintf("model '%s' not found", req.Model))
		return
	}
	stream := req.Stream != nil && *req.Stream || native && req.Stream == nil
	finish := "length"
	if s.cfg.OutputTokens > 0 && s.cfg.OutputTokens < n {
		n, finish = s.cfg.OutputTokens, "stop"
	}
	num := s.nextID.Add(1)
	a := &answer{
		rec: Request{
			ID:               "chatcmpl-sim-" + strconv.FormatInt(num, 10),
			Stream:           stream,
			Received:         received,
			PromptTokens:     promptTokens(req),
			CompletionTokens: n,
		},
		model:        req.Model,
		finish:       finish,
		legacy:       legacy,
		native:       native,
		includeUsage: req.StreamOptions != nil && req.StreamOptions.IncludeUsage,
		rng:          rand.New(rand.NewPCG(s.cfg.Seed, uint64(num))),
	}
	if s.cfg.Faults.Endless {
		a.rec.CompletionTokens = endlessTokens
	}
	ok, done := s.admit(w, a)
	if !ok {
		return
	}
	if a.loadTook, ok = s.load(r, num, req.Model); !ok {
		done()
		return
	}
	s.stats.promptTokens.Add(int64(a.rec.PromptTokens))
	defer done()
	if s.slots != nil {
		if s.cfg.MaxQueue > 0 && len(s.slots) == cap(s.slots) && s.waiting.Load() >= int64(s.cfg.MaxQueue) {
			busy(w)
			return
		}
		s.waiting.Add(1)
		select {
		case s.slots <- struct{}{}:
			s.waiting.Add(-1)
			defer func() { <-s.slots }()
		case <-r.Context().Done():
			s.waiting.Add(-1)
			return
		}
		// The answer's clock starts when generation does.
		a.rec.Received = time.Now()
	}
	if s.cfg.Record && stream && !s.cfg.Faults.Endless {
		a.rec.TokensSent = make([]time.Time, 0, n)
	}
	switch {
	case native && stream:
		s.streamNative(w, r, a)
	case stream:
		s.stream(w, r, a)
	default:
		s.whole(w, r, a)
	}
	s.stats.requests.Add(1)

	if s.cfg.Record {
		s.mu.Lock()
		s.log = append(s.log, a.rec)
		s.mu.Unlock()
	}
}

// answer is one request's answer in the making.
type answer struct {
	rec          Request
	legacy       bool // a legacy completions answer: choices[].text
	native       bool // an Ollama native answer: NDJSON, with server counts
	loadTook     time.Duration
	firstAt      time.Time
	lastAt       time.Time
	model        string
	finish       string
	includeUsage bool
	rng          *rand.Rand
}

// delays yields the offset from Received at which token i is due.
func (s *Server) due(a *answer, i int, prev time.Duration) time.Duration {
	if i == 0 {
		return s.jitter(a, s.cfg.TTFT)
	}
	if s.cfg.TokenRate <= 0 {
		return prev
	}
	return prev + s.jitter(a, time.Duration(float64(time.Second)/s.cfg.TokenRate))
}

func (s *Server) jitter(a *answer, d time.Duration) time.Duration {
	if s.cfg.Jitter <= 0 || d <= 0 {
		return d
	}
	f := 1 + s.cfg.Jitter*(2*a.rng.Float64()-1)
	return time.Duration(float64(d) * f)
}

// sleepUntil waits until t or until the client goes away; it reports whether
// the client is still there.
func sleepUntil(r *http.Request, timer *time.Timer, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return r.Context().Err() == nil
	}
	timer.Reset(d)
	select {
	case <-timer.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

func (s *Server) whole(w http.ResponseWriter, r *http.Request, a *answer) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	f := s.cfg.Faults
	if f.Endless || f.StallAfter >= 0 {
		<-r.Context().Done() // the answer never comes
		a.rec.Aborted = true
		return
	}
	var at time.Duration
	for i := 0; i < a.rec.CompletionTokens; i++ {
		at = s.due(a, i, at)
		if i == 0 {
			a.firstAt = a.rec.Received.Add(at)
		}
	}
	a.lastAt = a.rec.Received.Add(at)
	if !sleepUntil(r, timer, a.rec.Received.Add(at)) {
		a.rec.Aborted = true
		return
	}
	if f.DropAfter >= 0 {
		a.rec.Aborted = true
		panic(http.ErrAbortHandler)
	}
	var text strings.Builder
	for i := 0; i < a.rec.CompletionTokens; i++ {
		text.WriteString(vocabulary[i%len(vocabulary)])
	}
	if a.native {
		b := s.nativeLine(a, text.String(), true)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		a.rec.Sent = time.Now()
		s.stats.tokens.Add(int64(a.rec.CompletionTokens))
		w.Write(b)
		return
	}
	b := make([]byte, 0, 512+text.Len())
	b = append(b, `{"id":"`...)
	b = append(b, a.rec.ID...)
	if a.legacy {
		b = append(b, `","object":"text_completion","created":`...)
	} else {
		b = append(b, `","object":"chat.completion","created":`...)
	}
	b = strconv.AppendInt(b, a.rec.Received.Unix(), 10)
	b = append(b, `,"model":`...)
	b = appendJSONString(b, a.model)
	if f.HugeLine {
		b = append(b, `,"x_padding":"`...)
		b = append(b, hugePadding...)
		b = append(b, '"')
	}
	if a.legacy {
		b = append(b, `,"choices":[{"index":0,"text":`...)
		b = appendJSONString(b, text.String())
		b = append(b, `,"logprobs":null,"finish_reason":"`...)
	} else {
		b = append(b, `,"choices":[{"index":0,"message":{"role":"assistant","content":`...)
		b = appendJSONString(b, text.String())
		b = append(b, `},"finish_reason":"`...)
	}
	b = append(b, a.finish...)
	b = append(b, `"}]`...)
	if !s.cfg.NoUsage {
		b = s.appendUsage(b, a)
	}
	b = append(b, "}\n"...)
	if f.Garbage {
		b = b[:len(b)/2]
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	a.rec.Sent = time.Now()
	s.stats.tokens.Add(int64(a.rec.CompletionTokens))
	w.Write(b)
}

func (s *Server) appendUsage(b []byte, a *answer) []byte {
	b = append(b, `,"usage":{"prompt_tokens":`...)
	b = strconv.AppendInt(b, int64(a.rec.PromptTokens), 10)
	b = append(b, `,"completion_tokens":`...)
	b = strconv.AppendInt(b, int64(a.rec.CompletionTokens), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, int64(a.rec.PromptTokens+a.rec.CompletionTokens), 10)
	b = append(b, '}')
	if s.cfg.Style == StyleLlamaCpp {
		b = append(b, `,"timings":{"prompt_n":`...)
		b = strconv.AppendInt(b, int64(a.rec.PromptTokens), 10)
		prompt, eval := a.phases()
		b = append(b, `,"prompt_ms":`...)
		b = strconv.AppendFloat(b, float64(prompt)/1e6, 'f', 3, 64)
		b = append(b, `,"predicted_n":`...)
		b = strconv.AppendInt(b, int64(a.rec.CompletionTokens), 10)
		b = append(b, `,"predicted_ms":`...)
		b = strconv.AppendFloat(b, float64(eval)/1e6, 'f', 3, 64)
		b = append(b, '}')
	}
	return b
}

// promptTokens approximates the prompt length in words, without any
// tokenizer: the simulator must not share the client's counting.
func promptTokens(req chatRequest) int {
	n := 0
	for _, m := range req.Messages {
		n += len(strings.Fields(m.Content)) + 4
	}
	return n
}

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

func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}

// vocabulary holds words that are one token each in the common BPE
// encodings, so a client's own count of the text matches the usage the
// simulator reports.
var vocabulary = []string{
	" the", " of", " and", " to", " in", " is", " that", " for", " it", " as",
	" was", " with", " be", " by", " on", " not", " he", " this", " are", " or",
	" his", " from", " at", " which", " but", " have", " an", " had", " they", " you",
	" were", " their", " one", " all", " we", " can", " her", " has", " there", " been",
	" if", " more", " when", " will", " would", " who", " so", " no",
}

// Vocabulary returns the words the simulator generates, in order.
func Vocabulary() []string { return append([]string(nil), vocabulary...) }
