package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"time"

	"github.com/tpsbench/tpsbench/internal/wire"
)

// One benchmark request, measured: sent through the Client, its answer read
// whole or as a stream (stream.go), every outcome one Record.

// maxWholeBody bounds a non-streamed answer, which is read whole.
const maxWholeBody = 64 << 20

// Do sends one request and returns its Record, still to be settled (token
// count and ok). It never panics and never returns without a Record: every
// failure is classified in it.
func (c *Client) Do(ctx context.Context, index int, body []byte) Record {
	rec := newRecord(index, c.stream)
	rec.MaxTokens, rec.FixedOutput = c.maxTokens, c.fixed
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var trace connTrace
	traced := httptrace.WithClientTrace(ctx, trace.hooks(c.now))

	// The request is built before t_send, so its cost is not the server's;
	// the endpoint is the origin, so it carries the key and --header.
	req, err := newRequest(traced, http.MethodPost, c.endpoint, body, c.header)
	if err != nil {
		rec.Send, rec.Done = c.since(c.now()), c.since(c.now())
		rec.fail(failConnect, c.message(err.Error()))
		return rec
	}
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

// readResponse turns a response whose headers arrived into the rest of rec:
// the status check and the body (stream or whole); the runner's counters
// settle its tokens (tokenPolicy.settle).
func (c *Client) readResponse(ctx context.Context, resp *http.Response, rec *Record) {
	rec.HTTPStatus = resp.StatusCode
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		rec.Done = c.since(c.now())
		rec.fail(failHTTP, c.refusal(resp, msg))
		return
	}
	if enc := resp.Header.Get("Content-Encoding"); enc != "" && !strings.EqualFold(enc, "identity") {
		// None is asked for (streams must arrive as sent), so none is decoded.
		rec.Done = c.since(c.now())
		rec.fail(failMalformed, fmt.Sprintf("the server sent a compressed answer (Content-Encoding: %s), which was not asked for", wire.OneLine(enc, 40)))
		return
	}
	mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch {
	case !c.stream || mediaType == "application/json":
		// Not streamed (or a server that ignored "stream"): one JSON body.
		rec.Stream, rec.StreamIgnored = false, c.stream
		c.readWhole(ctx, resp.Body, rec)
	case mediaType == "text/event-stream" || mediaType == "" || mediaType == "text/plain":
		c.readStream(ctx, resp.Body, rec, false)
	case mediaType == "application/x-ndjson" && c.native:
		c.readStream(ctx, resp.Body, rec, true)
	default:
		rec.Done = c.since(c.now())
		rec.fail(failMalformed, fmt.Sprintf("not an SSE stream: Content-Type %s (Ollama's native API answers NDJSON: use --api ollama, or its /v1 endpoint)", mediaType))
	}
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
func (c *Client) readWhole(ctx context.Context, body io.Reader, rec *Record) {
	var budget *textBudget
	if c.tokens != nil {
		budget = c.tokens.budget
	}
	data, charged, err := readCapped(body, maxWholeBody, budget)
	defer func() { budget.give(charged) }()
	rec.Done = c.since(c.now())
	switch {
	case errors.Is(err, errOverBudget):
		rec.fail(failLocal, err.Error()) // the client's bound, not the server's doing
		return
	case err != nil:
		c.failTransport(ctx, rec, err, "reading body: ")
		return
	case len(data) > maxWholeBody:
		rec.fail(failMalformed, fmt.Sprintf("answer larger than %d MiB", maxWholeBody>>20))
		return
	}
	var chunk wire.Chunk
	if err := wire.DecodeMeta(data, &chunk); err != nil {
		rec.fail(failMalformed, "malformed response: "+err.Error())
		return
	}
	if chunk.ErrorMsg != "" {
		rec.fail(failHTTP, c.message("error in response: "+chunk.ErrorMsg))
		return
	}
	rec.ResponseID = c.text(string(chunk.ID))
	rec.FinishReason = c.text(chunk.Finish)
	if !rec.takeCounts(&chunk) {
		return
	}
	if !chunk.Tokens {
		rec.fail(failEmpty, "empty completion: no text in the answer")
		return
	}
	if !c.tokens.wholeText(rec) {
		return
	}
	// The text is no longer than its body: decoded into a buffer of that
	// size (beyond freeBody, from the budget), it is never grown copy by
	// copy. Then the body is let go, before the text is counted.
	textCharge := 0
	if len(data) > freeBody {
		if !budget.take(len(data)) {
			rec.fail(failLocal, errOverBudget.Error())
			return
		}
		textCharge = len(data)
	}
	rec.text.buf, _ = wire.Decode(data, &chunk, make([]byte, 0, len(data)))
	budget.give(charged)
	charged = textCharge
	c.tokens.keepWhole(ctx, rec)
}

// errOverBudget: a non-streamed answer would take the client past its
// memory bound for answers: a shortage of the client's, as running out of
// file descriptors is.
var errOverBudget = fmt.Errorf("client out of memory for answers: this answer would take those in flight past the %d MiB the client allows them (fewer threads make room)", textBudgetBytes>>20)

// readCapped reads body whole, at most limit bytes (one more tells that
// there was more). Its buffer doubles as the bytes come, never past the
// limit and never sized by what the server announces; past freeBody bytes,
// it draws from budget (charged says how much), or fails with
// errOverBudget.
func readCapped(body io.Reader, limit int, budget *textBudget) (data []byte, charged int, err error) {
	buf := make([]byte, 0, 512)
	for {
		if len(buf) == cap(buf) {
			if len(buf) > limit {
				return buf, charged, nil
			}
			size := min(2*cap(buf), limit+1)
			if need := max(size-freeBody, 0) - charged; need > 0 {
				if !budget.take(need) {
					return buf, charged, errOverBudget
				}
				charged += need
			}
			buf = append(make([]byte, 0, size), buf...)
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, charged, nil
		}
		if err != nil {
			return buf, charged, err
		}
	}
}
