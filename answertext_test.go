package main

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"strings"
	"testing"
)

// longStream is a streamed answer of chunks chunks of text each, ended by
// usage (when completion >= 0), a finish reason and [DONE].
func longStream(text string, chunks, completion int) []byte {
	var b bytes.Buffer
	for range chunks {
		b.WriteString(chunk(text))
	}
	b.WriteString(`data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\n")
	if completion >= 0 {
		b.WriteString(`data: {"choices":[],"usage":{"completion_tokens":` + strconv.Itoa(completion) + `}}` + "\n\n")
	}
	b.WriteString("data: [DONE]\n\n")
	return b.Bytes()
}

// countingClient is a streaming test Client whose policy counts with
// counter.
func countingClient(t *testing.T, counter tokenCounter) *replayClient {
	t.Helper()
	c := testClient(t, true, false)
	c.tokens.counter = counter
	return c
}

// held is how much of the policy's budget is taken.
func held(p *tokenPolicy) int64 { return textBudgetBytes - p.budget.left.Load() }

// Two megabytes without usage: the answer holds at most its share of
// text; the rest is counted as it arrives, and the whole count is the
// same as if counted at the end.
func TestLongStreamCountedAsItArrives(t *testing.T) {
	t.Parallel()
	counter := &pieceRecorder{}
	c := countingClient(t, counter)
	body := longStream(strings.Repeat("a", 1000), 2000, -1)
	rec := newRecord(0, true)
	c.readStream(t.Context(), io.NopCloser(bytes.NewReader(body)), &rec, false)
	if rec.FailKind != "" {
		t.Fatalf("stream failed: %s", rec.Err)
	}
	if n, _ := counter.counted(); n == 0 || cap(rec.text.buf) > maxAnswerText || held(c.tokens) > maxAnswerText {
		t.Errorf("%d pieces counted while reading, %d bytes held (%d of the budget); want counting under way and at most %d held",
			n, cap(rec.text.buf), held(c.tokens), maxAnswerText)
	}
	c.settle(&rec)
	if want := (2_000_000 + maxRun - 1) / maxRun; !rec.OK || rec.OutputTokens != want || !rec.TokensApprox {
		t.Errorf("ok %v, %d tokens (approximate %v); want %d, approximate", rec.OK, rec.OutputTokens, rec.TokensApprox, want)
	}
	if held(c.tokens) != 0 {
		t.Errorf("%d bytes of the budget still held after settling", held(c.tokens))
	}
}

// Once answers report usage, a long answer keeps no more than a short
// answer's text, and counts none: usage gives its count. Should one lack
// usage after all, it fails, saying why.
func TestLongStreamWithUsageKeepsNoText(t *testing.T) {
	t.Parallel()
	for _, usage := range []int{2000, -1} {
		counter := &pieceRecorder{}
		c := countingClient(t, counter)
		c.tokens.usageSeen.Store(true)
		rec := newRecord(0, true)
		body := longStream(strings.Repeat("a", 1000), 2000, usage)
		c.readStream(t.Context(), io.NopCloser(bytes.NewReader(body)), &rec, false)
		if n, _ := counter.counted(); n != 0 || cap(rec.text.buf) > usageAnswerText || held(c.tokens) != 0 {
			t.Errorf("usage %d: %d pieces counted, %d bytes held (%d of the budget); want none counted, at most %d held",
				usage, n, cap(rec.text.buf), held(c.tokens), usageAnswerText)
		}
		c.settle(&rec)
		switch {
		case usage > 0 && (!rec.OK || rec.OutputTokens != usage || rec.TokenSource != sourceUsage):
			t.Errorf("with usage: ok %v, %d tokens from %s; want %d from usage", rec.OK, rec.OutputTokens, rec.TokenSource, usage)
		case usage < 0 && (rec.OK || rec.Err != errTextDropped.Error()):
			t.Errorf("without usage: ok %v, %q; want it failed with %q", rec.OK, rec.Err, errTextDropped)
		}
	}
}

// However many answers are in flight, the text they hold together stays
// within the budget; past it, each counts as its text arrives, and its
// count is the one it would have had.
func TestTextBudgetBoundsAllAnswers(t *testing.T) {
	t.Parallel()
	counter := &pieceRecorder{}
	p := newTokenPolicy(counter, false, false)
	const budget = 1 << 20
	p.budget = newTextBudget(budget)
	text := []byte(strings.Repeat("word, ", 512<<10/6))
	wantN, _, _, _ := countPieces(t.Context(), counter, text, true)
	records := make([]Record, 8)
	for off := 0; off < len(text); off += 1000 {
		piece := text[off:min(off+1000, len(text))]
		for i := range records {
			t := &records[i].text
			if len(piece) > cap(t.buf)-len(t.buf) {
				p.room(context.Background(), &records[i], len(piece))
			}
			t.buf = append(t.buf, piece...)
		}
		charged := 0
		for i := range records {
			charged += records[i].text.charged
		}
		if left := p.budget.left.Load(); left < 0 || charged > budget {
			t.Fatalf("%d bytes charged, %d left; want at most %d", charged, left, budget)
		}
	}
	for i := range records {
		p.settle(t.Context(), &records[i])
		if r := records[i]; !r.OK || r.OutputTokens != wantN {
			t.Errorf("answer %d: ok %v, %d tokens; want %d", i, r.OK, r.OutputTokens, wantN)
		}
	}
	if left := p.budget.left.Load(); left != budget {
		t.Errorf("%d bytes of the budget left after settling; want all %d back", left, budget)
	}
}

// A non-streamed answer past what the budget has left fails, saying why,
// as the client's own shortage (failLocal), not the server's doing; its text, when the budget cannot keep it, is counted at once.
func TestWholeAnswerWithinBudget(t *testing.T) {
	t.Parallel()
	c := testClient(t, false, false)
	c.tokens.budget = newTextBudget(1 << 20)
	big := `{"choices":[{"message":{"content":"` + strings.Repeat("a b ", 1<<19) + `"},"finish_reason":"stop"}]}`
	rec := newRecord(0, false)
	c.readWhole(t.Context(), strings.NewReader(big), &rec)
	if rec.FailKind != failLocal || rec.Err != errOverBudget.Error() || !strings.HasPrefix(rec.Err, "client out of memory for answers: ") {
		t.Errorf("a 2 MiB answer with 1 MiB left: %q %q; want %q %q", rec.FailKind, rec.Err, failLocal, errOverBudget)
	}
	c.tokens.budget = newTextBudget(0)
	rec = newRecord(0, false)
	c.readWhole(t.Context(), strings.NewReader(`{"choices":[{"message":{"content":"hello world"},"finish_reason":"stop"}]}`), &rec)
	if rec.FailKind != "" || rec.text.buf != nil || rec.text.counted != 2 {
		t.Errorf("with no budget left: %q, %d bytes held, %d tokens counted; want the text counted at once", rec.Err, len(rec.text.buf), rec.text.counted)
	}
	c.settle(&rec)
	if !rec.OK || rec.OutputTokens != 2 {
		t.Errorf("ok %v, %d tokens; want 2", rec.OK, rec.OutputTokens)
	}
}
