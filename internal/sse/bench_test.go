package sse

import (
	"bytes"
	"testing"
	"time"

	"github.com/tpsbench/tpsbench/internal/testkit"
)

// BenchmarkSSEReader measures SSE framing alone, per 256-event answer.
func BenchmarkSSEReader(b *testing.B) {
	body := testkit.StreamBody(256)
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
