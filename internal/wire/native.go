package wire

import (
	"slices"
	"strconv"
)

// Ollama's native API (/api/chat and /api/generate): its answer sits at the
// top level of each line (message, or response and thinking), with the
// server's counts and durations on the last one. Decode reads it as one
// more choice, before any OpenAI ones.

// merge puts Ollama's native answer before any choices, as one more choice
// (an OpenAI chunk has none of it: nothing to move), and its done_reason in
// c.Finish when no choice gave one.
func (n *nativeFields) merge(c *Chunk, text []byte, start int) []byte {
	c.Role = c.Role || n.message.role
	if n.hasText() {
		choices := slices.Clone(text[start:])
		top := Chunk{}
		if !n.message.discard || len(n.message.thinking.raw) == 0 {
			n.message.thinking = n.joinedThinking() // its text matters only when kept
		}
		text = n.message.add(&top, text[:start])
		if len(n.response.raw) > 0 {
			top.Tokens, top.Answer = true, true
			if !n.message.discard {
				text = n.response.appendTo(text)
			}
		}
		text = append(text, choices...)
		c.Tokens, c.Answer = c.Tokens || top.Tokens, c.Answer || top.Answer
		if top.Reasoning != "" {
			c.Reasoning = top.Reasoning
		}
	}
	if c.Finish == "" && n.done && len(n.doneReason.raw) > 0 {
		c.Finish = string(n.doneReason.decoded())
	}
	return text
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

func (n *nativeFields) timings() Timings {
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
	return Timings{Present: true, PromptTokens: count(n.promptEvalCount), DecodeTokens: count(n.evalCount),
		PromptMs: msOf(n.promptEvalNs), DecodeMs: msOf(n.evalNs), LoadMs: msOf(n.loadNs)}
}
