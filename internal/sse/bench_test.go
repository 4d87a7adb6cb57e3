package sse

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

// streamBody builds an Ollama-shaped stream of n one-token chunks, with the
// finish, usage and [DONE] events at the end (as package main's
// BenchmarkReadStream reads it).
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

// BenchmarkSSEReader measures SSE framing alone, per 256-event answer.
func BenchmarkSSEReader(b *testing.B) {
	body := streamBody(256)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		s := NewReader(bytes.NewReader(body), time.Now)
		n := 0
		for s.Next() {
			n++
		}
		if n != 259 {
			b.Fatalf("%d events", n)
		}
	}
}
