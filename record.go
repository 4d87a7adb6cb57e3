package main

import (
	"fmt"
	"time"

	"github.com/tpsbench/tpsbench/internal/wire"
)

// none marks a timestamp that was never taken.
const none time.Duration = -1

// toMs is a duration in milliseconds, as every figure gives times.
func toMs(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// failKind is the class of a failed request; every failed Record has one.
type failKind string

// Failure classes a request can end in.
const (
	failHTTP      failKind = "http"      // the server answered with a non-2xx status
	failConnect            = "connect"   // no connection could be made
	failTimeout            = "timeout"   // --timeout ran out
	failNetwork            = "network"   // the connection broke
	failLocal              = "local"     // this machine ran out of something (file descriptors, ports): not the server's doing
	failMalformed          = "malformed" // the body did not parse
	failStream             = "stream"    // an error event, or the stream ended early
	failEmpty              = "empty"     // 2xx and parsed, but no output token
	failCancelled          = "cancelled" // the run was stopped (Ctrl-C) while in flight
)

// Record is one request's outcome: plain data that every figure is computed
// from (see the README's "What each figure means"). All times are offsets from the run's
// start on Go's monotonic clock; none means the moment never came.
type Record struct {
	Index      int    // order in which the request was claimed
	Warmup     bool   // sent to warm the server up; in no figure
	Level      string // the sweep level it was sent at, e.g. "c=8"
	Stream     bool   // answered as an SSE stream
	ResponseID string // the server's id for the answer, to match its logs

	Sched       time.Duration // open loop: when the schedule meant it to start; none in a closed loop
	Send        time.Duration // immediately before Client.Do
	Hdr         time.Duration // response headers arrived
	FirstAnswer time.Duration // first chunk with answer content (not reasoning)
	Done        time.Duration // [DONE] read, or the body read whole or closed
	Chunks      arrivals      // arrival of each token-bearing chunk

	MaxTokens      int  // the max_tokens the request asked for
	FixedOutput    bool // it asked for exactly MaxTokens (--fixed-output: ignore_eos, min_tokens)
	OutputTokens   int
	TokenSource    tokenSource
	UsageTokens    int  // usage.completion_tokens; -1 when not reported
	TiktokenTokens int  // tiktoken's count of the text; -1 when not counted
	TokensApprox   bool // tiktoken's count cut text without a word break: it may be a few tokens off
	ReasonTokens   int  // usage's reasoning_tokens (thinking); -1 when not reported
	CachedTokens   int  // usage's cached prompt tokens; -1 when not reported
	InputTokens    int  // usage.prompt_tokens; -1 when not reported
	FinishReason   string
	DoneSeen       bool          // the stream ended with data: [DONE]
	StreamIgnored  bool          // a stream was asked, and the answer came whole (Stream false, no TTFT): the server ignores "stream"
	Reasoning      bool          // some chunk carried reasoning before any answer
	Retried        bool          // sent again on a fresh connection after a dead pooled one
	Server         *ServerTimes  // the server's own timings of the answer, when it gave them
	NewConn        bool          // the request opened a new connection (not from the pool)
	Connect        time.Duration // how long opening it took; inside TTFT and E2E

	OK         bool
	FailKind   failKind // empty when OK
	Err        string   // one-line reason, grouped in the report
	HTTPStatus int

	text answerText // generated text, kept until the tokens are counted
}

// newRecord returns a Record whose optional timestamps are unset.
func newRecord(index int, stream bool) Record {
	return Record{Index: index, Stream: stream, Sched: none, Hdr: none, FirstAnswer: none, Done: none, InputTokens: -1, UsageTokens: -1, TiktokenTokens: -1, ReasonTokens: -1, CachedTokens: -1}
}

// tokenSource is where a Record's output token count came from.
type tokenSource string

const (
	sourceUsage    tokenSource = "usage"    // the server's own count (usage, or Ollama's eval_count)
	sourceTiktoken tokenSource = "tiktoken" // tiktoken's count of the text
)

func (r *Record) fail(kind failKind, reason string) {
	r.OK = false
	r.FailKind = kind
	r.Err = clean(reason) // the message is the caller's, redacted: this is a last guard
}

// StreamAsked reports whether the request asked for a stream, whether or
// not the answer came as one.
func (r *Record) StreamAsked() bool { return r.Stream || r.StreamIgnored }

// First is the arrival of the first token-bearing chunk (t_first).
func (r *Record) First() time.Duration {
	if r.Chunks.Len() == 0 {
		return none
	}
	return r.Chunks.At(0)
}

// Last is the arrival of the last token-bearing chunk (t_last).
func (r *Record) Last() time.Duration {
	n := r.Chunks.Len()
	if n == 0 {
		return none
	}
	return r.Chunks.At(n - 1)
}

// End is when the request stopped counting: t_last for a stream with tokens
// (a trailing usage chunk does not extend it), otherwise t_done.
func (r *Record) End() time.Duration {
	if r.Stream && r.Chunks.Len() > 0 {
		return r.Last()
	}
	return r.Done
}

// E2E is the end-to-end latency: t_last - t_send for streams, the whole body
// read - t_send otherwise.
func (r *Record) E2E() time.Duration { return r.End() - r.Send }

// TTFT is t_first - t_send; ok is false when not streamed.
func (r *Record) TTFT() (d time.Duration, ok bool) {
	if !r.Stream || r.Chunks.Len() == 0 {
		return 0, false
	}
	return r.First() - r.Send, true
}

// TPOT is (E2E - TTFT) / (output tokens - 1); ok is false when not streamed
// or with fewer than two tokens.
func (r *Record) TPOT() (d time.Duration, ok bool) {
	ttft, ok := r.TTFT()
	if !ok || r.OutputTokens < 2 {
		return 0, false
	}
	return (r.E2E() - ttft) / time.Duration(r.OutputTokens-1), true
}

// TPS is output tokens / E2E seconds, the original script's headline figure.
func (r *Record) TPS() float64 {
	e2e := r.E2E().Seconds()
	if e2e <= 0 {
		return 0
	}
	return float64(r.OutputTokens) / e2e
}

// ServerTimes are a server's own timings of one answer (llama.cpp's
// "timings", Ollama's native counts and durations); -1 marks what it did not
// say.
type ServerTimes struct {
	PromptTokens int     `json:"prompt_tokens"`
	DecodeTokens int     `json:"decode_tokens"`
	PromptMs     float64 `json:"prompt_ms"`
	DecodeMs     float64 `json:"decode_ms"`
	LoadMs       float64 `json:"load_ms"`
}

// DecodeTPS is the server's own generation rate, or 0 when unknown.
func (t *ServerTimes) DecodeTPS() float64 {
	if t == nil {
		return 0
	}
	return perSecond(t.DecodeTokens, t.DecodeMs)
}

// PrefillTPS is the server's own prompt processing rate, or 0 when unknown.
func (t *ServerTimes) PrefillTPS() float64 {
	if t == nil {
		return 0
	}
	return perSecond(t.PromptTokens, t.PromptMs)
}

// minRateMs is the shortest of a server's durations a rate is computed
// over: under a microsecond it measures nothing (llama.cpp has sent a
// prompt_ms of 1e-320), and the rate would be absurd or infinite.
const minRateMs = 1e-3

// perSecond is n tokens over ms milliseconds as tokens per second, or 0
// (n/a) when there is no token or ms is too short to be a measurement.
func perSecond(n int, ms float64) float64 {
	if n <= 0 || !(ms >= minRateMs) {
		return 0
	}
	return finiteOr(float64(n)/ms*1000, 0)
}

// maxTokenCount is more tokens than any answer or prompt has (about 10^12):
// a count beyond it, or a negative one, is the server's error, not a
// figure, and summed it could overflow every total.
const maxTokenCount = 1 << 40

// takeCounts keeps the usage and the server's timings of a chunk, or
// fails the Record when a count in them is absurd.
func (r *Record) takeCounts(c *wire.Chunk) bool {
	if c.Usage.Present {
		u := c.Usage
		if why := absurdCount(namedCount{"completion_tokens", u.Completion}, namedCount{"prompt_tokens", u.Prompt},
			namedCount{"reasoning_tokens", u.Reasoning}, namedCount{"cached_tokens", u.Cached}); why != "" {
			r.fail(failMalformed, "absurd usage: "+why)
			return false
		}
		r.takeUsage(u)
	}
	if c.Server.Present {
		t := c.Server
		if why := absurdCount(namedCount{"generated tokens", t.DecodeTokens}, namedCount{"prompt tokens", t.PromptTokens}); why != "" {
			r.fail(failMalformed, "absurd server timings: "+why)
			return false
		}
		r.takeServer(t)
	}
	return true
}

// namedCount is a count a server gave, and its name.
type namedCount struct {
	name string
	n    int
}

// absurdCount names the first count that no answer can have, with its
// value; "" when all are sane (-1 is "not reported").
func absurdCount(counts ...namedCount) string {
	for _, c := range counts {
		if c.n < -1 || c.n > maxTokenCount {
			return fmt.Sprintf("%s %d", c.name, c.n)
		}
	}
	return ""
}

// takeUsage keeps the usage of the latest chunk that has one.
func (r *Record) takeUsage(u wire.Usage) {
	if u.Completion >= 0 {
		r.OutputTokens = u.Completion
		r.TokenSource = sourceUsage
	}
	if u.Prompt >= 0 {
		r.InputTokens = u.Prompt
	}
	if u.Reasoning >= 0 {
		r.ReasonTokens = u.Reasoning
	}
	if u.Cached >= 0 {
		r.CachedTokens = u.Cached
	}
}

// takeServer keeps the server's own timings. Ollama's native API (the one
// that reports load_duration) counts tokens there, not in usage; llama.cpp's
// prompt_n counts only the prompt tokens it did not have cached.
func (r *Record) takeServer(t wire.Timings) {
	r.Server = &ServerTimes{PromptTokens: t.PromptTokens, DecodeTokens: t.DecodeTokens,
		PromptMs: t.PromptMs, DecodeMs: t.DecodeMs, LoadMs: t.LoadMs}
	if t.LoadMs < 0 {
		return
	}
	if t.DecodeTokens >= 0 && r.TokenSource != sourceUsage {
		r.OutputTokens, r.TokenSource = t.DecodeTokens, sourceUsage
	}
	if t.PromptTokens >= 0 && r.InputTokens < 0 {
		r.InputTokens = t.PromptTokens
	}
}

// answerText is one answer's generated text, as held for tiktoken.
type answerText struct {
	buf     []byte
	charged int   // bytes of the budget held for buf
	counted int   // tokens of the text counted already, and let go
	approx  bool  // some piece counted was cut where the count may change
	dropped bool  // the text was let go uncounted: usage must give the count
	err     error // counting as the text arrived failed
}
