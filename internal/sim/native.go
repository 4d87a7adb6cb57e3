package sim

import (
	"net/http"
	"strconv"
	"time"
)

// streamNative answers Ollama's native /api/chat as Ollama does: one JSON
// object per line (NDJSON), each token its own line, and a last line with
// done: true and the server's counts and durations (in nanoseconds).
func (s *Server) streamNative(w http.ResponseWriter, r *http.Request, a *answer) {
	flusher, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "application/x-ndjson")
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	at := s.due(a, 0, 0)
	for i := 0; i < a.rec.CompletionTokens; i++ {
		if !sleepUntil(r, timer, a.start.Add(at)) {
			a.rec.Aborted = true
			return
		}
		s.countTokens(a, i == 0, 1)
		if _, err := w.Write(s.nativeLine(a, vocabulary[i%len(vocabulary)], false)); err != nil {
			a.rec.Aborted = true
			return
		}
		at = s.due(a, i+1, at)
		if flusher != nil && (s.cfg.FlushEachToken || time.Until(a.start.Add(at)) > 0) {
			flusher.Flush()
		}
	}
	w.Write(s.nativeLine(a, "", true))
}

// nativeLine is one line of a native answer; the last carries the counts.
func (s *Server) nativeLine(a *answer, content string, done bool) []byte {
	b := []byte(`{"model":`)
	b = appendJSONString(b, a.model)
	b = append(b, `,"created_at":"`...)
	b = time.Now().UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","message":{"role":"assistant","content":`...)
	b = appendJSONString(b, content)
	b = append(b, `},"done":`...)
	b = strconv.AppendBool(b, done)
	if done {
		prompt, eval := s.phases(a)
		b = append(b, `,"done_reason":"`...)
		b = append(b, a.finish...)
		b = append(b, `","total_duration":`...)
		b = strconv.AppendInt(b, int64(a.lastAt.Sub(a.rec.Received)), 10)
		b = append(b, `,"load_duration":`...)
		b = strconv.AppendInt(b, int64(a.loadTook), 10)
		b = append(b, `,"prompt_eval_count":`...)
		b = strconv.AppendInt(b, int64(a.rec.PromptTokens), 10)
		b = append(b, `,"prompt_eval_duration":`...)
		b = strconv.AppendInt(b, int64(prompt), 10)
		b = append(b, `,"eval_count":`...)
		b = strconv.AppendInt(b, int64(a.rec.CompletionTokens), 10)
		b = append(b, `,"eval_duration":`...)
		b = strconv.AppendInt(b, int64(eval), 10)
	}
	return append(b, "}\n"...)
}
