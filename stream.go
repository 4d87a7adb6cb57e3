package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"time"

	"github.com/tpsbench/tpsbench/internal/sse"
	"github.com/tpsbench/tpsbench/internal/wire"
)

// This file is the streaming measurement: it reads a streamed answer and
// stamps each token-bearing chunk with the arrival time of its bytes. The
// framing is internal/sse's, the chunks' format internal/wire's.

// readStream consumes an SSE body, stamping each token-bearing chunk with
// the arrival time of its bytes.
// With ndjson it reads Ollama's native stream, a JSON object per line.
func (c *Client) readStream(ctx context.Context, body io.ReadCloser, rec *Record, ndjson bool) {
	var events *sse.Reader
	if ndjson {
		events = sse.NewNDJSONReader(body, c.now)
	} else {
		events = sse.NewReader(body, c.now)
	}
	// One timestamp per token: room for max_tokens+1, so it never grows
	// when the server keeps to it.
	rec.Chunks = newArrivals(min(c.maxTokens, 1<<16))
	var chunk wire.Chunk
	for events.Next() {
		data := events.Data()
		if string(bytes.TrimSpace(data)) == "[DONE]" {
			rec.DoneSeen = true
			break
		}
		if len(data) > cap(rec.text.buf)-len(rec.text.buf) {
			c.tokens.room(ctx, rec, len(data)) // a chunk's text is no longer than its data
		}
		var err error
		rec.text.buf, err = wire.Decode(data, &chunk, rec.text.buf)
		if err != nil {
			rec.Done = c.since(c.now())
			rec.fail(failMalformed, "malformed stream chunk: "+err.Error())
			return
		}
		if chunk.ErrorMsg != "" {
			rec.Done = c.since(c.now())
			rec.fail(failStream, c.message("error in stream: "+chunk.ErrorMsg))
			return
		}
		if rec.ResponseID == "" && len(chunk.ID) > 0 {
			rec.ResponseID = c.text(string(chunk.ID))
		}
		if chunk.Tokens {
			at := c.since(events.At())
			rec.Chunks.Append(at)
			c.arrived.Add(1)
			if chunk.Answer && rec.FirstAnswer == none {
				rec.FirstAnswer = at
			} else if !chunk.Answer && rec.FirstAnswer == none {
				rec.Reasoning = true
			}
		}
		if chunk.Finish != "" {
			rec.FinishReason = c.text(chunk.Finish)
		}
		if (chunk.Usage.Present || chunk.Server.Present) && !rec.takeCounts(&chunk) {
			rec.Done = c.since(c.now())
			return
		}
		if chunk.Done { // Ollama's native stream ends with done: true
			rec.DoneSeen = true
			if rec.FinishReason == "" {
				rec.FinishReason = "stop"
			}
			break
		}
	}
	rec.Done = c.since(c.now())
	if rec.DoneSeen {
		drainAfterDone(body)
	}
	if err := events.Err(); err != nil && !endedAfterFinish(ctx, rec, err) {
		where := "stream cut before the first token: "
		if rec.Chunks.Len() > 0 {
			where = "stream cut mid-answer: "
		}
		c.failTransport(ctx, rec, err, where)
		return
	}
	if !rec.DoneSeen && rec.FinishReason == "" {
		rec.fail(failStream, "stream ended early: no finish_reason and no [DONE]")
		return
	}
	if rec.Chunks.Len() == 0 {
		rec.fail(failEmpty, "empty completion: no token in the stream")
	}
}

// endedAfterFinish reports whether a stream that ended in err had already
// delivered its finish_reason: the answer is then complete, however the
// connection ended (an RST, a close without the chunked body's last
// chunk). Running out of time, being cancelled, or an oversized event
// still fail it.
func endedAfterFinish(ctx context.Context, rec *Record, err error) bool {
	return rec.FinishReason != "" && ctx.Err() == nil &&
		!errors.Is(err, sse.ErrLineTooLong) && !errors.Is(err, sse.ErrTooLarge)
}

// drainAfterDone reads what follows [DONE] (the end of the chunked body) so
// the connection goes back to the pool. A server that keeps the stream open
// after [DONE] costs at most a short wait and its connection, never the
// request timeout.
func drainAfterDone(body io.ReadCloser) {
	t := time.AfterFunc(200*time.Millisecond, func() { body.Close() })
	io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	t.Stop()
}
