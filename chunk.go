package main

import (
	"slices"
	"strconv"
)

// This file decodes stream chunks and whole answers on the hot path: once
// per chunk, so once per token. It walks the JSON once, reads only the few
// fields tpsbench needs, skips (and validates) the rest, and allocates
// nothing for an ordinary chunk. It accepts and rejects the same documents
// as encoding/json into the plain structs of chunk_ref_test.go, the
// reference it is fuzzed against.

// usageInfo is a usage object; -1 marks a count the server did not give.
type usageInfo struct {
	present            bool
	prompt, completion int
	reasoning          int // completion_tokens_details.reasoning_tokens
	cached             int // prompt_tokens_details.cached_tokens
}

func noUsage() usageInfo { return usageInfo{prompt: -1, completion: -1, reasoning: -1, cached: -1} }

// serverTimings are the server's own timings of an answer: llama.cpp's
// "timings" object, or the counts and durations of Ollama's native API.
// -1 marks what the server did not say.
type serverTimings struct {
	present                    bool
	promptTokens, decodeTokens int
	promptMs, decodeMs, loadMs float64
}

func noTimings() serverTimings {
	return serverTimings{promptTokens: -1, decodeTokens: -1, promptMs: -1, decodeMs: -1, loadMs: -1}
}

// chunkInfo is what one decoded body or event contributes to a Record.
type chunkInfo struct {
	id       []byte // the response id; aliases the decoded data
	tokens   bool   // token-bearing: some content, reasoning or tool call
	answer   bool   // has answer content (not only reasoning)
	finish   string // finish_reason, when set
	usage    usageInfo
	server   serverTimings
	done     bool   // Ollama's native API: the last line of an answer
	errorMsg string // the server's message, when the body is an error
}

// wireFields are the generated fields of a delta or message.
type wireFields struct {
	content, reasoningContent, reasoning, thinking jsonString
	toolCalls                                      bool
}

// add appends the fields' text (reasoning first) and notes what they carry.
func (f *wireFields) add(info *chunkInfo, text []byte) []byte {
	answer := len(f.content.raw) > 0 || f.toolCalls
	if answer || len(f.reasoningContent.raw) > 0 || len(f.reasoning.raw) > 0 || len(f.thinking.raw) > 0 {
		info.tokens = true
		info.answer = info.answer || answer
		text = append(text, f.reasoningContent.decoded()...)
		text = append(text, f.reasoning.decoded()...)
		text = append(text, f.thinking.decoded()...)
		text = append(text, f.content.decoded()...)
	}
	return text
}

// delta reads a delta or message object into f. As encoding/json does for a
// struct, a repeated object merges into f and a null leaves it as it was.
func (s *jsonScanner) delta(f *wireFields) error {
	if s.null() {
		return nil
	}
	return s.object(func(key []byte) error {
		switch {
		case equalKey(key, "content"):
			return f.content.read(s)
		case equalKey(key, "reasoning_content"):
			return f.reasoningContent.read(s)
		case equalKey(key, "reasoning"):
			return f.reasoning.read(s)
		case equalKey(key, "thinking"):
			return f.thinking.read(s)
		case equalKey(key, "tool_calls"):
			// Token-bearing unless null or an empty array.
			first := s.peek()
			nonEmpty, err := s.skip()
			f.toolCalls = nonEmpty || (first != '[' && first != 'n')
			return err
		}
		_, err := s.skip()
		return err
	})
}

// decodeChunk decodes one stream event or whole answer into info and appends
// the generated text (per choice: reasoning, then content) to text.
func decodeChunk(data []byte, info *chunkInfo, text []byte) ([]byte, error) {
	*info = chunkInfo{usage: noUsage(), server: noTimings()}
	s := jsonScanner{data: data}
	start := len(text)
	var id, errValue jsonString
	var native nativeFields // Ollama's native API
	var timings *llamaTimings
	var err error
	if !s.null() { // encoding/json takes a null document as nothing at all
		err = s.object(func(key []byte) error {
			switch {
			case equalKey(key, "id"):
				return id.read(&s)
			case equalKey(key, "choices"):
				// A repeated key replaces the slice, as in encoding/json.
				text = text[:start]
				info.tokens, info.answer, info.finish = false, false, ""
				if s.null() {
					return nil
				}
				return s.array(func() error { return s.choice(info, &text) })
			case equalKey(key, "usage"):
				return s.usage(&info.usage)
			case equalKey(key, "error"):
				from := s.pos
				_, err := s.skip()
				errValue = jsonString{raw: trimSpace(s.data[from:s.pos])}
				return err
			case equalKey(key, "timings"):
				return s.timings(&timings)
			}
			if handled, err := native.field(&s, key); handled {
				return err
			}
			_, err := s.skip()
			return err
		})
	}
	if s.ws(); err == nil && s.pos < len(s.data) {
		err = s.fail("invalid character after top-level value")
	}
	if err != nil {
		*info = chunkInfo{usage: noUsage(), server: noTimings()}
		return text[:start], err
	}
	if id.set {
		info.id = id.decoded()
	}
	info.done = native.done
	if timings != nil {
		info.server = serverTimings{present: true, promptTokens: timings.promptN, decodeTokens: timings.predictedN,
			promptMs: timings.promptMs, decodeMs: timings.predictedMs, loadMs: -1}
	}
	if native.timed() {
		info.server = native.timings()
	}
	if len(errValue.raw) > 0 && string(errValue.raw) != "null" {
		info.errorMsg = errorMessage(errValue.raw)
		info.tokens, info.answer, info.finish = false, false, ""
		return text[:start], nil
	}
	// Ollama's native answer comes before any choices, as one more choice
	// (an OpenAI chunk has none of it: nothing to move).
	if native.hasText() {
		choices := slices.Clone(text[start:])
		top := chunkInfo{}
		native.message.thinking = native.joinedThinking()
		text = native.message.add(&top, text[:start])
		if len(native.response.raw) > 0 {
			top.tokens, top.answer = true, true
			text = append(text, native.response.decoded()...)
		}
		text = append(text, choices...)
		info.tokens, info.answer = info.tokens || top.tokens, info.answer || top.answer
	}
	if info.finish == "" && native.done && len(native.doneReason.raw) > 0 {
		info.finish = string(native.doneReason.decoded())
	}
	return text, nil
}

// nativeFields are the top-level fields of Ollama's native chat and
// generate answers.
type nativeFields struct {
	message                        wireFields
	response, thinking, doneReason jsonString
	done                           bool
	promptEvalCount, evalCount     *int
	promptEvalNs, evalNs, loadNs   *int64
}

// field reads key if it is one of Ollama's; a null resets a count, as
// encoding/json does for a pointer.
func (n *nativeFields) field(s *jsonScanner, key []byte) (bool, error) {
	// Pointers, as encoding/json has them: null resets to nil.
	optInt := func(p **int) error {
		v, null, err := optNumber(s, strconv.Atoi, "expected an integer")
		if *p = &v; null {
			*p = nil
		}
		return err
	}
	optInt64 := func(p **int64) error {
		v, null, err := optNumber(s, func(t string) (int64, error) { return strconv.ParseInt(t, 10, 64) }, "expected an integer")
		if *p = &v; null {
			*p = nil
		}
		return err
	}
	switch {
	case equalKey(key, "message"):
		return true, s.delta(&n.message)
	case equalKey(key, "response"):
		return true, n.response.read(s)
	case equalKey(key, "thinking"):
		return true, n.thinking.read(s)
	case equalKey(key, "done_reason"):
		return true, n.doneReason.read(s)
	case equalKey(key, "done"):
		switch {
		case s.null():
		case s.peek() == 't' && s.literal("true"):
			n.done = true
		case s.peek() == 'f' && s.literal("false"):
			n.done = false
		default:
			return true, s.fail("expected true or false")
		}
		return true, nil
	case equalKey(key, "prompt_eval_count"):
		return true, optInt(&n.promptEvalCount)
	case equalKey(key, "eval_count"):
		return true, optInt(&n.evalCount)
	case equalKey(key, "prompt_eval_duration"):
		return true, optInt64(&n.promptEvalNs)
	case equalKey(key, "eval_duration"):
		return true, optInt64(&n.evalNs)
	case equalKey(key, "load_duration"):
		return true, optInt64(&n.loadNs)
	}
	return false, nil
}

// hasText reports whether the native fields carry any generated text or a
// tool call.
func (n *nativeFields) hasText() bool {
	m := &n.message
	return len(m.content.raw)+len(m.reasoningContent.raw)+len(m.reasoning.raw)+len(m.thinking.raw)+
		len(n.response.raw)+len(n.thinking.raw) > 0 || m.toolCalls
}

// joinedThinking is the message's thinking, then the top-level one.
func (n *nativeFields) joinedThinking() jsonString {
	if len(n.thinking.raw) == 0 {
		return n.message.thinking
	}
	if len(n.message.thinking.raw) == 0 {
		return n.thinking
	}
	joined := append(slices.Clone(n.message.thinking.decoded()), n.thinking.decoded()...)
	return jsonString{raw: joined, set: true}
}

func (n *nativeFields) timed() bool {
	return n.promptEvalCount != nil || n.evalCount != nil || n.promptEvalNs != nil || n.evalNs != nil || n.loadNs != nil
}

func (n *nativeFields) timings() serverTimings {
	count := func(p *int) int {
		if p == nil {
			return -1
		}
		return *p
	}
	msOf := func(p *int64) float64 {
		if p == nil {
			return -1
		}
		return float64(*p) / 1e6
	}
	return serverTimings{present: true, promptTokens: count(n.promptEvalCount), decodeTokens: count(n.evalCount),
		promptMs: msOf(n.promptEvalNs), decodeMs: msOf(n.evalNs), loadMs: msOf(n.loadNs)}
}

// llamaTimings is llama.cpp's server's "timings" object.
type llamaTimings struct {
	promptN, predictedN   int
	promptMs, predictedMs float64
}

// timings reads a timings object into *t: null resets it, an object merges
// into it, as encoding/json does for a pointer to a struct.
func (s *jsonScanner) timings(t **llamaTimings) error {
	if s.null() {
		*t = nil
		return nil
	}
	if *t == nil {
		*t = &llamaTimings{promptN: -1, predictedN: -1, promptMs: -1, predictedMs: -1}
	}
	lt := *t
	optFloat := func(p *float64) error {
		v, null, err := optNumber(s, func(t string) (float64, error) { return strconv.ParseFloat(t, 64) }, "number out of range")
		if *p = v; null {
			*p = -1
		}
		return err
	}
	return s.object(func(key []byte) (err error) {
		switch {
		case equalKey(key, "prompt_n"):
			lt.promptN, err = s.optInt()
		case equalKey(key, "predicted_n"):
			lt.predictedN, err = s.optInt()
		case equalKey(key, "prompt_ms"):
			err = optFloat(&lt.promptMs)
		case equalKey(key, "predicted_ms"):
			err = optFloat(&lt.predictedMs)
		default:
			_, err = s.skip()
		}
		return err
	})
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	return b
}

func (s *jsonScanner) choice(info *chunkInfo, text *[]byte) error {
	if s.null() {
		return nil
	}
	var delta, message wireFields
	var textField, finish jsonString
	err := s.object(func(key []byte) error {
		switch {
		case equalKey(key, "delta"):
			return s.delta(&delta)
		case equalKey(key, "message"):
			return s.delta(&message)
		case equalKey(key, "text"):
			return textField.read(s)
		case equalKey(key, "finish_reason"):
			finish = jsonString{} // unlike a string, a *string is reset by null
			return finish.read(s)
		}
		_, err := s.skip()
		return err
	})
	if err != nil {
		return err
	}
	*text = delta.add(info, *text)
	*text = message.add(info, *text)
	if len(textField.raw) > 0 {
		info.tokens, info.answer = true, true
		*text = append(*text, textField.decoded()...)
	}
	if len(finish.raw) > 0 {
		info.finish = string(finish.decoded())
	}
	return nil
}

// usage reads a usage object into u: a null resets it, and a repeated object
// merges into it, as encoding/json does for a pointer to a struct.
func (s *jsonScanner) usage(u *usageInfo) error {
	if s.null() {
		*u = noUsage()
		return nil
	}
	u.present = true
	// The details objects are pointers to structs in encoding/json's terms:
	// null resets, an object merges into what is there.
	detail := func(field string, into *int) error {
		if s.null() {
			*into = -1
			return nil
		}
		return s.object(func(key []byte) (err error) {
			if equalKey(key, field) {
				*into, err = s.optInt()
				return err
			}
			_, err = s.skip()
			return err
		})
	}
	return s.object(func(key []byte) (err error) {
		switch {
		case equalKey(key, "prompt_tokens"):
			u.prompt, err = s.optInt()
		case equalKey(key, "completion_tokens"):
			u.completion, err = s.optInt()
		case equalKey(key, "completion_tokens_details"):
			err = detail("reasoning_tokens", &u.reasoning)
		case equalKey(key, "prompt_tokens_details"):
			err = detail("cached_tokens", &u.cached)
		default:
			_, err = s.skip()
		}
		return err
	})
}
