package main

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/tpsbench/tpsbench/internal/sim"
)

// The simulator judges the client, so its timings must be possible ones:
// tokens come at its rate in tokens per second whatever the chunking, and
// none is due before the model it waited for has loaded. Each case holds
// the client's decode TPS to the rate, and the simulator's own record to
// its schedule.
func TestSimulatorTimingsPossible(t *testing.T) {
	t.Parallel()
	const rate = 100 // tokens per second: a token every 10 ms
	tests := []struct {
		name      string
		cfg       sim.Config
		perChunk  int
		threads   int
		perThread int
	}{
		{"a load that every first request waits for", sim.Config{LoadTime: 100 * time.Millisecond}, 1, 4, 1},
		{"reloads", sim.Config{LoadTime: 30 * time.Millisecond, ReloadEvery: 2}, 1, 2, 3},
		{"4 tokens a chunk", sim.Config{TokensPerChunk: 4}, 4, 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := tt.cfg
			cfg.TTFT, cfg.TokenRate, cfg.Style = 5*time.Millisecond, rate, sim.StyleOllama
			_, records, byID := simRun(t, cfg, tt.threads, tt.perThread, true)
			for _, r := range records {
				s := byID[r.ResponseID]
				if !r.OK || len(s.TokensSent) == 0 {
					t.Fatalf("record %d: ok %v (%s), %d chunks in the simulator's record", r.Index, r.OK, r.Err, len(s.TokensSent))
				}
				// The simulator's own schedule: the first token a TTFT
				// after the load ended, every later chunk perChunk token
				// intervals after the one before it was due.
				if first, least := s.TokensSent[0].Sub(s.Received), s.LoadWait+cfg.TTFT; first < least {
					t.Errorf("%s: first token %v after it came; want at least the load it waited for and the TTFT, %v", s.ID, first, least)
				}
				gap := time.Second / rate
				if last, least := s.TokensSent[len(s.TokensSent)-1].Sub(s.Received), s.LoadWait+cfg.TTFT+time.Duration(r.OutputTokens-tt.perChunk)*gap; last < least {
					t.Errorf("%s: last chunk %v after it came; want at least %v", s.ID, last, least)
				}
				// The client's decode TPS: (tokens - 1) / (t_last - t_first),
				// at most what the rate gives with perChunk tokens a chunk,
				// give or take delivery.
				tpot, _ := r.TPOT()
				decode, most := float64(time.Second)/float64(tpot), float64(rate*(r.OutputTokens-1))/float64(r.OutputTokens-tt.perChunk)
				if decode > most*1.5 {
					t.Errorf("%s: decode TPS %.0f; want about %.0f at most", s.ID, decode, most)
				}
			}
		})
	}
}

// However the simulator chunks its tokens, a chunk goes when its last token
// is due: the answer ends at the same time (E2E), the first chunk comes
// (tokens in it - 1) intervals after the TTFT, and the client's decode TPS,
// (tokens - 1) / (t_last - t_first), is what the rate gives over the tokens
// after the first chunk. The simulator's own timings (llama.cpp's, in the
// JSON's server_side) give the rate itself.
func TestSimulatorChunkingKeepsRate(t *testing.T) {
	t.Parallel()
	const (
		ttftMs = 20.0
		rate   = 100.0 // tokens per second: a token every 10 ms
		n      = 32
	)
	for _, k := range []int{1, 4, 16} {
		t.Run(fmt.Sprintf("%d tokens a chunk", k), func(t *testing.T) {
			t.Parallel()
			doc, _ := runJSON(t, 0, "1", "--requests", "1", "--stream", "--max-tokens", strconv.Itoa(n),
				"--sim", "--sim-style", "llamacpp", "--sim-ttft", "20ms", "--sim-rate", "100", "--sim-jitter", "0",
				"--sim-tokens-per-chunk", strconv.Itoa(k))
			if doc.E2EMs == nil || doc.TTFTMs == nil || doc.DecodeTPS == nil || doc.ServerSide == nil || doc.ServerSide.DecodeTPS == nil {
				t.Fatalf("figures missing: e2e %v, ttft %v, decode %v, server %v", doc.E2EMs, doc.TTFTMs, doc.DecodeTPS, doc.ServerSide)
			}
			within := func(name string, got, least, most float64) {
				t.Helper()
				if got < least || got > most {
					t.Errorf("%s %.1f; want %.1f to %.1f", name, got, least, most)
				}
			}
			e2e := ttftMs + (n-1)*1000/rate
			within("E2E ms", float64(doc.E2EMs.Mean), e2e, e2e*1.3)
			ttft := ttftMs + float64(k-1)*1000/rate
			within("TTFT ms", float64(doc.TTFTMs.Mean), ttft, ttft+0.3*e2e)
			decode := rate * (n - 1) / float64(n-k)
			within("decode TPS", float64(doc.DecodeTPS.Mean), decode*0.7, decode*1.3)
			within("the simulator's own decode TPS", float64(doc.ServerSide.DecodeTPS.Mean), rate*0.8, rate*1.05)
		})
	}
}
