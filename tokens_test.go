package main

import (
	"bytes"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/tpsbench/tpsbench/internal/sim"
)

// Known encodings, offline: the token IDs are OpenAI's published ones
// (tiktoken's README and cookbook).
func TestTiktokenKnownStrings(t *testing.T) {
	t.Parallel()
	c, err := newTiktokenCounter("cl100k_base")
	if err != nil {
		t.Fatal(err)
	}
	enc, err := c.build()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		text string
		ids  []int
	}{
		{"hello world", []int{15339, 1917}},
		{"tiktoken is great!", []int{83, 1609, 5963, 374, 2294, 0}},
	} {
		if got := enc.EncodeOrdinary(tt.text); !slices.Equal(got, tt.ids) {
			t.Errorf("cl100k_base(%q) = %v; want %v", tt.text, got, tt.ids)
		}
		if n, _ := c.Count([]byte(tt.text)); n != len(tt.ids) {
			t.Errorf("Count(%q) = %d; want %d", tt.text, n, len(tt.ids))
		}
	}
	// Special tokens in generated text are counted as plain text, not a panic.
	if n, err := c.Count([]byte("<|endoftext|>")); err != nil || n < 2 {
		t.Errorf("Count(<|endoftext|>) = %d, %v; want several ordinary tokens", n, err)
	}
}

// Every embedded encoding loads offline, and the simulator's words are one
// token each in all of them, so tiktoken agrees with the simulator's usage.
func TestEncodingsOfflineAndSimVocabulary(t *testing.T) {
	t.Parallel()
	for _, name := range encodings {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := newTiktokenCounter(name)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range sim.Vocabulary() {
				if n, err := c.Count([]byte(w)); err != nil || n != 1 {
					t.Errorf("%s: Count(%q) = %d, %v; want 1", name, w, n, err)
				}
			}
		})
	}
}

// An unknown encoding is refused with the list of known ones.
func TestUnknownEncoding(t *testing.T) {
	t.Parallel()
	_, err := newTiktokenCounter("gpt2")
	if err == nil || !strings.Contains(err.Error(), "cl100k_base, o200k_base, p50k_base, r50k_base") {
		t.Errorf("newTiktokenCounter(gpt2) error = %v; want one listing the known encodings", err)
	}
}

// With --force-tiktoken the server's usage is ignored.
func TestReplayForceTiktoken(t *testing.T) {
	t.Parallel()
	rec := replay(t, "ollama-c-stream-include-usage.http", true, true)
	if !rec.OK || rec.TokenSource != "tiktoken" {
		t.Fatalf("ok=%v source=%q err=%q; want ok from tiktoken", rec.OK, rec.TokenSource, rec.Err)
	}
	// The recorded model's own tokenizer made 16 tokens; cl100k_base splits
	// the same text differently.
	if rec.OutputTokens == 16 || rec.OutputTokens <= 0 {
		t.Errorf("tiktoken count = %d; want a positive count of its own", rec.OutputTokens)
	}
	if rec.InputTokens != 31 {
		t.Errorf("input tokens = %d; want 31 (usage still gives the prompt)", rec.InputTokens)
	}
}

// Without --cross-check the encoder is not built for it: a server that
// reports usage costs no tokenizer at all.
func TestNoCrossCheckWithoutEncoder(t *testing.T) {
	t.Parallel()
	doc, text := runJSON(t, 0, withSim(fastSim, "2", "--stream", "--requests", "4")...)
	if doc.TokenCrossCheck != nil || strings.Contains(text, "Token cross-check") {
		t.Errorf("cross-check %+v without --cross-check or a loaded encoder:\n%s", doc.TokenCrossCheck, text)
	}
}

// An answer without usage and without a word break (64 KB took tiktoken
// seconds, counted whole) is counted in pieces, and the report says its
// count may be a few tokens off; the records keep that, so a rebuilt
// report says it too.
func TestNoSpaceAnswerCountedApproximately(t *testing.T) {
	t.Parallel()
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for range 64 {
			io.WriteString(w, chunk(strings.Repeat("a", 1024)))
		}
		io.WriteString(w, `data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`+"\n\ndata: [DONE]\n\n")
	})
	recs := testPath(t, "run.jsonl")
	doc, _ := runJSON(t, 0, "1", "--base-url", url, "--requests", "1", "--stream", "--records", recs)
	want := findingText(approxCountFinding{answers: 1})
	if doc.Requests.OK != 1 || doc.Tokens.FromTiktoken != 1 || doc.Tokens.Output < 64 || !slices.Contains(doc.Checks, want) {
		t.Errorf("requests %+v, tokens %+v, checks %q; want one answer counted by tiktoken, and %q", doc.Requests, doc.Tokens, doc.Checks, want)
	}
	out, _ := runExpect(t, 0, "report", recs)
	expectText(t, out, want)
}

// A streamed answer longer than an answer's share of text, with usage at
// its end: its text is counted as it arrives (usage is not known yet), but
// that count was not asked for, so no cross-check comes of it unless
// --cross-check asks.
func TestLongAnswerWithUsageNoCrossCheckUnasked(t *testing.T) {
	t.Parallel()
	const chunks = maxAnswerText * 6 / 5 / 1000 // of 1000 bytes: past an answer's share
	body := longStream(strings.Repeat("word ", 200), chunks, 200*chunks)
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(body)
	})
	for _, asked := range []bool{false, true} {
		args := []string{"1", "--base-url", url, "--requests", "1", "--stream"}
		if asked {
			args = append(args, "--cross-check")
		}
		doc, text := runJSON(t, 0, args...)
		if doc.Requests.OK != 1 || doc.Tokens.Output != 200*chunks || doc.Tokens.FromUsage != 1 {
			t.Errorf("--cross-check %v: requests %+v, tokens %+v; want one answer of %d tokens from usage", asked, doc.Requests, doc.Tokens, 200*chunks)
		}
		if got := doc.TokenCrossCheck != nil && strings.Contains(text, "Token cross-check"); got != asked {
			t.Errorf("--cross-check %v: cross-check %+v; want one only when asked:\n%s", asked, doc.TokenCrossCheck, text)
		}
	}
}

// Text is let go once earlier answers reported usage, but only while all
// of them did: after one without usage, a long answer keeps or counts its
// text, so that it too is counted if it lacks usage, not failed.
func TestUsageExpectedOnlyWhileEveryAnswerHadIt(t *testing.T) {
	t.Parallel()
	c := countingClient(t, &pieceRecorder{})
	settle := func(body []byte) Record {
		rec := newRecord(0, true)
		c.readStream(t.Context(), io.NopCloser(bytes.NewReader(body)), &rec, false)
		c.settle(&rec)
		return rec
	}
	long := strings.Repeat("a ", 500)
	if r := settle(longStream(long, 2, 500)); !r.OK || r.TokenSource != sourceUsage {
		t.Fatalf("first answer: %+v", r)
	}
	if r := settle(longStream(long, 2, -1)); !r.OK || r.TokenSource != sourceTiktoken {
		t.Fatalf("short answer without usage: ok %v from %s (%s); want it counted by tiktoken", r.OK, r.TokenSource, r.Err)
	}
	if r := settle(longStream(long, 2*usageAnswerText/1000, -1)); !r.OK || r.TokenSource != sourceTiktoken {
		t.Errorf("long answer without usage, after one without: ok %v from %s (%s); want it counted by tiktoken", r.OK, r.TokenSource, r.Err)
	}
}
