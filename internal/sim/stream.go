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
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	buf := make([]byte, 0, 512)

	if s.cfg.Style == StyleOpenAI && !a.legacy {
		// A role-only first chunk: not a token.
		buf = append(buf[:0], head...)
		buf = append(buf, `"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]`...)
		buf = s.appendTail(buf, a)
		w.Write(buf)
		flush()
	}

	faults := s.cfg.Faults
	at := s.due(a, 0, 0)
	for i := 0; i < a.rec.CompletionTokens; i++ {
		if !sleepUntil(r, timer, a.rec.Received.Add(at)) {
			a.rec.Aborted = true
			return
		}
		if !s.interrupt(w, r, a, i, flush) {
			return
		}
		if faults.Garbage && (i == 1 || a.rec.CompletionTokens == 1) {
			w.Write([]byte("data: {\"choices\":[{\"delta\":{\"content\":\"x\"\n\n"))
		}
		buf = append(buf[:0], head...)
		if faults.HugeLine && i == 0 {
			buf = append(buf, `"x_padding":"`...)
			buf = append(buf, hugePadding...)
			buf = append(buf, `",`...)
		}
		first, chunkStart := i == 0, i
		word := vocabulary[i%len(vocabulary)] // plain ASCII: no escaping needed
		if k := s.cfg.TokensPerChunk; k > 1 {
			// Several tokens in one chunk: the rest of this chunk's words.
			for j := 1; j < k && i+1 < a.rec.CompletionTokens; j++ {
				i++
				word += vocabulary[i%len(vocabulary)]
			}
		}
		if a.legacy {
			buf = append(buf, `"choices":[{"index":0,"text":"`...)
			buf = append(buf, word...)
			buf = append(buf, `","logprobs":null,"finish_reason":null}]`...)
		} else {
			buf = append(buf, `"choices":[{"index":0,"delta":{`...)
			if s.cfg.Style == StyleOllama {
				buf = append(buf, `"role":"assistant",`...)
			}
			buf = append(buf, `"content":"`...)
			buf = append(buf, word...)
			buf = append(buf, `"},"finish_reason":null}]`...)
		}
		buf = s.appendTail(buf, a)
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
		s.stats.tokens.Add(int64(i + 1 - chunkStart))
		if _, err := w.Write(buf); err != nil {
			a.rec.Aborted = true
			return
		}
		if i == a.rec.CompletionTokens-1 {
			// The finish (and, like Ollama, usage and [DONE]) go out with
			// the last token.
			break
		}
		// Send what is written before waiting for the next token; tokens
		// already due go out together, as from a server that is ahead.
		at = s.due(a, i+1, at)
		if s.cfg.FlushEachToken || time.Until(a.rec.Received.Add(at)) > 0 {
			flush()
		}
	}

	buf = append(buf[:0], head...)
	switch {
	case a.legacy:
		buf = append(buf, `"choices":[{"index":0,"text":"","logprobs":null`...)
	case s.cfg.Style == StyleOllama:
		buf = append(buf, `"choices":[{"index":0,"delta":{"role":"assistant","content":""}`...)
	default:
		buf = append(buf, `"choices":[{"index":0,"delta":{}`...)
	}
	buf = append(buf, `,"finish_reason":"`...)
	buf = append(buf, a.finish...)
	buf = append(buf, `"}]`...)
	switch {
	case s.cfg.NoUsage:
		buf = append(buf, "}\n\n"...)
	case s.cfg.Style == StyleLlamaCpp:
		buf = s.appendUsage(buf, a)
		buf = append(buf, "}\n\n"...)
	default:
		buf = s.appendTail(buf, a)
		if a.includeUsage {
			buf = append(buf, head...)
			buf = append(buf, `"choices":[]`...)
			buf = s.appendUsage(buf, a)
			buf = append(buf, "}\n\n"...)
		}
	}
	if !faults.NoDone {
		buf = append(buf, "data: [DONE]\n\n"...)
	}
	w.Write(buf)
	flush()
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
