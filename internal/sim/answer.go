package sim

import (
	"math/rand/v2"
	"net/http"
	"time"
)

// answer is one request's answer in the making.
type answer struct {
	rec          Request
	num          int64 // the request's number, from 1, in order of arrival
	legacy       bool  // a legacy completions answer: choices[].text
	native       bool  // an Ollama native answer: NDJSON, with server counts
	loadTook     time.Duration
	start        time.Time // generation starts (after the load and a slot): tokens are due from here
	firstAt      time.Time // the first token-bearing write
	firstTokens  int       // how many tokens it carried (0: one)
	lastAt       time.Time
	model        string
	finish       string
	includeUsage bool
	rng          *rand.Rand
}

// due yields the offset from the answer's start at which token i is due,
// given the offset prev of token i-1.
func (s *Server) due(a *answer, i int, prev time.Duration) time.Duration {
	if i == 0 {
		return s.jitter(a, s.cfg.TTFT)
	}
	if s.cfg.TokenRate <= 0 {
		return prev
	}
	return prev + s.jitter(a, time.Duration(float64(time.Second)/s.cfg.TokenRate))
}

// jitter spreads d by up to Config.Jitter either way, from the answer's own
// random source.
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

// phases splits an answer's time as a server's own timings do: generating
// n tokens takes n token intervals, those of the first write's tokens
// before it went, the others between it and the last; the rest of the
// time went to the prompt. An answer sent in one write is timed at the
// configured rate.
func (s *Server) phases(a *answer) (prompt, eval time.Duration) {
	n, first := a.rec.CompletionTokens, max(a.firstTokens, 1)
	total := a.lastAt.Sub(a.rec.Received) - a.loadTook
	switch {
	case n > first:
		eval = time.Duration(float64(a.lastAt.Sub(a.firstAt)) * float64(n) / float64(n-first))
	case s.cfg.TokenRate > 0:
		eval = time.Duration(float64(n) / s.cfg.TokenRate * float64(time.Second))
	}
	return max(0, total-eval), eval
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
