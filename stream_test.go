package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tpsbench/tpsbench/internal/sim"
	"github.com/tpsbench/tpsbench/internal/testkit"
)

// FuzzReadStream: the client's whole stream path never panics, and never
// finds more token-bearing chunks than events.
func FuzzReadStream(f *testing.F) {
	f.Add([]byte("data: {\"choices\":[{\"delta\":{\"content\":\"hi\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"))
	f.Add([]byte("data: {\"choices\":[],\"usage\":{\"completion_tokens\":3}}\n\n"))
	f.Add([]byte("data: {\"error\":\"boom\"}\n\n"))
	f.Add([]byte("data: {\"choices\":[{\"delta\":{\"tool_calls\":[{}]}}]}\n\n"))
	c := testClient(f, true, false)
	f.Fuzz(func(t *testing.T, in []byte) {
		rec := newRecord(0, true)
		c.readStream(t.Context(), io.NopCloser(strings.NewReader(string(in))), &rec, false)
		if events := strings.Count(string(in), "data"); rec.Chunks.Len() > events {
			t.Fatalf("%d chunks from %d data fields", rec.Chunks.Len(), events)
		}
	})
}

// BenchmarkReadStream measures the client's whole per-chunk path (SSE
// framing, timestamps, chunk decoding) over a 256-token answer; ns/op is
// per answer, so divide by 256 for the cost per token.
func BenchmarkReadStream(b *testing.B) {
	body := testkit.StreamBody(256)
	c := testClient(b, true, false)
	c.maxTokens = 256
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		rec := newRecord(0, true)
		c.readStream(b.Context(), io.NopCloser(bytes.NewReader(body)), &rec, false)
		if !rec.DoneSeen || rec.Chunks.Len() != 256 {
			b.Fatalf("chunks=%d done=%v err=%q", rec.Chunks.Len(), rec.DoneSeen, rec.Err)
		}
	}
}

// The client's timestamps are held against the simulator's own record of
// when it received each request and wrote each token. Both run in this
// process on one monotonic clock, so causality gives exact bounds: the
// client sends before the server receives, and the server writes a token
// before the client can read it.
func TestTimingAgainstSimulatorTimeline(t *testing.T) {
	t.Parallel()
	for _, style := range sim.Styles {
		t.Run(string(style), func(t *testing.T) {
			t.Parallel()
			cfg := sim.Config{TTFT: 30 * time.Millisecond, TokenRate: 200, Jitter: 0.5, Style: style, Seed: 7}
			client, records, byID := simRun(t, cfg, 4, 3, true)
			if len(records) != 12 || len(byID) != 12 {
				t.Fatalf("%d client records, %d simulator records; want 12 each", len(records), len(byID))
			}
			at := func(d time.Duration) time.Time { return client.start.Add(d) }
			for _, r := range records {
				s, found := byID[r.ResponseID]
				if !r.OK || !found {
					t.Fatalf("record %d: ok=%v id=%q err=%q; want ok and known to the simulator", r.Index, r.OK, r.ResponseID, r.Err)
				}
				if r.Chunks.Len() != len(s.TokensSent) || r.OutputTokens != s.CompletionTokens {
					t.Fatalf("%s: %d chunks, %d tokens; simulator wrote %d tokens", s.ID, r.Chunks.Len(), r.OutputTokens, len(s.TokensSent))
				}
				if at(r.Send).After(s.Received) {
					t.Errorf("%s: t_send %v after the simulator received it", s.ID, at(r.Send).Sub(s.Received))
				}
				for i, c := range r.Chunks.All() {
					// Arrivals after the first are kept to the microsecond, rounded down.
					if at(c + time.Microsecond).Before(s.TokensSent[i]) {
						t.Errorf("%s: token %d stamped %v before the simulator wrote it", s.ID, i, s.TokensSent[i].Sub(at(c)))
					}
				}
				// TTFT is at least the server's own time to first token, and
				// not wildly more on loopback.
				ttft, _ := r.TTFT()
				serverTTFT := s.TokensSent[0].Sub(s.Received)
				if ttft < serverTTFT || ttft > serverTTFT+time.Second {
					t.Errorf("%s: TTFT %v; simulator's own %v", s.ID, ttft, serverTTFT)
				}
			}
		})
	}
}

// A reasoning model's thinking tokens are tokens: TTFT counts from the first
// of them, TTFO from the first answer token, and tiktoken counts both.
func TestReasoningStream(t *testing.T) {
	t.Parallel()
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, `data: {"choices":[{"delta":{"role":"assistant","content":""}}]}`+"\n\n")
		io.WriteString(w, `data: {"choices":[{"delta":{"reasoning_content":" the"}}]}`+"\n\n")
		w.(http.Flusher).Flush()
		io.WriteString(w, `data: {"choices":[{"delta":{"reasoning":" of"}}]}`+"\n\n")
		w.(http.Flusher).Flush()
		io.WriteString(w, `data: {"choices":[{"delta":{"content":" and"}}]}`+"\n\n")
		io.WriteString(w, `data: {"choices":[{"delta":{},"finish_reason":"stop"}]}`+"\n\ndata: [DONE]\n\n")
	})
	doc, _ := runJSON(t, 0, "1", "--base-url", url, "--stream", "--requests-per-thread", "2")
	if r, tok := doc.Requests, doc.Tokens; r.OK != 2 || r.Failed != 0 || tok.Output != 6 || tok.Chunks != 6 || tok.FromUsage != 0 || tok.FromTiktoken != 2 {
		t.Errorf("requests %+v, tokens %+v; want 2 ok, 6 tokens in 6 chunks counted by tiktoken", r, tok)
	}
	if doc.TTFTMs == nil || doc.TTFOMs == nil || doc.TTFOMs.Count != 2 || doc.TTFOMs.Mean < doc.TTFTMs.Mean {
		t.Errorf("TTFT %+v, TTFO %+v; want a TTFO for each answer, after its TTFT", doc.TTFTMs, doc.TTFOMs)
	}
}

// A server that keeps the stream open after [DONE] costs a short wait, not
// the request timeout. (The bound is loose: the drain waits 200 ms.)
func TestStreamHeldOpenAfterDone(t *testing.T) {
	t.Parallel()
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, chunk("a")+"data: [DONE]\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
	})
	start := time.Now()
	doc, _ := runJSON(t, 0, "2", "--base-url", url, "--stream", "--timeout", "60", "--requests-per-thread", "1")
	if r := doc.Requests; r.OK != 2 || r.Failed != 0 {
		t.Errorf("requests %+v; want 2 ok", r)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("run took %v; the drain after [DONE] waited for the timeout", took)
	}
}

// The *.timed.txt fixtures are raw socket captures of real servers: one line
// per recv() with its time since the request was sent and the bytes, as a
// Python bytes repr. Replaying them read by read, with a clock that shows
// each read's capture time, checks that chunks are stamped when their bytes
// arrived, whatever the framing (Ollama sends its last content, finish,
// usage and [DONE] in one read).

// recvLine is one line of a capture.
var recvLine = regexp.MustCompile(`^\+\s*([0-9.]+)ms\s+\d+B\s+b(['"])(.*)['"]$`)

// readCapture returns the received parts and their arrival times.
func readCapture(t *testing.T, name string) (parts []string, times []time.Duration) {
	t.Helper()
	b := readFile(t, fixturePath(name))
	for _, line := range strings.Split(string(b), "\n") {
		m := recvLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		msec, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, unrepr(t, m[3]))
		times = append(times, time.Duration(msec*float64(time.Millisecond)))
	}
	return parts, times
}

// unrepr decodes the inside of a Python bytes literal.
func unrepr(t *testing.T, s string) string {
	var out strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			out.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n':
			out.WriteByte('\n')
		case 'r':
			out.WriteByte('\r')
		case 't':
			out.WriteByte('\t')
		case 'x':
			v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				t.Fatalf("bad escape in %q", s)
			}
			out.WriteByte(byte(v))
			i += 2
		default: // \\ \' \"
			out.WriteByte(s[i])
		}
	}
	return out.String()
}

// contentEvents counts the events in one received part that carry a
// non-empty "content", by plain text search (independent of the client).
func contentEvents(part string) int {
	return strings.Count(part, `"content":"`) - strings.Count(part, `"content":""`)
}

// Chunks are stamped with the time of the read that carried them.
func TestReplayTimedCaptures(t *testing.T) {
	t.Parallel()
	for _, name := range []string{
		"ollama-b-stream-raw-timed-small.timed.txt",
		"llamacpp-b-stream-raw-timed-small.timed.txt",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			parts, times := readCapture(t, name)
			var want []time.Duration
			for i, p := range parts {
				for range contentEvents(p) {
					want = append(want, times[i])
				}
			}
			base := time.Unix(1_800_000_000, 0)
			r := testkit.NewStepReader(parts, times)
			clock := r.Clock(base)
			resp, err := http.ReadResponse(bufio.NewReader(r), nil)
			if err != nil {
				t.Fatal(err)
			}
			c := testClient(t, true, false)
			c.start, c.now = base, clock
			rec := newRecord(0, true)
			rec.Send, rec.Hdr = 0, c.since(clock())
			c.readResponse(context.Background(), resp, &rec)
			c.settle(&rec)

			if !rec.OK || !rec.DoneSeen {
				t.Fatalf("ok=%v done=%v err=%q; want ok with [DONE]", rec.OK, rec.DoneSeen, rec.Err)
			}
			if !slices.Equal(rec.Chunks.All(), want) {
				t.Errorf("chunk arrivals = %v\nwant %v", rec.Chunks.All(), want)
			}
			if ttft, _ := rec.TTFT(); ttft != want[0] {
				t.Errorf("TTFT = %v; want %v (the read that carried the first token)", ttft, want[0])
			}
			if rec.OutputTokens != 12 || rec.TokenSource != "usage" {
				t.Errorf("tokens = %d from %s; want 12 from usage", rec.OutputTokens, rec.TokenSource)
			}
		})
	}
}

// Ollama's native stream: NDJSON lines, each stamped as it arrives, ending
// with done: true and the server's counts.
func TestOllamaNativeStreamFixture(t *testing.T) {
	t.Parallel()
	c := testClient(t, true, false)
	c.native = true
	resp := readFixture(t, "ollama-i-api-chat-stream.http")
	defer resp.Body.Close()
	rec := newRecord(0, true)
	rec.Send = 0
	c.readResponse(context.Background(), resp, &rec)
	c.settle(&rec)
	if !rec.OK || rec.Chunks.Len() != 16 || rec.OutputTokens != 16 || rec.TokenSource != "usage" || rec.InputTokens != 31 ||
		!rec.DoneSeen || rec.FinishReason != "length" || rec.Server == nil || rec.Server.LoadMs != 18.07679 {
		t.Errorf("record %+v, server %+v", rec, rec.Server)
	}
	// Without --api ollama the same answer is named for what it is.
	rec = replay(t, "ollama-i-api-chat-stream.http", true, false)
	if rec.OK || !strings.Contains(rec.Err, "Ollama's native API answers NDJSON") {
		t.Errorf("as SSE: ok=%v err=%q", rec.OK, rec.Err)
	}
}

// Tokens are counted as their chunks arrive, not when the answer ends, so
// that the progress line's tokens/s moves while answers stream.
func TestTokensCountedAsTheyArrive(t *testing.T) {
	t.Parallel()
	c := testClient(t, true, false)
	pr, pw := io.Pipe()
	done := make(chan Record)
	go func() {
		rec := newRecord(0, true)
		c.readStream(t.Context(), pr, &rec, false)
		done <- rec
	}()
	for i := range 3 {
		io.WriteString(pw, chunk("tok"))
		// The reader reads again only once it has handled what it had:
		// when this keep-alive is taken, the chunk is counted.
		io.WriteString(pw, ": keep-alive\n\n")
		if got := c.arrived.Load(); got != int64(i+1) {
			t.Fatalf("after %d chunks of an unfinished stream, %d counted", i+1, got)
		}
	}
	io.WriteString(pw, "data: [DONE]\n\n")
	pw.Close()
	if rec := <-done; rec.Chunks.Len() != 3 {
		t.Errorf("%d chunks; want 3", rec.Chunks.Len())
	}
}

// readConn is a client's connection that closes consumed once it has read
// want bytes: then what the server wrote is in the client's buffers, and an
// RST can no longer take it back.
type readConn struct {
	net.Conn
	want     *atomic.Int64
	read     int64
	consumed chan struct{}
	once     sync.Once
}

func (c *readConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if c.read += int64(n); c.want.Load() > 0 && c.read >= c.want.Load() {
		c.once.Do(func() { close(c.consumed) })
	}
	return n, err
}

// A stream that delivered its finish_reason is a complete answer, however
// the connection ends after it: an RST, or a close without the chunked
// body's last (zero-length) chunk. Before the finish_reason, the same
// endings cut the answer.
func TestStreamEndsAfterFinish(t *testing.T) {
	t.Parallel()
	const finish = `data: {"id":"x","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\n"
	const usage = `data: {"id":"x","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}}` + "\n\n"
	tests := []struct {
		name   string
		events string
		rst    bool   // end with an RST; else a plain close
		err    string // the failure; "" for ok
		source tokenSource
	}{
		{"RST after finish and usage", chunk("a") + chunk("b") + finish + usage, true, "", sourceUsage},
		{"close without the last chunk after finish and usage", chunk("a") + chunk("b") + finish + usage, false, "", sourceUsage},
		{"RST after finish, before usage", chunk("a") + chunk("b") + finish, true, "", sourceTiktoken},
		{"RST mid-answer", chunk("a") + chunk("b"), true, "stream cut mid-answer: ", ""},
		{"close mid-answer", chunk("a") + chunk("b"), false, "stream cut mid-answer: connection closed by the server", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var want atomic.Int64
			consumed := make(chan struct{})
			url := rawServer(t, func(conn net.Conn, _ *http.Request) {
				head := "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
				body := fmt.Sprintf("%x\r\n%s\r\n", len(tt.events), tt.events) // no "0\r\n\r\n" after it
				want.Store(int64(len(head) + len(body)))
				io.WriteString(conn, head+body)
				select { // until the client has it all
				case <-consumed:
				case <-time.After(10 * time.Second):
				}
				if tt.rst {
					conn.(*net.TCPConn).SetLinger(0)
				}
				conn.Close()
			})
			c := testClientAt(t, url, true, false)
			c.maxTokens = 16
			dialVia(c.Client, func(conn net.Conn, err error) (net.Conn, error) {
				return &readConn{Conn: conn, want: &want, consumed: consumed}, err
			})
			rec := c.Do(t.Context(), 0, []byte(`{}`))
			c.settle(&rec)
			switch {
			case tt.err == "" && (!rec.OK || rec.TokenSource != tt.source || rec.FinishReason != "stop" || rec.Chunks.Len() != 2):
				t.Errorf("failed %q, tokens from %q, finish %q, %d chunks; want ok, tokens from %s, finish stop, 2 chunks", rec.Err, rec.TokenSource, rec.FinishReason, rec.Chunks.Len(), tt.source)
			case tt.err != "" && (rec.OK || !strings.HasPrefix(rec.Err, tt.err)):
				t.Errorf("ok %v, error %q; want it failed: %q", rec.OK, rec.Err, tt.err)
			}
		})
	}
}
