package main

import (
	"fmt"
	"strconv"
)

// point is one measured configuration.
type point struct {
	name    string
	client  []string // tpsbench arguments, without --base-url
	ref     []string // the reference's arguments, without -base-url; nil: no reference
	sim     []string // tpsbench sim arguments, without --addr
	budget  string   // what the issues ask of it
	noTTFT  bool
	perTok  bool // CPU per million tokens is meaningful
	perReq  bool // requests/s is the figure
	perConn bool // memory per connection is the figure
	setRuns int  // override -reps (long points)
}

var zeroDelay = []string{"--ttft", "0", "--rate", "0", "--jitter", "0"}

// eachWrite is the wire shape real servers use: one SSE event per token,
// each in its own write (llama.cpp's server; vLLM and SGLang flush per
// token too).
var eachWrite = append([]string{"--flush-each-token"}, zeroDelay...)

// streamed is c streams of 256-token answers, perThread requests each, with
// the reference beside it when withRef.
func streamed(name string, c, perThread int, sim []string, withRef bool, budget string) point {
	p := point{
		name:   fmt.Sprintf("%s c=%d", name, c),
		client: []string{strconv.Itoa(c), "--stream", "--max-tokens", "256", "--requests-per-thread", strconv.Itoa(perThread)},
		sim:    sim, budget: budget, perTok: true, noTTFT: true,
	}
	if withRef {
		p.ref = []string{"-c", strconv.Itoa(c), "-n", strconv.Itoa(perThread), "-max-tokens", "256"}
	}
	return p
}

func points() []point {
	perToken := ">= 1.0x ref tok/s; <= 0.8x ref CPU/tok; sim CPU/tok <= ref's"
	return []point{
		// About 400,000 tokens each: a few seconds at the rates seen here.
		streamed("one token per write", 1, 1500, eachWrite, true, perToken),
		streamed("one token per write", 16, 100, eachWrite, true, perToken),
		streamed("one token per write", 64, 25, eachWrite, true, perToken),
		streamed("one token per write", 256, 6, eachWrite, true, perToken),
		streamed("coalesced", 1, 1500, zeroDelay, true, "no regression"),
		streamed("coalesced", 64, 25, zeroDelay, true, "no regression"),
		streamed("memory 1M tokens", 64, 61, zeroDelay, false, "RSS <= 30 MB"),
		func() point {
			p := streamed("memory 10M tokens", 64, 610, zeroDelay, false, "RSS <= 100 MB")
			p.setRuns = 1
			return p
		}(),
		{
			name:   "nonstream 1-token c=64",
			client: []string{"64", "--max-tokens", "1", "--requests-per-thread", "500"},
			ref:    []string{"-c", "64", "-n", "500", "-max-tokens", "1", "-stream=false"},
			sim:    zeroDelay, budget: ">= 40,000 req/s", perReq: true, noTTFT: true,
		},
		{
			name:   "ttft c=1",
			client: []string{"1", "--stream", "--max-tokens", "16", "--requests-per-thread", "40"},
			ref:    []string{"-c", "1", "-n", "40", "-max-tokens", "16"},
			sim:    []string{"--ttft", "20ms", "--rate", "500", "--jitter", "0"}, budget: "TTFT within 1 ms",
		},
		{
			name:   "ttft c=64",
			client: []string{"64", "--stream", "--max-tokens", "16", "--requests-per-thread", "4"},
			ref:    []string{"-c", "64", "-n", "4", "-max-tokens", "16"},
			sim:    []string{"--ttft", "20ms", "--rate", "500", "--jitter", "0"}, budget: "TTFT err mean <= 5 ms",
		},
		{
			name:   "scale 10k streams, 100 ms/token",
			client: []string{"10000", "--stream", "--max-tokens", "20", "--requests-per-thread", "1", "--timeout", "60"},
			sim:    []string{"--ttft", "100ms", "--rate", "10", "--jitter", "0"}, budget: "all ok; < 32 KB per stream", setRuns: 1, perConn: true,
		},
	}
}
