package main

import (
	"context"
	"testing"

	"github.com/tpsbench/tpsbench/internal/sim"
)

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
