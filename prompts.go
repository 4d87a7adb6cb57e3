package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
)

// requestKey names one request of a plan: the n-th of its phase.
type requestKey struct{ phase, n int }

// stream is the key as one number, unique in a run: a request's index in
// the records, and the seed of what differs per request. Each phase has
// 2^32 numbers of its own.
func (k requestKey) stream() uint64 { return uint64(k.phase)<<32 | uint64(k.n) }

// promptSource gives the messages of a request. It is a pure function of
// the request's key and the seed, so concurrent senders may call it and a
// seeded run repeats.
type promptSource func(k requestKey) []chatMessage

// withSystem puts the --system prompt, if any, before the user message.
func withSystem(system, user string) []chatMessage {
	if system == "" {
		return []chatMessage{{Role: "user", Content: user}}
	}
	return []chatMessage{{Role: "system", Content: system}, {Role: "user", Content: user}}
}

// fixedPrompts is the original script's prompt: --prompt with a random
// number appended, so no two requests are the same.
func fixedPrompts(system, prompt string, seed uint64) promptSource {
	return func(k requestKey) []chatMessage {
		n := rand.New(rand.NewPCG(seed, k.stream())).Uint64N(1_000_000_000)
		return withSystem(system, prompt+" "+strconv.FormatUint(n, 10))
	}
}

// promptWords are words that are one token each in every embedded encoding
// (a test checks), so a prompt of N of them is N tokens, and random words
// make prompts differ from their first token.
var promptWords = strings.Fields(`the of and to in is that for it as was with be by on not he this are or
his from at which but have an had they you were their one all we can her has there been if more when
will would who so no time after also new first only other some what about could into people than
them then these two way well work year years`)

// syntheticPrompts builds prompts of tokens tokens each (normally spread by
// stddev, none longer than maxInputTokens), the first prefix of them shared
// by all requests and the rest random from the first token on, so no
// prefix cache helps unless asked.
func syntheticPrompts(system string, tokens, stddev, prefix int, seed uint64, counter tokenCounter) (promptSource, error) {
	for _, w := range promptWords {
		if n, err := counter.Count([]byte(" " + w)); err != nil || n != 1 {
			return nil, fmt.Errorf("synthetic prompts: %q is %d tokens in this encoding, not 1 (%v)", w, n, err)
		}
	}
	shared := make([]string, prefix)
	rng := rand.New(rand.NewPCG(seed, math.MaxUint64))
	for j := range shared {
		shared[j] = promptWords[rng.IntN(len(promptWords))]
	}
	return func(k requestKey) []chatMessage {
		rng := rand.New(rand.NewPCG(seed, k.stream()))
		n := tokens
		if stddev > 0 {
			n = int(min(math.Round(float64(tokens)+rng.NormFloat64()*float64(stddev)), maxInputTokens))
		}
		n = max(n, prefix+1, 1)
		var b strings.Builder
		b.Grow(n * 6)
		for j := range n {
			w := ""
			if j < prefix {
				w = shared[j]
			} else {
				w = promptWords[rng.IntN(len(promptWords))]
			}
			b.WriteByte(' ')
			b.WriteString(w)
		}
		return withSystem(system, b.String())
	}, nil
}

// promptFile holds the prompts read from --prompts-file.
type promptFile struct {
	prompts [][]chatMessage
}

// readPromptFile reads one prompt per line, or JSONL with {"prompt": ...}
// or {"messages": [...]} per line; blank lines are skipped.
func readPromptFile(path, system string) (*promptFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading -prompts-file: %w", err)
	}
	pf, err := parsePrompts(data, system)
	if err != nil {
		return nil, fmt.Errorf("-prompts-file %s: %w", path, err)
	}
	return pf, nil
}

// maxPromptLine bounds one line of --prompts-file.
const maxPromptLine = 64 << 20

func parsePrompts(data []byte, system string) (*promptFile, error) {
	pf := &promptFile{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), maxPromptLine)
	jsonl := false
	line := 1
	for ; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		if len(pf.prompts) == 0 {
			jsonl = strings.HasPrefix(text, "{")
		}
		if !jsonl {
			pf.prompts = append(pf.prompts, withSystem(system, text))
			continue
		}
		msgs, err := parsePromptLine(text, system)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		pf.prompts = append(pf.prompts, msgs)
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		return nil, fmt.Errorf("line %d is longer than %d MiB", line, maxPromptLine>>20)
	} else if err != nil {
		return nil, fmt.Errorf("line %d: %w", line, err)
	}
	if len(pf.prompts) == 0 {
		return nil, errors.New("no prompts in it")
	}
	return pf, nil
}

func parsePromptLine(text, system string) ([]chatMessage, error) {
	var l struct {
		Prompt   *string       `json:"prompt"`
		Messages []chatMessage `json:"messages"`
	}
	if err := json.Unmarshal([]byte(text), &l); err != nil {
		return nil, fmt.Errorf("not a JSON object with \"prompt\" or \"messages\": %v", err)
	}
	switch {
	case l.Prompt != nil && *l.Prompt != "":
		return withSystem(system, *l.Prompt), nil
	case len(l.Messages) > 0:
		for _, m := range l.Messages {
			if m.Role == "" {
				return nil, errors.New("a message has no role")
			}
		}
		return l.Messages, nil
	}
	return nil, errors.New(`no "prompt" or "messages"`)
}

// cycle takes the prompts in order, or shuffled by seed, over and over.
func (pf *promptFile) cycle(shuffle bool, seed uint64) promptSource {
	order := make([]int, len(pf.prompts))
	for i := range order {
		order[i] = i
	}
	if shuffle {
		rand.New(rand.NewPCG(seed, 1)).Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
	}
	return func(k requestKey) []chatMessage { return pf.prompts[order[k.stream()%uint64(len(order))]] }
}
