package wire

import (
	"encoding/json"
	"fmt"
	"strings"
)

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

// ServerMessage is the message of an error response body: the message of
// a JSON error object if there is one, else the text itself. It is whole,
// neither cut nor collapsed: a caller that hides secrets in it must do so
// before cutting it to a line (OneLine), or a cut could keep the start of
// one.
func ServerMessage(body []byte) string {
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
	return msg
}

// OneLine collapses whitespace and cuts s to at most max bytes (then adds
// "...").
func OneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "") + "..."
	}
	return s
}
