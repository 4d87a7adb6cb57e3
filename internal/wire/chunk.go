// Package wire reads what OpenAI-compatible servers send back: stream
// chunks and whole answers (OpenAI's chat and legacy completions, llama.cpp's
// timings, Ollama's native API) and servers' error bodies. One decoder serves
// every caller, so all agree on what a token is.
package wire

import "strconv"

// This file decodes stream chunks and whole answers on the hot path: once
// per chunk, so once per token. It walks the JSON once, reads only the few
// fields tpsbench needs, skips (and validates) the rest, and allocates
// nothing for an ordinary chunk. It accepts and rejects the same documents
// as encoding/json into the plain structs of chunk_ref_test.go, the
// reference it is fuzzed against.

// The names Chunk.Reasoning takes: the field that carried reasoning text.
const (
	FieldReasoningContent = "reasoning_content"
	FieldReasoning        = "reasoning"
	FieldThinking         = "thinking" // Ollama's
)

// Usage is a usage object; -1 marks a count the server did not give.
type Usage struct {
	Present            bool // the body carried a usage object
	Prompt, Completion int  // prompt_tokens, completion_tokens
	Reasoning          int  // completion_tokens_details.reasoning_tokens
	Cached             int  // prompt_tokens_details.cached_tokens
}

func noUsage() Usage { return Usage{Prompt: -1, Completion: -1, Reasoning: -1, Cached: -1} }

// Timings are the server's own timings of an answer: llama.cpp's "timings"
// object, or the counts and durations of Ollama's native API. -1 marks what
// the server did not say.
type Timings struct {
	Present                    bool
	PromptTokens, DecodeTokens int
	PromptMs, DecodeMs, LoadMs float64
}

func noTimings() Timings {
	return Timings{PromptTokens: -1, DecodeTokens: -1, PromptMs: -1, DecodeMs: -1, LoadMs: -1}
}

// Chunk is what one decoded body or stream event says.
type Chunk struct {
	ID       []byte // the response id; aliases the decoded data
	Tokens   bool   // token-bearing: some content, reasoning or tool call
	Answer   bool   // has answer content (not only reasoning)
	Finish   string // finish_reason, when set
	Usage    Usage
	Server   Timings
	Done     bool   // Ollama's native API: the last line of an answer
	ErrorMsg string // the server's message, when the body is an error

	Choices   int    // how many choices the event holds
	Role      bool   // some delta or message has a non-null role
	Reasoning string // the first reasoning field that carried text (a Field constant), or ""
}

func emptyChunk() Chunk { return Chunk{Usage: noUsage(), Server: noTimings()} }

// wireFields are the generated fields of a delta or message.
type wireFields struct {
	content, reasoningContent, reasoning, thinking jsonString
	toolCalls                                      bool
	role                                           bool // a non-null role
	discard                                        bool // note what they carry, append no text (DecodeMeta)
}

// add appends the fields' text (reasoning first) and notes what they carry.
func (f *wireFields) add(c *Chunk, text []byte) []byte {
	c.Role = c.Role || f.role
	answer := len(f.content.raw) > 0 || f.toolCalls
	if answer || len(f.reasoningContent.raw) > 0 || len(f.reasoning.raw) > 0 || len(f.thinking.raw) > 0 {
		c.Tokens = true
		c.Answer = c.Answer || answer
		if c.Reasoning == "" {
			c.Reasoning = f.reasoningField()
		}
		if f.discard {
			return text
		}
		text = f.reasoningContent.appendTo(text)
		text = f.reasoning.appendTo(text)
		text = f.thinking.appendTo(text)
		text = f.content.appendTo(text)
	}
	return text
}

// reasoningField names the first reasoning field with text, in the order
// their text is appended.
func (f *wireFields) reasoningField() string {
	switch {
	case len(f.reasoningContent.raw) > 0:
		return FieldReasoningContent
	case len(f.reasoning.raw) > 0:
		return FieldReasoning
	case len(f.thinking.raw) > 0:
		return FieldThinking
	}
	return ""
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
		case equalKey(key, "role"):
			// Any value but null, as a json.RawMessage holds it.
			if f.role = !s.null(); !f.role {
				return nil
			}
		}
		_, err := s.skip()
		return err
	})
}

// Decode decodes one stream event or whole answer into c and appends the
// generated text (per choice: reasoning, then content) to text. An ordinary
// chunk costs no allocation.
func Decode(data []byte, c *Chunk, text []byte) ([]byte, error) {
	return decode(jsonScanner{data: data}, c, text)
}

// DecodeMeta decodes data into c as Decode does, without its text: what an
// answer says of itself (usage, finish, whether it carries tokens) costs
// no copy of a long answer's text.
func DecodeMeta(data []byte, c *Chunk) error {
	_, err := decode(jsonScanner{data: data, discard: true}, c, nil)
	return err
}

func decode(s jsonScanner, c *Chunk, text []byte) ([]byte, error) {
	*c = emptyChunk()
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
				c.Tokens, c.Answer, c.Finish = false, false, ""
				c.Choices, c.Role, c.Reasoning = 0, false, ""
				if s.null() {
					return nil
				}
				return s.array(func() error { c.Choices++; return s.choice(c, &text) })
			case equalKey(key, "usage"):
				return s.usage(&c.Usage)
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
		*c = emptyChunk()
		return text[:start], err
	}
	if id.set {
		c.ID = id.decoded()
	}
	c.Done = native.done
	if timings != nil {
		c.Server = timings.server()
	}
	if native.timed() {
		c.Server = native.timings()
	}
	if len(errValue.raw) > 0 && string(errValue.raw) != "null" {
		c.ErrorMsg = errorMessage(errValue.raw)
		c.Tokens, c.Answer, c.Finish, c.Role, c.Reasoning = false, false, "", false, ""
		return text[:start], nil
	}
	native.message.discard = s.discard
	return native.merge(c, text, start), nil
}

// llamaTimings is llama.cpp's server's "timings" object.
type llamaTimings struct {
	promptN, predictedN   int
	promptMs, predictedMs float64
}

// server returns t as Timings.
func (t *llamaTimings) server() Timings {
	return Timings{Present: true, PromptTokens: t.promptN, DecodeTokens: t.predictedN,
		PromptMs: t.promptMs, DecodeMs: t.predictedMs, LoadMs: -1}
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

func (s *jsonScanner) choice(c *Chunk, text *[]byte) error {
	if s.null() {
		return nil
	}
	delta, message := wireFields{discard: s.discard}, wireFields{discard: s.discard}
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
	*text = delta.add(c, *text)
	*text = message.add(c, *text)
	if len(textField.raw) > 0 {
		c.Tokens, c.Answer = true, true
		if !s.discard {
			*text = textField.appendTo(*text)
		}
	}
	if len(finish.raw) > 0 {
		c.Finish = string(finish.decoded())
	}
	return nil
}

// usage reads a usage object into u: a null resets it, and a repeated object
// merges into it, as encoding/json does for a pointer to a struct.
func (s *jsonScanner) usage(u *Usage) error {
	if s.null() {
		*u = noUsage()
		return nil
	}
	u.Present = true
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
			u.Prompt, err = s.optInt()
		case equalKey(key, "completion_tokens"):
			u.Completion, err = s.optInt()
		case equalKey(key, "completion_tokens_details"):
			err = detail("reasoning_tokens", &u.Reasoning)
		case equalKey(key, "prompt_tokens_details"):
			err = detail("cached_tokens", &u.Cached)
		default:
			_, err = s.skip()
		}
		return err
	})
}
