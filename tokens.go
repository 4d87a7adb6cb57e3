package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pkoukk/tiktoken-go"
	tiktokenloader "github.com/pkoukk/tiktoken-go-loader"
)

// encodings are the tiktoken encodings whose BPE data is embedded in the
// binary (by tiktoken-go-loader): counting never touches the network.
var encodings = []string{"cl100k_base", "o200k_base", "p50k_base", "r50k_base"}

// offlineLoader points tiktoken-go, whose loader is a package global that
// downloads by default, at the embedded data. It runs once per process,
// before any encoding is built.
var offlineLoader = sync.OnceFunc(func() {
	tiktoken.SetBpeLoader(tiktokenloader.NewOfflineLoader())
})

// tokenCounter counts the tokens of generated text.
type tokenCounter interface {
	Count(text []byte) (int, error)
}

// tiktokenCounter counts with a tiktoken encoding, built once and only when
// some request first needs it (building cl100k_base takes a few hundred ms).
type tiktokenCounter struct {
	name  string
	build func() (*tiktoken.Tiktoken, error)
}

// newTiktokenCounter checks the encoding name; the encoder itself is built
// lazily.
func newTiktokenCounter(name string) (*tiktokenCounter, error) {
	if !slices.Contains(encodings, name) {
		return nil, fmt.Errorf("unknown encoding %q: use one of %s", name, strings.Join(encodings, ", "))
	}
	c := &tiktokenCounter{name: name}
	c.build = sync.OnceValues(func() (*tiktoken.Tiktoken, error) {
		offlineLoader()
		enc, err := tiktoken.GetEncoding(name)
		if err != nil {
			return nil, fmt.Errorf("loading tiktoken encoding %s: %w", name, err)
		}
		return enc, nil
	})
	return c, nil
}

// Count returns the number of tokens of text, special tokens counted as
// ordinary text (a model may well write "<|endoftext|>").
func (c *tiktokenCounter) Count(text []byte) (int, error) {
	enc, err := c.build()
	if err != nil {
		return 0, err
	}
	return len(enc.EncodeOrdinary(string(text))), nil
}

// tokenPolicy settles each Record's output token count: the server's usage
// when it reported a positive count (unless --force-tiktoken), else
// tiktoken over all generated text (content plus reasoning). It runs off
// the requests' path (runner.settleAll), piece by piece (count.go): the
// first tiktoken count builds the encoder (a few hundred ms), which must
// not delay the next request. It also rules what text an answer keeps for
// it, within the run's budget (answertext.go).
type tokenPolicy struct {
	counter tokenCounter
	force   bool // --force-tiktoken
	// crossCheck (--cross-check) counts the first answers that have usage
	// with tiktoken too, even when that means building the encoder.
	crossCheck bool
	checked    atomic.Int64
	usageSeen  atomic.Bool // some answer's usage gave its count
	// counted: some answer's count was tiktoken's (it had no usage, or
	// --force-tiktoken). tiktoken is then in use anyway, so answers with
	// usage are cross-checked too, and usage is no longer expected.
	counted atomic.Bool
	budget  *textBudget // the answer text held across the run
}

// newTokenPolicy returns the token policy of a run, its text budget
// textBudgetBytes.
func newTokenPolicy(counter tokenCounter, force, crossCheck bool) *tokenPolicy {
	return &tokenPolicy{counter: counter, force: force, crossCheck: crossCheck, budget: newTextBudget(textBudgetBytes)}
}

// crossCheckSample is how many answers with usage are also counted with
// tiktoken for the token cross-check: enough for a median, and the cost (a
// few ms each, off the requests' path) stays bounded on long runs.
const crossCheckSample = 50

// settle counts the output tokens of a request that got through, and lets
// go of the text kept for that. Counting stops when ctx ends: the request
// is then cancelled.
func (p *tokenPolicy) settle(ctx context.Context, rec *Record) {
	if rec.FailKind == "" {
		p.count(ctx, rec)
	}
	p.release(&rec.text)
}

func (p *tokenPolicy) count(ctx context.Context, rec *Record) {
	if rec.TokenSource == sourceUsage {
		rec.UsageTokens = rec.OutputTokens
	}
	t := &rec.text
	if rec.TokenSource == sourceUsage && rec.OutputTokens > 0 && !p.force {
		p.usageSeen.Store(true)
		// Cross-check: count the text of the first few answers that have
		// usage too, to show how far --encoding is from the model's
		// tokenizer: when tiktoken counts answers anyway, or --cross-check
		// asks for it (building it costs a few hundred ms and about 20 MB).
		// Text counted as it arrived only because usage was not known yet
		// makes no cross-check of itself.
		kept := !t.dropped && t.err == nil && (t.counted > 0 || len(t.buf) > 0)
		if kept && p.crossAsked() && p.checked.Add(1) <= crossCheckSample {
			if n, _, err := p.countRest(ctx, t); err == nil {
				rec.TiktokenTokens = n
			}
		}
		rec.OK = true
		return
	}
	n, approx, err := p.countRest(ctx, t)
	if err != nil {
		failCounting(ctx, rec, err)
		return
	}
	rec.OutputTokens, rec.TokenSource, rec.TiktokenTokens, rec.TokensApprox = n, sourceTiktoken, n, approx
	p.counted.Store(true)
	if n == 0 {
		rec.fail(failEmpty, "empty completion: no output token")
		return
	}
	rec.OK = true
}

// failCounting fails a Record whose tokens could not be counted.
func failCounting(ctx context.Context, rec *Record, err error) {
	switch {
	case errors.Is(err, errTextDropped):
		rec.fail(failMalformed, err.Error())
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		rec.fail(failCancelled, "cancelled")
	case errors.Is(err, context.DeadlineExceeded):
		rec.fail(failTimeout, "timeout while counting tokens")
	default:
		rec.fail(failMalformed, "counting tokens: "+err.Error())
	}
}
