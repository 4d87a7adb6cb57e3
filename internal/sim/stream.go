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
// reuse.
func (s *Server) streamTokens(w http.ResponseWriter, r *http.Request, a *answer, head, buf []byte, flush func()) ([]byte, bool) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	faults := s.cfg.Faults
	at := s.due(a, 0, 0)
	for i := 0; i < a.rec.CompletionTokens; i++ {
		if !sleepUntil(r, timer, a.start.Add(at)) {
			a.rec.Aborted = true
			return buf, false
		}
		if !s.interrupt(w, r, a, i, flush) {
			return buf, false
		}
		if faults.Garbage && (i == 1 || a.rec.CompletionTokens == 1) {
			w.Write([]byte("data: {\"choices\":[{\"delta\":{\"content\":\"x\"\n\n"))
		}
		first, chunkStart := i == 0, i
		buf, i = s.appendTokenChunk(append(buf[:0], head...), a, i)
		s.countTokens(a, first, i+1-chunkStart)
		if _, err := w.Write(buf); err != nil {
			a.rec.Aborted = true
			return buf, false
		}
		if i == a.rec.CompletionTokens-1 {
			// The finish (and, like Ollama, usage and [DONE]) go out with
			// the last token.
			break
		}
		// Send what is written before waiting for the next token; tokens
		// already due go out together, as from a server that is ahead. The
		// next chunk is due one token interval per token of this one: the
		// rate is in tokens per second, however they are chunked.
		for j := chunkStart; j <= i; j++ {
			at = s.due(a, j+1, at)
		}
		if s.cfg.FlushEachToken || time.Until(a.start.Add(at)) > 0 {
			flush()
		}
	}
	return buf, true
}

// appendTokenChunk appends the rest of the chunk that carries token i (and,
// with TokensPerChunk, the tokens after it) to b, which holds the chunk's
// head. It returns the chunk and the index of the last token in it.
func (s *Server) appendTokenChunk(b []byte, a *answer, i int) ([]byte, int) {
	if s.cfg.Faults.HugeLine && i == 0 {
		b = append(b, `"x_padding":"`...)
		b = append(b, hugePadding...)
		b = append(b, `",`...)
	}
	word := vocabulary[i%len(vocabulary)] // plain ASCII: no escaping needed
	if k := s.cfg.TokensPerChunk; k > 1 {
		// Several tokens in one chunk: the rest of this chunk's words.
		for j := 1; j < k && i+1 < a.rec.CompletionTokens; j++ {
			i++
			word += vocabulary[i%len(vocabulary)]
		}
	}
	if a.legacy {
		b = append(b, `"choices":[{"index":0,"text":"`...)
		b = append(b, word...)
		b = append(b, `","logprobs":null,"finish_reason":null}]`...)
	} else {
		b = append(b, `"choices":[{"index":0,"delta":{`...)
		if s.cfg.Style == StyleOllama {
			b = append(b, `"role":"assistant",`...)
		}
		b = append(b, `"content":"`...)
		b = append(b, word...)
		b = append(b, `"},"finish_reason":null}]`...)
	}
	return s.appendTail(b, a), i
}

// countTokens keeps the server's own account of a chunk of n tokens just
// before it is written: the time to the first token, the timeline, and the
// running token count.
func (s *Server) countTokens(a *answer, first bool, n int) {
	if first {
		s.stats.ttftSum.Add(int64(time.Since(a.rec.Received)))
		s.stats.ttftCount.Add(1)
	}
	now := time.Now()
	if first {
		a.firstAt = now
	}
	a.lastAt = now
	if s.cfg.Record {
		a.rec.TokensSent = append(a.rec.TokensSent, now)
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
