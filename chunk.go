package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// wireUsage is the OpenAI usage object.
type wireUsage struct {
	PromptTokens     *int `json:"prompt_tokens"`
	CompletionTokens *int `json:"completion_tokens"`
}

// wireDelta holds the generated fields of a stream delta or a whole message.
type wireDelta struct {
	Content          string          `json:"content"`
	ReasoningContent string          `json:"reasoning_content"`
	Reasoning        string          `json:"reasoning"`
	ToolCalls        json.RawMessage `json:"tool_calls"`
}

// wireChoice covers chat chunks (delta), chat answers (message) and legacy
// completions (text).
type wireChoice struct {
	Delta        wireDelta `json:"delta"`
	Message      wireDelta `json:"message"`
	Text         string    `json:"text"`
	FinishReason *string   `json:"finish_reason"`
}

// wireBody is a chat completion, a stream chunk, or an error object.
type wireBody struct {
	ID      string          `json:"id"`
	Choices []wireChoice    `json:"choices"`
	Usage   *wireUsage      `json:"usage"`
	Error   json.RawMessage `json:"error"`
}

// chunkInfo is what one decoded body or event contributes to a Record.
type chunkInfo struct {
	id       string // the response id
	tokens   bool   // token-bearing: some content, reasoning or tool call
	answer   bool   // has answer content (not only reasoning)
	finish   string // finish_reason, when set
	usage    *wireUsage
	errorMsg string // the server's message, when the body is an error
}

// decodeChunk decodes one stream event or whole answer into info and appends
// the generated text to text.
func decodeChunk(data []byte, info *chunkInfo, text []byte) ([]byte, error) {
	var b wireBody
	if err := json.Unmarshal(data, &b); err != nil {
		return text, fmt.Errorf("malformed JSON: %s", jsonErrorText(err))
	}
	*info = chunkInfo{id: b.ID, usage: b.Usage}
	if len(b.Error) > 0 && string(b.Error) != "null" {
		info.errorMsg = errorMessage(b.Error)
		return text, nil
	}
	for i := range b.Choices {
		c := &b.Choices[i]
		for _, d := range [2]*wireDelta{&c.Delta, &c.Message} {
			answer := d.Content != "" || hasToolCalls(d.ToolCalls)
			if answer || d.ReasoningContent != "" || d.Reasoning != "" {
				info.tokens = true
				info.answer = info.answer || answer
				text = append(text, d.ReasoningContent...)
				text = append(text, d.Reasoning...)
				text = append(text, d.Content...)
			}
		}
		if c.Text != "" {
			info.tokens, info.answer = true, true
			text = append(text, c.Text...)
		}
		if c.FinishReason != nil && *c.FinishReason != "" {
			info.finish = *c.FinishReason
		}
	}
	return text, nil
}

func hasToolCalls(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && string(raw) != "null" && string(raw) != "[]"
}

// errorMessage extracts the message of an error value: OpenAI's
// {"message":...} object or Ollama's plain string.
func errorMessage(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &o) == nil && o.Message != "" {
		return o.Message
	}
	return string(raw)
}

// serverMessage turns an error response body into one readable line: the
// message of a JSON error object if there is one, else the text itself.
func serverMessage(body []byte) string {
	var b struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		Detail  any             `json:"detail"`
	}
	msg := ""
	if json.Unmarshal(body, &b) == nil {
		switch {
		case len(b.Error) > 0 && string(b.Error) != "null":
			msg = errorMessage(b.Error)
		case b.Message != "":
			msg = b.Message
		case b.Detail != nil:
			msg = fmt.Sprint(b.Detail)
		}
	}
	if msg == "" {
		msg = string(body)
	}
	return oneLine(msg, 200)
}

// oneLine collapses whitespace and cuts s to at most max bytes.
func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "") + "..."
	}
	return s
}

func jsonErrorText(err error) string {
	return oneLine(err.Error(), 120)
}
