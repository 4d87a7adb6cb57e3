package main

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"
)

// Synthetic prompts have the asked number of tokens, differ from their first
// words, and share exactly the asked prefix.
func TestSyntheticPrompts(t *testing.T) {
	t.Parallel()
	counter, _ := newTiktokenCounter("cl100k_base")
	for _, n := range []int{1, 17, 512} {
		src, err := syntheticPrompts("", n, 0, 0, 7, counter)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			got, _ := counter.Count([]byte(src(requestKey{n: i})[0].Content))
			if got != n {
				t.Errorf("prompt %d of %d tokens counts %d tokens", i, n, got)
			}
		}
	}
	// Without a shared prefix, prompts differ from their first words on.
	src, _ := syntheticPrompts("", 64, 0, 0, 7, counter)
	seen := map[string]int{}
	for i := range 20 {
		head := strings.Join(strings.Fields(src(requestKey{n: i})[0].Content)[:3], " ")
		if j, dup := seen[head]; dup {
			t.Errorf("prompts %d and %d both start %q", j, i, head)
		}
		seen[head] = i
	}
	// With one, they share exactly that many tokens first.
	src, _ = syntheticPrompts("sys", 64, 8, 16, 7, counter)
	a, b := strings.Fields(src(requestKey{n: 0})[1].Content), strings.Fields(src(requestKey{n: 1})[1].Content)
	if strings.Join(a[:16], " ") != strings.Join(b[:16], " ") || src(requestKey{n: 0})[0].Content != "sys" {
		t.Errorf("prefixes differ: %q / %q", a[:16], b[:16])
	}
	var total int
	for i := range 200 {
		n, _ := counter.Count([]byte(src(requestKey{n: i})[1].Content))
		total += n
	}
	if mean := float64(total) / 200; math.Abs(mean-64) > 2 {
		t.Errorf("mean length with stddev 8 = %.1f tokens; want about 64", mean)
	}
	// However wide the spread, no prompt is longer than the bound.
	src, _ = syntheticPrompts("", 1000, maxInputTokens, 0, 7, counter)
	for i := range 8 {
		if words := strings.Count(src(requestKey{n: i})[0].Content, " "); words < 1 || words > maxInputTokens {
			t.Errorf("prompt %d of 1000 tokens, stddev %d: %d tokens; want 1 to %d", i, maxInputTokens, words, maxInputTokens)
		}
	}
}

// Prompt files, as text or JSONL, are read, cycled in order, and refused
// with the line at fault.
func TestPromptFiles(t *testing.T) {
	t.Parallel()
	write := func(name, text string) string { return writeFile(t, testPath(t, name), text) }
	pf, err := readPromptFile(write("a.txt", "first\n\n  second  \n"), "sys")
	if err != nil || len(pf.prompts) != 2 || pf.prompts[1][1].Content != "second" || pf.prompts[1][0].Content != "sys" {
		t.Errorf("text file: %+v, %v", pf, err)
	}
	pf, err = readPromptFile(write("b.jsonl", `{"prompt":"p1"}`+"\n"+`{"messages":[{"role":"system","content":"s"},{"role":"user","content":"u"}]}`+"\n"), "")
	if err != nil || len(pf.prompts) != 2 || pf.prompts[1][1].Content != "u" {
		t.Errorf("jsonl file: %+v, %v", pf, err)
	}
	src := pf.cycle(false, 0)
	if src(requestKey{n: 0})[0].Content != "p1" || src(requestKey{n: 3})[1].Content != "u" {
		t.Errorf("in order, cycling: got %v, %v", src(requestKey{n: 0}), src(requestKey{n: 3}))
	}
	for _, tt := range []struct{ name, text, want string }{
		{"empty.txt", "\n\n", "no prompts in it"},
		{"bad.jsonl", `{"prompt":"ok"}` + "\n" + `{"prompt": 3}` + "\n", "line 2:"},
		{"none.jsonl", `{"text":"x"}`, `line 1: no "prompt" or "messages"`},
	} {
		if _, err := readPromptFile(write(tt.name, tt.text), ""); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v; want %q", tt.name, err, tt.want)
		}
	}
	long := append([]byte("a\n\n"), bytes.Repeat([]byte("b"), maxPromptLine+1)...)
	if _, err := parsePrompts(long, ""); err == nil || err.Error() != "line 3 is longer than 64 MiB" {
		t.Errorf("a line too long: error %v; want its number", err)
	}
	if _, err := readPromptFile(testPath(t, "missing"), ""); err == nil || !strings.Contains(err.Error(), "reading -prompts-file") {
		t.Errorf("missing file: %v", err)
	}
}

// FuzzParsePrompts: the prompts-file reader never panics, and every prompt
// it accepts has a message.
func FuzzParsePrompts(f *testing.F) {
	f.Add([]byte("a\nb\n"))
	f.Add([]byte(`{"prompt":"x"}` + "\n" + `{"messages":[{"role":"user","content":"y"}]}`))
	f.Add([]byte(`{"messages":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		pf, err := parsePrompts(data, "")
		if err != nil {
			return
		}
		for i, p := range pf.prompts {
			if len(p) == 0 {
				t.Fatalf("prompt %d has no message", i)
			}
		}
	})
}

// A prompts file is taken in order from the first measured request on,
// whatever the warm-up took.
func TestPromptsFileInOrderAfterWarmup(t *testing.T) {
	t.Parallel()
	url, seen := captureServer(t, okAnswer)
	file := writeFile(t, testPath(t, "prompts.txt"), "P0\nP1\nP2\n")
	runExpect(t, 0, "1", "--base-url", url, "--prompts-file", file, "--warmup", "1", "--requests", "3")
	var prompts []string
	for _, r := range seen() {
		msgs, _ := r.body["messages"].([]any)
		if len(msgs) > 0 {
			prompts = append(prompts, fmt.Sprint(msgs[len(msgs)-1].(map[string]any)["content"]))
		}
	}
	if len(prompts) != 4 || strings.Join(prompts[1:], ",") != "P0,P1,P2" {
		t.Errorf("prompts sent %q; want a warm-up, then P0, P1, P2 in order", prompts)
	}
}
