package main

import (
	"context"
	"errors"
	"sync/atomic"
)

// The answer text a run keeps for tiktoken, and the bound on it. An answer
// keeps its text only while something may count it; what it keeps comes
// from one budget shared by every request in flight or waiting to be
// counted, so that memory stays bounded however many requests there are
// and however long their answers. Beyond the budget (or an answer's own
// share), the text is counted as it arrives, piece by piece (count.go),
// or let go when the server reports usage.
const (
	// textBudgetBytes bounds the answer bytes held at once across a run:
	// text kept to count, and non-streamed bodies beyond their first
	// freeBody bytes.
	textBudgetBytes = 256 << 20
	// maxAnswerText is the most text one answer holds; beyond it, the text
	// is counted as it arrives.
	maxAnswerText = 1 << 20
	// usageAnswerText is the most text one answer holds when the server
	// is expected to report usage (earlier answers did): enough for a
	// short answer that lacks usage after all.
	usageAnswerText = 64 << 10
	// freeBody is how much of a non-streamed body is read outside the
	// budget: an ordinary answer never touches it.
	freeBody = 64 << 10
)

// errTextDropped: the answer's text was let go, as the server was expected
// to report usage, and it did not.
var errTextDropped = errors.New("no usage in this answer, unlike earlier ones, and its text (over 64 KiB) was not kept to count")

// textBudget is what is left of a run's textBudgetBytes. A nil budget
// bounds nothing.
type textBudget struct{ left atomic.Int64 }

func newTextBudget(n int64) *textBudget {
	b := &textBudget{}
	b.left.Store(n)
	return b
}

// take reserves n bytes, or reports false when fewer are left.
func (b *textBudget) take(n int) bool {
	if b == nil || b.left.Add(-int64(n)) >= 0 {
		return true
	}
	b.left.Add(int64(n))
	return false
}

// give returns n bytes taken.
func (b *textBudget) give(n int) {
	if b != nil {
		b.left.Add(int64(n))
	}
}

// usageExpected reports whether answers are expected to report usage that
// settles their count, so that their text need not be kept: every earlier
// answer did (one did, none went without), and nothing else asks for the
// text (--force-tiktoken, the cross-check's sample).
func (p *tokenPolicy) usageExpected() bool {
	return p.usageSeen.Load() && !p.counted.Load() && !p.force && !(p.crossCheck && p.checked.Load() < crossCheckSample)
}

// crossAsked reports whether answers with usage are cross-checked:
// --cross-check asks, or tiktoken counts answers anyway.
func (p *tokenPolicy) crossAsked() bool { return p.crossCheck || p.counted.Load() }

// crossWanted reports whether the next answer with usage is to be counted
// with tiktoken too, for the cross-check.
func (p *tokenPolicy) crossWanted() bool {
	return p.crossAsked() && p.checked.Load() < crossCheckSample
}

// room makes room in rec's text for n more bytes, called only when its
// buffer is full: from the budget while the answer may keep its text;
// otherwise it lets the text go, when usage will count it, or counts the
// text held so far and keeps only the piece still growing. With no policy,
// nothing counts the text and none is kept.
func (p *tokenPolicy) room(ctx context.Context, rec *Record, n int) {
	t := &rec.text
	switch {
	case p == nil || t.dropped || t.err != nil:
		t.buf = t.buf[:0]
	case p.grow(t, len(t.buf)+n):
		return
	case rec.TokenSource == sourceUsage && rec.OutputTokens > 0 && !p.force, p.usageExpected():
		p.release(t)
		t.dropped = true
	default:
		p.countHeld(ctx, t, false)
		if cap(t.buf)-len(t.buf) >= n || p.grow(t, len(t.buf)+n) {
			return
		}
	}
	if cap(t.buf)-len(t.buf) < n {
		// Outside the budget: what one event carries, and the piece of
		// text still growing.
		t.buf = append(make([]byte, 0, len(t.buf)+n), t.buf...)
		if p != nil {
			p.budget.give(t.charged)
		}
		t.charged = 0
	}
}

// grow gives t's buffer room for want bytes, from the budget, within an
// answer's share.
func (p *tokenPolicy) grow(t *answerText, want int) bool {
	limit := maxAnswerText
	if p.usageExpected() {
		limit = usageAnswerText
	}
	size := min(max(2*cap(t.buf), want, 512), limit)
	if want > limit || size <= cap(t.buf) || !p.budget.take(size-t.charged) {
		return false
	}
	t.charged = size
	t.buf = append(make([]byte, 0, size), t.buf...)
	return true
}

// wholeText reports whether a non-streamed answer's text is wanted: to
// count (no usage, --force-tiktoken) or to cross-check; otherwise it is
// not even decoded.
func (p *tokenPolicy) wholeText(rec *Record) bool {
	return p != nil && !(rec.TokenSource == sourceUsage && rec.OutputTokens > 0 && !p.force && !p.crossWanted())
}

// keepWhole decides, once a non-streamed answer's text is decoded (it is
// wanted: wholeText), whether it is kept to count later (within the
// budget) or counted now. The text's buffer is the reader's, which gives
// its budget back: what is kept is a copy of the text's own size.
func (p *tokenPolicy) keepWhole(ctx context.Context, rec *Record) {
	t := &rec.text
	switch {
	case len(t.buf) <= maxAnswerText && p.budget.take(len(t.buf)):
		t.buf, t.charged = append(make([]byte, 0, len(t.buf)), t.buf...), len(t.buf)
	default:
		p.countHeld(ctx, t, true)
		t.buf = nil
	}
}

// countHeld counts the text t holds (with final false, all but its last
// piece, which may still grow) and lets that text go.
func (p *tokenPolicy) countHeld(ctx context.Context, t *answerText, final bool) {
	n, used, approx, err := countPieces(ctx, p.counter, t.buf, final)
	t.counted += n
	t.approx = t.approx || approx
	t.buf = t.buf[:copy(t.buf, t.buf[used:])]
	if err != nil {
		t.err = err
	}
}

// countRest finishes t's count: the tokens counted as the text arrived,
// and those of the text still held.
func (p *tokenPolicy) countRest(ctx context.Context, t *answerText) (n int, approx bool, err error) {
	switch {
	case t.err != nil:
		return 0, false, t.err
	case t.dropped:
		return 0, false, errTextDropped
	}
	p.countHeld(ctx, t, true)
	return t.counted, t.approx, t.err
}

// release lets t's text go and returns its bytes to the budget.
func (p *tokenPolicy) release(t *answerText) {
	p.budget.give(t.charged)
	t.buf, t.charged = nil, 0
}
