package main

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// crossCheck compares the server's usage with tiktoken's count of the same
// text, over the answers that have both.
type crossCheck struct {
	N             int
	Median, Worst float64 // relative difference, (tiktoken - usage) / usage
}

// trustChecks finds, in the records alone, what lowers trust in a figure:
// guessed token counts, an ignored max_tokens, several tokens per chunk, a
// first request that paid for loading the model. It also returns the token
// cross-check.
func trustChecks(records []Record) ([]string, crossCheck) {
	var notes []string
	var ok []*Record
	for i := range records {
		if r := &records[i]; r.OK && !r.Warmup {
			ok = append(ok, r)
		}
	}
	if len(ok) == 0 {
		return nil, crossCheck{}
	}

	noUsage, over, overMax, chunks, tokens := 0, 0, 0, 0, 0
	var diffs []float64
	for _, r := range ok {
		if r.UsageTokens < 0 {
			noUsage++
		}
		if r.MaxTokens > 0 && r.OutputTokens > r.MaxTokens {
			over++
			overMax = max(overMax, r.OutputTokens)
		}
		if r.Stream && len(r.Chunks) > 0 {
			chunks += len(r.Chunks)
			tokens += r.OutputTokens
		}
		if r.UsageTokens > 0 && r.TiktokenTokens >= 0 {
			diffs = append(diffs, float64(r.TiktokenTokens-r.UsageTokens)/float64(r.UsageTokens))
		}
	}
	if noUsage > 0 {
		notes = append(notes, fmt.Sprintf("%d of %d answers had no usage: their output tokens are tiktoken's estimate, not the model's own count", noUsage, len(ok)))
	}
	if over > 0 {
		notes = append(notes, fmt.Sprintf("%d answers were longer than max_tokens (up to %d tokens): the server ignored the cap, so answers are longer than asked", over, overMax))
	}
	if chunks > 0 && float64(tokens) > 1.1*float64(chunks) {
		notes = append(notes, fmt.Sprintf("%d chunks carried %d tokens (%.1f per chunk): the server sends several tokens at a time, so ITL (per chunk) is coarse", chunks, tokens, float64(tokens)/float64(chunks)))
	}
	if note := coldStart(ok); note != "" {
		notes = append(notes, note)
	}

	var cross crossCheck
	if len(diffs) > 0 {
		slices.Sort(diffs)
		cross.N, cross.Median = len(diffs), percentileSorted(diffs, 50)
		cross.Worst = slices.MaxFunc(diffs, func(a, b float64) int {
			return cmpFloat(math.Abs(a), math.Abs(b))
		})
	}
	return notes, cross
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// coldStart says so when the first request was much slower than the rest
// (by TTFT when streamed, else E2E): the server was likely loading the model.
func coldStart(ok []*Record) string {
	if len(ok) < 5 {
		return ""
	}
	first := slices.MinFunc(ok, func(a, b *Record) int { return cmpFloat(float64(a.Send), float64(b.Send)) })
	latency := func(r *Record) time.Duration {
		if d, ok := r.TTFT(); ok {
			return d
		}
		return r.E2E()
	}
	var rest []float64
	for _, r := range ok {
		if r != first {
			rest = append(rest, float64(latency(r)))
		}
	}
	slices.Sort(rest)
	median := time.Duration(percentileSorted(rest, 50))
	if l := latency(first); l > 3*median && l-median > 100*time.Millisecond {
		return fmt.Sprintf("the first request took %s against a median of %s for the rest: probably the model loading; --warmup keeps such requests out of the figures",
			l.Round(time.Millisecond), median.Round(time.Millisecond))
	}
	return ""
}
