package sim

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// whole writes a non-streaming answer in one piece once its last token is
// due, as a server that generates the whole answer before replying does.
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
			a.firstAt = a.start.Add(at)
		}
	}
	a.lastAt = a.start.Add(at)
	if !sleepUntil(r, timer, a.start.Add(at)) {
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
	b := s.appendWhole(make([]byte, 0, 512+text.Len()), a, text.String())
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	a.rec.Sent = time.Now()
	s.stats.tokens.Add(int64(a.rec.CompletionTokens))
	w.Write(b)
}

// appendWhole appends the OpenAI-style body of a non-streaming answer
// (chat or legacy completions) whose text is text.
func (s *Server) appendWhole(b []byte, a *answer, text string) []byte {
	f := s.cfg.Faults
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
		b = appendJSONString(b, text)
		b = append(b, `,"logprobs":null,"finish_reason":"`...)
	} else {
		b = append(b, `,"choices":[{"index":0,"message":{"role":"assistant","content":`...)
		b = appendJSONString(b, text)
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
	return b
}

// appendUsage appends the usage object and, in llama.cpp's style, the
// server's timings.
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
		prompt, eval := s.phases(a)
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
