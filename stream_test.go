package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// stepReader hands out one part per Read and moves a fake clock to that
// part's arrival time, as bytes arriving off a connection would.
type stepReader struct {
	parts []string
	times []time.Duration
	now   time.Duration
}

func (r *stepReader) Read(p []byte) (int, error) {
	if len(r.parts) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.parts[0])
	r.parts[0] = r.parts[0][n:]
	r.now = r.times[0]
	if r.parts[0] == "" {
		r.parts, r.times = r.parts[1:], r.times[1:]
	}
	return n, nil
}

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
		if events := strings.Count(string(in), "data"); len(rec.Chunks) > events {
			t.Fatalf("%d chunks from %d data fields", len(rec.Chunks), events)
		}
	})
}

// streamBody builds an Ollama-shaped stream of n one-token chunks, with the
// finish, usage and [DONE] events at the end.
func streamBody(n int) []byte {
	var b bytes.Buffer
	words := []string{" the", " of", " and", " to", " in", " is"}
	for i := range n {
		fmt.Fprintf(&b, `data: {"id":"chatcmpl-872","object":"chat.completion.chunk","created":1795815371,"model":"llama3.1:8b","system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":{"role":"assistant","content":%q},"finish_reason":null}]}`+"\n\n", words[i%len(words)])
	}
	fmt.Fprintf(&b, `data: {"id":"chatcmpl-872","object":"chat.completion.chunk","created":1795815371,"model":"llama3.1:8b","system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":"length"}]}`+"\n\n")
	fmt.Fprintf(&b, `data: {"id":"chatcmpl-872","object":"chat.completion.chunk","created":1795815371,"model":"llama3.1:8b","system_fingerprint":"fp_ollama","choices":[],"usage":{"prompt_tokens":31,"completion_tokens":%d,"total_tokens":%d}}`+"\n\ndata: [DONE]\n\n", n, n+31)
	return b.Bytes()
}

// BenchmarkReadStream measures the client's whole per-chunk path (SSE
// framing, timestamps, chunk decoding) over a 256-token answer; ns/op is
// per answer, so divide by 256 for the cost per token.
func BenchmarkReadStream(b *testing.B) {
	body := streamBody(256)
	c := testClient(b, true, false)
	c.maxTokens = 256
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		rec := newRecord(0, true)
		c.readStream(b.Context(), io.NopCloser(bytes.NewReader(body)), &rec, false)
		if !rec.DoneSeen || len(rec.Chunks) != 256 {
			b.Fatalf("chunks=%d done=%v err=%q", len(rec.Chunks), rec.DoneSeen, rec.Err)
		}
	}
}
