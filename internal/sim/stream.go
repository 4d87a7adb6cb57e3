package sim

import (
	"net/http"
	"strconv"
	"time"
)

// stream writes one answer as Server-Sent Events, one token per chunk, each
// flushed as it is due, in the shape of the configured Style.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, a *answer) {
	flusher, _ := w.(http.Flusher)
	flush := func() {
		if flusher != nil {
			flusher.Flush()
		}
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	if s.cfg.Style == StyleLlamaCpp {
		// llama.cpp's server sends its headers at once; Ollama waits for
		// the first token.
		w.WriteHeader(http.StatusOK)
		flush()
	}

	head := s.chunkHead(a)
	buf := make([]byte, 0, 512)

	if s.cfg.Style == StyleOpenAI && !a.legacy {
		// A role-only first chunk: not a token.
		buf = append(buf[:0], head...)
		buf = append(buf, `"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]`...)
		buf = s.appendTail(buf, a)
		w.Write(buf)
		flush()
	}

	buf, ok := s.streamTokens(w, r, a, head, buf, flush)
	if !ok {
		return
	}
	w.Write(s.appendFinish(buf[:0], head, a))
	flush()
}

// streamTokens writes the token chunks, each when it is due; it reports
// false when the answer was cut short. buf is scratch space, returned for
// reuse. Token i is due at TTFT + i token intervals, the rate being in
// tokens per second however they are chunked; a chunk goes out when its
// last token is due, as from a server that sends what it has generated.
func (s *Server) streamTokens(w http.ResponseWriter, r *http.Request, a *answer, head, buf []byte, flush func()) ([]byte, bool) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	faults := s.cfg.Faults
	n := a.rec.CompletionTokens
	var at time.Duration // when token next-1 is due
	next := 0            // the first token whose due time is not yet known
	dueBy := func(last int) {
		for ; next <= last; next++ {
			at = s.due(a, next, at)
		}
	}
	for i := 0; i < n; {
		last := s.chunkEnd(i, n)
		dueBy(last)
		if !sleepUntil(r, timer, a.start.Add(at)) {
			a.rec.Aborted = true
			return buf, false
		}
		if !s.interrupt(w, r, a, i, flush) {
			return buf, false
		}
		if faults.Garbage && (i > 0 && i-1 == s.chunkEnd(0, n) || n == 1) {
			// Before the second chunk (or the only one).
			w.Write([]byte("data: {\"choices\":[{\"delta\":{\"content\":\"x\"\n\n"))
		}
		buf = s.appendTokenChunk(append(buf[:0], head...), a, i, last)
		s.countTokens(a, i == 0, last+1-i)
		if _, err := w.Write(buf); err != nil {
			a.rec.Aborted = true
			return buf, false
		}
		if last == n-1 {
			// The finish (and, like Ollama, usage and [DONE]) go out with
			// the last token.
			break
		}
		// Send what is written before waiting for the next chunk; chunks
		// already due go out together, as from a server that is ahead.
		i = last + 1
		dueBy(s.chunkEnd(i, n))
		if s.cfg.FlushEachToken || time.Until(a.start.Add(at)) > 0 {
			flush()
		}
	}
	return buf, true
}

// chunkEnd is the index of the last token of the chunk that starts with
// token i, of an answer of n tokens.
func (s *Server) chunkEnd(i, n int) int {
	return min(i+max(s.cfg.TokensPerChunk, 1), n) - 1
}

// appendTokenChunk appends the rest of the chunk that carries tokens i to
// last to b, which holds the chunk's head.
func (s *Server) appendTokenChunk(b []byte, a *answer, i, last int) []byte {
	if s.cfg.Faults.HugeLine && i == 0 {
		b = append(b, `"x_padding":"`...)
		b = append(b, hugePadding...)
		b = append(b, `",`...)
	}
	if a.legacy {
		b = append(b, `"choices":[{"index":0,"text":"`...)
		b = appendWords(b, i, last)
		b = append(b, `","logprobs":null,"finish_reason":null}]`...)
	} else {
		b = append(b, `"choices":[{"index":0,"delta":{`...)
		if s.cfg.Style == StyleOllama {
			b = append(b, `"role":"assistant",`...)
		}
		b = append(b, `"content":"`...)
		b = appendWords(b, i, last)
		b = append(b, `"},"finish_reason":null}]`...)
	}
	return s.appendTail(b, a)
}

// appendWords appends the words of tokens i to last: plain ASCII, no
// escaping needed.
func appendWords(b []byte, i, last int) []byte {
	for ; i <= last; i++ {
		b = append(b, vocabulary[i%len(vocabulary)]...)
	}
	return b
}

// countTokens keeps the server's own account of a chunk of n tokens just
// before it is written: the time to the first token, the timeline (the
// time each chunk actually went, and its size), and the running token
// count.
func (s *Server) countTokens(a *answer, first bool, n int) {
	if first {
		s.stats.ttftSum.Add(int64(time.Since(a.rec.Received)))
		s.stats.ttftCount.Add(1)
	}
	now := time.Now()
	if first {
		a.firstAt, a.firstTokens = now, n
	}
	a.lastAt = now
	if s.cfg.Record {
		a.rec.TokensSent = append(a.rec.TokensSent, now)
		a.rec.ChunkTokens = append(a.rec.ChunkTokens, n)
	}
	s.stats.tokens.Add(int64(n))
}

// appendFinish appends the finish chunk to b: the finish reason, usage in
// the configured Style's way, and data: [DONE].
func (s *Server) appendFinish(b, head []byte, a *answer) []byte {
	b = append(b, head...)
	switch {
	case a.legacy:
		b = append(b, `"choices":[{"index":0,"text":"","logprobs":null`...)
	case s.cfg.Style == StyleOllama:
		b = append(b, `"choices":[{"index":0,"delta":{"role":"assistant","content":""}`...)
	default:
		b = append(b, `"choices":[{"index":0,"delta":{}`...)
	}
	b = append(b, `,"finish_reason":"`...)
	b = append(b, a.finish...)
	b = append(b, `"}]`...)
	switch {
	case s.cfg.NoUsage:
		b = append(b, "}\n\n"...)
	case s.cfg.Style == StyleLlamaCpp:
		b = s.appendUsage(b, a)
		b = append(b, "}\n\n"...)
	default:
		b = s.appendTail(b, a)
		if a.includeUsage {
			b = append(b, head...)
			b = append(b, `"choices":[]`...)
			b = s.appendUsage(b, a)
			b = append(b, "}\n\n"...)
		}
	}
	if !s.cfg.Faults.NoDone {
		b = append(b, "data: [DONE]\n\n"...)
	}
	return b
}

// chunkHead is the part of every chunk before "choices".
func (s *Server) chunkHead(a *answer) []byte {
	b := []byte(`data: {"id":"`)
	b = append(b, a.rec.ID...)
	if a.legacy {
		b = append(b, `","object":"text_completion","created":`...)
	} else {
		b = append(b, `","object":"chat.completion.chunk","created":`...)
	}
	b = strconv.AppendInt(b, a.rec.Received.Unix(), 10)
	b = append(b, `,"model":`...)
	b = appendJSONString(b, a.model)
	fp := "fp_sim"
	if s.cfg.Style == StyleOllama {
		fp = "fp_ollama"
	}
	b = append(b, `,"system_fingerprint":"`...)
	b = append(b, fp...)
	b = append(b, `",`...)
	return b
}

// appendTail closes a chunk; OpenAI sends "usage":null on every chunk when
// usage was asked for.
func (s *Server) appendTail(b []byte, a *answer) []byte {
	if s.cfg.Style == StyleOpenAI && a.includeUsage && !s.cfg.NoUsage {
		b = append(b, `,"usage":null`...)
	}
	return append(b, "}\n\n"...)
}
