package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/tpsbench/tpsbench/internal/sim"
)

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

// BenchmarkSSEReader measures SSE framing alone, per 256-event answer.
func BenchmarkSSEReader(b *testing.B) {
	body := streamBody(256)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		s := newSSEReader(bytes.NewReader(body), time.Now)
		n := 0
		for s.Next() {
			n++
		}
		if n != 259 {
			b.Fatalf("%d events", n)
		}
	}
}

// BenchmarkDecodeChunk measures decoding one content chunk.
func BenchmarkDecodeChunk(b *testing.B) {
	data := []byte(`{"id":"chatcmpl-872","object":"chat.completion.chunk","created":1795815371,"model":"llama3.1:8b","system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":{"role":"assistant","content":" the"},"finish_reason":null}]}`)
	var info chunkInfo
	text := make([]byte, 0, 1<<20)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		text, err = decodeChunk(data, &info, text[:0])
		if err != nil || !info.tokens {
			b.Fatal(err)
		}
	}
}

// BenchmarkSummarizeMillion measures the statistics on a million samples.
func BenchmarkSummarizeMillion(b *testing.B) {
	xs := make([]float64, 1_000_000)
	for i := range xs {
		xs[i] = float64((i * 7919) % 1_000_003)
	}
	work := make([]float64, len(xs))
	b.ReportAllocs()
	for b.Loop() {
		copy(work, xs) // summarize sorts in place
		summarize(work)
	}
}

// BenchmarkDoNonStream measures whole non-streaming round trips against
// the in-process simulator (server costs included: the self-benchmark in
// bench/ separates them), 64 at a time.
func BenchmarkDoNonStream(b *testing.B) {
	running, err := sim.New(sim.Config{MaxTokens: 1}).Listen("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer running.Close()
	cfg := &config{threads: 64, baseURL: running.BaseURL, model: "m", apiKey: "k", timeout: 30, maxTokens: 1, prompt: "hi", encoding: "cl100k_base"}
	cfg.load.api = apiChat
	client := newClient(cfg.clientSpec(running.BaseURL))
	defer client.http.CloseIdleConnections()
	body, _ := newBodyBuilder(cfg).build(withSystem("", "hi 1"))
	b.SetParallelism(32)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if rec := client.Do(context.Background(), 0, body); rec.FailKind != "" {
				b.Fatal(rec.Err)
			}
		}
	})
}
