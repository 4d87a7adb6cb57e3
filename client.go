package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tpsbench/tpsbench/internal/sse"
	"github.com/tpsbench/tpsbench/internal/wire"
)

// maxErrorBody bounds how much of an error response is read for its message.
const maxErrorBody = 64 << 10

// maxWholeBody bounds a non-streamed answer, which is read whole.
const maxWholeBody = 64 << 20

// Client sends chat-completion requests to one OpenAI-compatible endpoint
// and turns each into a Record. It is safe for concurrent use.
type Client struct {
	http          *http.Client
	endpoint      string // .../chat/completions
	apiKey        string
	headers       http.Header // -header, set on every request
	timeout       time.Duration
	maxTokens     int  // asked of every request, kept in each Record
	native        bool // Ollama's native API (--api ollama): NDJSON streams
	stream        bool
	forceTiktoken bool
	counter       tokenCounter
	start         time.Time // run start: Record times are offsets from it
	crossChecked  atomic.Int64
	crossCheck    bool // --cross-check: build the encoder for it if need be
	headerOnce    sync.Once
	header        http.Header
	now           func() time.Time
}

// newTransport returns a Transport whose pool keeps one idle connection per
// worker, so connections are reused instead of re-dialled (Go's default
// keeps 2 per host). Compression is off so streams arrive as sent, and
// there is no overall timeout: a per-request context bounds each request.
func newTransport(concurrency int, insecure bool) *http.Transport {
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          concurrency + 16,
		MaxIdleConnsPerHost:   concurrency + 16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   30 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
		WriteBufferSize:       1 << 10, // requests are small; 10,000 connections add up
		TLSClientConfig:       &tls.Config{InsecureSkipVerify: insecure},
	}
}

// noRedirects keeps requests, and the API key with them, at the endpoint
// under test: a redirect is reported, not followed.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// buildBody encodes one request. It sends max_tokens, which every server
// honours, not max_completion_tokens, which llama.cpp's server and Ollama
// ignore; -extra-body is merged in last, so it can override anything.
func buildBody(cfg *config, msgs []chatMessage) ([]byte, error) {
	return newBodyBuilder(cfg).build(msgs)
}

// bodyBuilder encodes request bodies that differ only in their prompt: the
// rest is rendered once, around a marker that each request's prompt
// replaces.
type bodyBuilder struct {
	prefix, suffix []byte
	legacy         bool // the prompt is one string (legacy completions)
	err            error
}

const promptMarker = "\x00tpsbench-prompt\x00"

func newBodyBuilder(cfg *config) *bodyBuilder {
	var body map[string]any
	b := &bodyBuilder{legacy: cfg.load.api == apiCompletions}
	if cfg.load.api == apiOllama {
		// Ollama's native chat: the length cap and sampling go in options.
		body = map[string]any{
			"model":    cfg.model,
			"messages": promptMarker,
			"stream":   cfg.stream,
			"options":  map[string]any{"num_predict": cfg.maxTokens, "temperature": cfg.temperature},
		}
	} else {
		body = map[string]any{
			"model":       cfg.model,
			"max_tokens":  cfg.maxTokens,
			"temperature": cfg.temperature,
		}
		if b.legacy {
			body["prompt"] = promptMarker
		} else {
			body["messages"] = promptMarker
		}
		if cfg.stream {
			body["stream"] = true
			body["stream_options"] = map[string]any{"include_usage": true}
		}
		if cfg.load.fixedOutput {
			body["ignore_eos"] = true
			body["min_tokens"] = cfg.maxTokens
		}
	}
	mergeJSON(body, cfg.load.extraBody)
	whole, err := json.Marshal(body)
	if err != nil {
		b.err = err
		return b
	}
	marker, _ := json.Marshal(promptMarker)
	i := bytes.Index(whole, marker)
	if i < 0 { // -extra-body replaced the prompt itself
		b.prefix = whole
		return b
	}
	b.prefix, b.suffix = whole[:i], whole[i+len(marker):]
	return b
}

// build encodes the body of one request with these messages.
func (b *bodyBuilder) build(msgs []chatMessage) ([]byte, error) {
	if b.err != nil {
		return nil, b.err
	}
	if b.suffix == nil {
		return b.prefix, nil
	}
	var prompt []byte
	var err error
	if b.legacy {
		prompt, err = json.Marshal(promptText(msgs))
	} else {
		prompt, err = json.Marshal(msgs)
	}
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(b.prefix)+len(prompt)+len(b.suffix))
	return append(append(append(out, b.prefix...), prompt...), b.suffix...), nil
}

// promptText joins messages into one prompt for the legacy completions API.
func promptText(msgs []chatMessage) string {
	parts := make([]string, len(msgs))
	for i, m := range msgs {
		parts[i] = m.Content
	}
	return strings.Join(parts, "\n\n")
}

// mergeJSON merges src into dst: objects merge key by key, anything else
// replaces.
func mergeJSON(dst, src map[string]any) {
	for k, v := range src {
		if sub, ok := v.(map[string]any); ok {
			if into, ok := dst[k].(map[string]any); ok {
				mergeJSON(into, sub)
				continue
			}
		}
		dst[k] = v
	}
}

func (c *Client) since(t time.Time) time.Duration { return t.Sub(c.start) }

// Do sends one request and returns its Record, still to be settled (token
// count and ok). It never panics and never returns without a Record: every
// failure is classified in it.
func (c *Client) Do(ctx context.Context, index int, body []byte) Record {
	rec := newRecord(index, c.stream)
	rec.MaxTokens = c.maxTokens
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var trace connTrace
	traced := httptrace.WithClientTrace(ctx, trace.hooks(c.now))

	req, err := http.NewRequestWithContext(traced, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		rec.Send, rec.Done = c.since(c.now()), c.since(c.now())
		rec.fail(failConnect, c.redact(err.Error()))
		return rec
	}
	req.Header = c.requestHeader().Clone()
	rec.Send = c.since(c.now())
	resp, err := c.http.Do(req)
	trace.into(&rec)
	if err != nil {
		rec.Done = c.since(c.now())
		c.failTransport(ctx, &rec, err, "")
		return rec
	}
	defer resp.Body.Close()
	rec.Hdr = c.since(c.now())
	c.readResponse(ctx, resp, &rec)
	return rec
}

// requestHeader is the header every request carries, built once: one map
// clone per request instead of a canonicalizing Set per field.
func (c *Client) requestHeader() http.Header {
	c.headerOnce.Do(func() {
		h := http.Header{}
		h.Set("Content-Type", "application/json")
		if c.stream {
			h.Set("Accept", "text/event-stream")
		} else {
			h.Set("Accept", "application/json")
		}
		if c.apiKey != "" {
			h.Set("Authorization", "Bearer "+c.apiKey)
		}
		for name, values := range c.headers {
			h[name] = values
		}
		// A nil Idempotency-Key is not sent, but marks the POST replayable:
		// when a pooled connection turns out dead before anything came
		// back (llama.cpp's server closes kept-alive connections), net/http
		// sends the request again on another connection instead of failing
		// it.
		h["Idempotency-Key"] = nil
		c.header = h
	})
	return c.header
}

// readResponse turns a response whose headers arrived into the rest of rec:
// the status check and the body (stream or whole). settle counts tokens.
func (c *Client) readResponse(ctx context.Context, resp *http.Response, rec *Record) {
	rec.HTTPStatus = resp.StatusCode
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		rec.Done = c.since(c.now())
		if loc := resp.Header.Get("Location"); resp.StatusCode/100 == 3 && loc != "" {
			rec.fail(failHTTP, fmt.Sprintf("HTTP %d: redirected to %s (not followed: use it as --base-url)", resp.StatusCode, redactURL(loc)))
			return
		}
		rec.fail(failHTTP, c.redact(fmt.Sprintf("HTTP %d: %s", resp.StatusCode, wire.ServerMessage(msg))))
		return
	}
	mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch {
	case !c.stream || mediaType == "application/json":
		// Not streamed (or a server that ignored "stream"): one JSON body.
		rec.Stream = false
		c.readWhole(ctx, resp.Body, rec, resp.ContentLength)
	case mediaType == "text/event-stream" || mediaType == "" || mediaType == "text/plain":
		c.readStream(ctx, resp.Body, rec, false)
	case mediaType == "application/x-ndjson" && c.native:
		c.readStream(ctx, resp.Body, rec, true)
	default:
		rec.Done = c.since(c.now())
		rec.fail(failMalformed, fmt.Sprintf("not an SSE stream: Content-Type %s (Ollama's native API answers NDJSON: use --api ollama, or its /v1 endpoint)", mediaType))
	}
}

// settle counts the output tokens of a request that got through, and drops
// the text kept for that. It runs in the collector, not in the worker: the
// first tiktoken count builds the encoder (a few hundred ms), which must not
// delay the next request.
func (c *Client) settle(rec *Record) {
	if rec.FailKind == "" {
		c.countTokens(rec)
	}
	rec.text = nil
}

// connTrace notes how a request got its connection. Its hooks may run on
// the transport's dialing goroutines, even after the request ended.
type connTrace struct {
	mu      sync.Mutex
	conns   int  // connections handed to the request
	reused  bool // the last one came from the pool
	start   time.Time
	connect time.Duration // the latest dial (TCP connect) took this long
}

func (t *connTrace) hooks(now func() time.Time) *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) {
			t.mu.Lock()
			t.conns++
			t.reused = info.Reused
			t.mu.Unlock()
		},
		ConnectStart: func(string, string) {
			t.mu.Lock()
			t.start = now()
			t.mu.Unlock()
		},
		ConnectDone: func(string, string, error) {
			t.mu.Lock()
			t.connect = now().Sub(t.start)
			t.mu.Unlock()
		},
	}
}

// into records the connection facts in rec.
func (t *connTrace) into(rec *Record) {
	t.mu.Lock()
	defer t.mu.Unlock()
	rec.Retried = t.conns > 1
	rec.NewConn = t.conns > 0 && !t.reused
	if rec.NewConn {
		rec.Connect = t.connect
	}
}

// readWhole reads and decodes a non-streaming answer.
func (c *Client) readWhole(ctx context.Context, body io.Reader, rec *Record, contentLength int64) {
	data, err := readAllSized(body, maxWholeBody+1, contentLength)
	rec.Done = c.since(c.now())
	if err != nil {
		c.failTransport(ctx, rec, err, "reading body: ")
		return
	}
	if len(data) > maxWholeBody {
		rec.fail(failMalformed, fmt.Sprintf("answer larger than %d MiB", maxWholeBody>>20))
		return
	}
	var chunk wire.Chunk
	rec.text, err = wire.Decode(data, &chunk, rec.text)
	if err != nil {
		rec.fail(failMalformed, "malformed response: "+err.Error())
		return
	}
	if chunk.ErrorMsg != "" {
		rec.fail(failHTTP, c.redact("error in response: "+wire.OneLine(chunk.ErrorMsg, 200)))
		return
	}
	rec.ResponseID = string(chunk.ID)
	rec.FinishReason = chunk.Finish
	if chunk.Usage.Present {
		rec.takeUsage(chunk.Usage)
	}
	if chunk.Server.Present {
		rec.takeServer(chunk.Server)
	}
	if !chunk.Tokens {
		rec.fail(failEmpty, "empty completion: no text in the answer")
	}
}

// readAllSized reads body whole, at most limit bytes, into a buffer sized
// by the Content-Length when it is known.
func readAllSized(body io.Reader, limit, contentLength int64) ([]byte, error) {
	size := int64(512)
	if contentLength > 0 {
		size = contentLength + 1 // room to see EOF without growing
	}
	buf := bytes.NewBuffer(make([]byte, 0, min(size, limit)))
	_, err := buf.ReadFrom(io.LimitReader(body, limit))
	return buf.Bytes(), err
}

// takeUsage keeps the usage of the latest chunk that has one.
func (r *Record) takeUsage(u wire.Usage) {
	if u.Completion >= 0 {
		r.OutputTokens = u.Completion
		r.TokenSource = "usage"
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
	if t.DecodeTokens >= 0 && r.TokenSource != "usage" {
		r.OutputTokens, r.TokenSource = t.DecodeTokens, "usage"
	}
	if t.PromptTokens >= 0 && r.InputTokens < 0 {
		r.InputTokens = t.PromptTokens
	}
}

// countTokens settles the output token count: the server's usage when it
// reported a positive count and --force-tiktoken is off, else tiktoken over
// all generated text (content plus reasoning).
func (c *Client) countTokens(rec *Record) {
	if rec.TokenSource == "usage" {
		rec.UsageTokens = rec.OutputTokens
	}
	usable := rec.TokenSource == "usage" && rec.OutputTokens > 0 && !c.forceTiktoken
	// Cross-check: count the text of the first few answers that have usage
	// too, to show how far --encoding is from the model's tokenizer: when
	// the encoder is built anyway, or --cross-check asks for it (building
	// it costs a few hundred ms and about 20 MB).
	if usable && len(rec.text) > 0 && (c.crossCheck || c.counter.Loaded()) && c.crossChecked.Add(1) <= crossCheckSample {
		if n, err := c.counter.Count(rec.text); err == nil {
			rec.TiktokenTokens = n
		}
	}
	if usable {
		rec.OK = true
		return
	}
	n, err := c.counter.Count(rec.text)
	if err != nil {
		rec.fail(failMalformed, "counting tokens: "+err.Error())
		return
	}
	rec.OutputTokens, rec.TokenSource, rec.TiktokenTokens = n, "tiktoken", n
	if n == 0 {
		rec.fail(failEmpty, "empty completion: no output token")
		return
	}
	rec.OK = true
}

// crossCheckSample is how many answers with usage are also counted with
// tiktoken for the token cross-check: enough for a median, and the cost (a
// few ms each, in the collector) stays bounded on long runs.
const crossCheckSample = 50

// failTransport classifies an error from the connection or the body.
func (c *Client) failTransport(ctx context.Context, rec *Record, err error, prefix string) {
	var opErr *net.OpError
	var certErr *tls.CertificateVerificationError
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		rec.fail(failTimeout, prefix+fmt.Sprintf("timeout after %s", c.timeout))
	case ctx.Err() != nil:
		rec.fail(failCancelled, "cancelled")
	case errors.Is(err, syscall.ECONNREFUSED):
		rec.fail(failConnect, "connection refused")
	case errors.As(err, &certErr):
		rec.fail(failConnect, c.redact("TLS certificate not trusted: "+rootCause(err)+" (--insecure skips the check)"))
	case errors.As(err, &opErr) && opErr.Op == "dial":
		rec.fail(failConnect, c.redact("cannot connect: "+rootCause(err)))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, sse.ErrTruncated):
		rec.fail(failNetwork, prefix+"connection closed by the server")
	case errors.Is(err, sse.ErrLineTooLong), errors.Is(err, sse.ErrTooLarge):
		rec.fail(failMalformed, prefix+err.Error())
	default:
		rec.fail(failNetwork, c.redact(prefix+rootCause(err)))
	}
}

// rootCause drops the "Post URL:" wrapping of url.Error and the dial details
// of net.OpError, which repeat what the report already says.
func rootCause(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return wire.OneLine(err.Error(), 200)
		}
		err = u
	}
}

// redact removes the API key from text that may echo it.
func (c *Client) redact(s string) string {
	if len(c.apiKey) >= 4 {
		s = strings.ReplaceAll(s, c.apiKey, "[redacted]")
	}
	return s
}
