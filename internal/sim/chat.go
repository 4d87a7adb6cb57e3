package sim

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// A chat request goes through four steps, one function each: read and
// check the request (readChat), plan the answer (plan), wait for the model
// and a slot (admit, load, queue), and write it (send).

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
	req, ok := s.readChat(w, r, legacy, native)
	if !ok {
		return
	}
	a := s.plan(req, received, legacy, native)
	ok, done := s.admit(w, a)
	if !ok {
		return
	}
	if a.loadTook, ok = s.load(r, a.num, req.Model); !ok {
		done()
		return
	}
	a.rec.LoadWait = a.loadTook
	s.stats.promptTokens.Add(int64(a.rec.PromptTokens))
	defer done()
	release, ok := s.queue(w, r, a)
	if !ok {
		return
	}
	defer release()
	a.start = time.Now() // no token is due before the model has loaded
	s.send(w, r, a)
}

// readChat decodes and checks a request. It answers the request itself,
// and reports false, when the request is refused or, for Ollama's native
// API, is a load-only request (a chat without messages).
func (s *Server) readChat(w http.ResponseWriter, r *http.Request, legacy, native bool) (chatRequest, bool) {
	var req chatRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "malformed JSON: "+err.Error())
		return req, false
	}
	switch {
	case legacy && len(req.Prompt) == 0:
		writeError(w, http.StatusBadRequest, "invalid_request_error", "prompt is required")
		return req, false
	case legacy:
		var prompt string
		json.Unmarshal(req.Prompt, &prompt)
		req.Messages = append(req.Messages, struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		}{"user", prompt})
	case native && !s.serves(req.Model):
		ollamaError(w, http.StatusNotFound, fmt.Sprintf("model '%s' not found", req.Model))
		return req, false
	case native && len(req.Messages) == 0:
		// Ollama loads the model for a chat without messages, and says so.
		took, ok := s.load(r, 0, req.Model)
		if ok {
			s.preload(w, req.Model, took)
		}
		return req, false
	case len(req.Messages) == 0:
		writeError(w, http.StatusBadRequest, "invalid_request_error", "messages must not be empty")
		return req, false
	}
	if !s.serves(req.Model) {
		writeError(w, http.StatusNotFound, "not_found_error", fmt.Sprintf("model '%s' not found", req.Model))
		return req, false
	}
	return req, true
}

// plan decides the answer to an accepted request: its number, its length
// and finish reason, whether it streams, and its own random source.
func (s *Server) plan(req chatRequest, received time.Time, legacy, native bool) *answer {
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
		num:          num,
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
	return a
}

// queue waits for one of the Parallel slots, silently, as a server with a
// fixed number of parallel sequences does; past MaxQueue waiting requests
// it answers "server busy". It reports whether the answer goes on, and a
// func that gives the slot back. The answer's clock starts when it has a
// slot, since that is when generation starts.
func (s *Server) queue(w http.ResponseWriter, r *http.Request, a *answer) (release func(), ok bool) {
	if s.slots == nil {
		return func() {}, true
	}
	if s.cfg.MaxQueue > 0 && len(s.slots) == cap(s.slots) && s.waiting.Load() >= int64(s.cfg.MaxQueue) {
		busy(w)
		return nil, false
	}
	s.waiting.Add(1)
	select {
	case s.slots <- struct{}{}:
		s.waiting.Add(-1)
	case <-r.Context().Done():
		s.waiting.Add(-1)
		return nil, false
	}
	a.rec.Received = time.Now()
	return func() { <-s.slots }, true
}

// send writes the answer in the shape asked for, then counts it and, with
// Config.Record, keeps its timeline.
func (s *Server) send(w http.ResponseWriter, r *http.Request, a *answer) {
	if s.cfg.Record && a.rec.Stream && !s.cfg.Faults.Endless {
		a.rec.TokensSent = make([]time.Time, 0, a.rec.CompletionTokens)
	}
	switch {
	case a.native && a.rec.Stream:
		s.streamNative(w, r, a)
	case a.rec.Stream:
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

// promptTokens approximates the prompt length in words, without any
// tokenizer: the simulator must not share the client's counting.
func promptTokens(req chatRequest) int {
	n := 0
	for _, m := range req.Messages {
		n += len(strings.Fields(m.Content)) + 4
	}
	return n
}
