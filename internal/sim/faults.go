package sim

import (
	"net/http"
	"strings"
)

// Faults make the simulator misbehave the ways real servers do, so tests
// and users can see how a client copes. The zero value is a healthy server.
type Faults struct {
	ErrorRate   float64 // share of requests answered HTTP 500 with an OpenAI-style error body
	MaxInFlight int     // requests beyond this many in flight get HTTP 429 with Retry-After (0: no limit)
	DropAfter   int     // close the connection after this many tokens (-1: never)
	StallAfter  int     // stop sending after this many tokens, keeping the connection (-1: never)
	Garbage     bool    // the second event (or a whole answer) is malformed JSON
	NoDone      bool    // end streams without data: [DONE]
	HugeLine    bool    // the first event carries a multi-megabyte field
	Endless     bool    // never finish: tokens until the client goes away
}

// NoFaults is a healthy server.
func NoFaults() Faults { return Faults{DropAfter: -1, StallAfter: -1} }

// hugePadding is the multi-megabyte field of Faults.HugeLine (4 MiB).
var hugePadding = strings.Repeat("abcdefgh", 512<<10)

// endlessTokens stands for "never finish".
const endlessTokens = 1 << 40

// admit applies the faults that refuse a request before any answer; it
// reports whether the request goes on, and a func to call when it ends.
func (s *Server) admit(w http.ResponseWriter, a *answer) (bool, func()) {
	f := s.cfg.Faults
	if f.MaxInFlight > 0 {
		if s.inFlight.Add(1) > int64(f.MaxInFlight) {
			s.inFlight.Add(-1)
			w.Header().Set("Retry-After", "1")
			writeError(w, http.StatusTooManyRequests, "rate_limit_error", "simulated rate limit: too many requests in flight")
			return false, nil
		}
		done := func() { s.inFlight.Add(-1) }
		if f.ErrorRate > 0 && a.rng.Float64() < f.ErrorRate {
			done()
			writeError(w, http.StatusInternalServerError, "server_error", "simulated server error")
			return false, nil
		}
		return true, done
	}
	if f.ErrorRate > 0 && a.rng.Float64() < f.ErrorRate {
		writeError(w, http.StatusInternalServerError, "server_error", "simulated server error")
		return false, nil
	}
	return true, func() {}
}

// interrupt applies the faults that cut an answer short before token i is
// written; it reports whether the answer goes on.
func (s *Server) interrupt(w http.ResponseWriter, r *http.Request, a *answer, i int, flush func()) bool {
	f := s.cfg.Faults
	switch {
	case i == f.DropAfter:
		flush()
		a.rec.Aborted = true
		// Closes the connection without ending the response.
		panic(http.ErrAbortHandler)
	case i == f.StallAfter:
		flush()
		<-r.Context().Done()
		a.rec.Aborted = true
		return false
	}
	return true
}
