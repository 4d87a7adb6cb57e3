package wire

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tpsbench/tpsbench/internal/testkit"
)

// wireUsage is the OpenAI usage object.
type wireUsage struct {
	PromptTokens            *int `json:"prompt_tokens"`
	CompletionTokens        *int `json:"completion_tokens"`
	CompletionTokensDetails *struct {
		ReasoningTokens *int `json:"reasoning_tokens"`
	} `json:"completion_tokens_details"`
	PromptTokensDetails *struct {
		CachedTokens *int `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
}

// wireDelta holds the generated fields of a stream delta or a whole message.
type wireDelta struct {
	Role             json.RawMessage `json:"role"`
	Content          string          `json:"content"`
	ReasoningContent string          `json:"reasoning_content"`
	Reasoning        string          `json:"reasoning"`
	Thinking         string          `json:"thinking"` // Ollama's native API
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

// wireBody is a chat completion, a stream chunk, an Ollama native chat or
// generate line, or an error object.
type wireBody struct {
	ID      string          `json:"id"`
	Choices []wireChoice    `json:"choices"`
	Usage   *wireUsage      `json:"usage"`
	Error   json.RawMessage `json:"error"`
	Timings *struct {
		PromptN     *int     `json:"prompt_n"`
		PromptMs    *float64 `json:"prompt_ms"`
		PredictedN  *int     `json:"predicted_n"`
		PredictedMs *float64 `json:"predicted_ms"`
	} `json:"timings"` // llama.cpp's server

	// Ollama's native API.
	Message            wireDelta `json:"message"`
	Response           string    `json:"response"`
	Thinking           string    `json:"thinking"`
	Done               bool      `json:"done"`
	DoneReason         string    `json:"done_reason"`
	PromptEvalCount    *int      `json:"prompt_eval_count"`
	PromptEvalDuration *int64    `json:"prompt_eval_duration"`
	EvalCount          *int      `json:"eval_count"`
	EvalDuration       *int64    `json:"eval_duration"`
	LoadDuration       *int64    `json:"load_duration"`
}

// decodeChunkRef is the reference decoder: encoding/json into plain structs.
// The fast decoder in chunk.go must agree with it (see FuzzDecodeChunk).
func decodeChunkRef(data []byte, c *Chunk, text []byte) ([]byte, error) {
	var b wireBody
	if err := json.Unmarshal(data, &b); err != nil {
		return text, err
	}
	*c = Chunk{ID: []byte(b.ID), Usage: refUsage(b.Usage), Server: refTimings(&b), Done: b.Done, Choices: len(b.Choices)}
	if len(b.Error) > 0 && string(b.Error) != "null" {
		c.ErrorMsg = errorMessage(b.Error)
		return text, nil
	}
	// Ollama's native answer: one message (chat) or response (generate).
	b.Choices = append([]wireChoice{{Message: b.Message, Text: b.Response}}, b.Choices...)
	b.Choices[0].Message.Thinking += b.Thinking
	if b.Done && b.DoneReason != "" {
		b.Choices[0].FinishReason = &b.DoneReason
	}
	for i := range b.Choices {
		ch := &b.Choices[i]
		for _, d := range [2]*wireDelta{&ch.Delta, &ch.Message} {
			c.Role = c.Role || len(d.Role) > 0 && string(d.Role) != "null"
			answer := d.Content != "" || hasToolCalls(d.ToolCalls)
			if answer || d.ReasoningContent != "" || d.Reasoning != "" || d.Thinking != "" {
				c.Tokens = true
				c.Answer = c.Answer || answer
				text = append(text, d.ReasoningContent...)
				text = append(text, d.Reasoning...)
				text = append(text, d.Thinking...)
				text = append(text, d.Content...)
			}
			for _, r := range []struct{ name, text string }{
				{FieldReasoningContent, d.ReasoningContent}, {FieldReasoning, d.Reasoning}, {FieldThinking, d.Thinking},
			} {
				if c.Reasoning == "" && r.text != "" {
					c.Reasoning = r.name
				}
			}
		}
		if ch.Text != "" {
			c.Tokens, c.Answer = true, true
			text = append(text, ch.Text...)
		}
		if ch.FinishReason != nil && *ch.FinishReason != "" {
			c.Finish = *ch.FinishReason
		}
	}
	return text, nil
}

func refUsage(u *wireUsage) Usage {
	if u == nil {
		return noUsage()
	}
	usage := Usage{Present: true, Prompt: intOr(u.PromptTokens), Completion: intOr(u.CompletionTokens), Reasoning: -1, Cached: -1}
	if d := u.CompletionTokensDetails; d != nil {
		usage.Reasoning = intOr(d.ReasoningTokens)
	}
	if d := u.PromptTokensDetails; d != nil {
		usage.Cached = intOr(d.CachedTokens)
	}
	return usage
}

func refTimings(b *wireBody) Timings {
	srv := Timings{PromptTokens: -1, DecodeTokens: -1, PromptMs: -1, DecodeMs: -1, LoadMs: -1}
	if t := b.Timings; t != nil {
		srv.Present = true
		srv.PromptTokens, srv.DecodeTokens = intOr(t.PromptN), intOr(t.PredictedN)
		srv.PromptMs, srv.DecodeMs = floatOr(t.PromptMs), floatOr(t.PredictedMs)
	}
	if b.PromptEvalCount != nil || b.PromptEvalDuration != nil || b.EvalCount != nil || b.EvalDuration != nil || b.LoadDuration != nil {
		srv.Present = true
		srv.PromptTokens, srv.DecodeTokens = intOr(b.PromptEvalCount), intOr(b.EvalCount)
		srv.PromptMs, srv.DecodeMs, srv.LoadMs = nsOr(b.PromptEvalDuration), nsOr(b.EvalDuration), nsOr(b.LoadDuration)
	}
	return srv
}

// hasToolCalls: tool_calls is token-bearing unless null or an empty array.
func hasToolCalls(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return false
	}
	var calls []json.RawMessage
	if json.Unmarshal(raw, &calls) == nil {
		return len(calls) > 0
	}
	return true
}

func floatOr(p *float64) float64 {
	if p == nil {
		return -1
	}
	return *p
}

func nsOr(p *int64) float64 {
	if p == nil {
		return -1
	}
	return float64(*p) / 1e6
}

func intOr(p *int) int {
	if p == nil {
		return -1
	}
	return *p
}

// FuzzDecodeChunk holds the fast decoder to the reference: the same
// documents accepted, and from each the same tokens, text, finish reason,
// usage, timings, id, error, choice count, role and reasoning field. And
// DecodeMeta says all Decode says but the text.
func FuzzDecodeChunk(f *testing.F) {
	for _, seed := range chunkSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var fast, ref, meta Chunk
		fastText, fastErr := Decode(data, &fast, nil)
		if metaErr := DecodeMeta(data, &meta); (metaErr == nil) != (fastErr == nil) || !reflect.DeepEqual(meta, fast) {
			t.Fatalf("DecodeMeta(%q) = %+v, %v; Decode gave %+v, %v", data, meta, metaErr, fast, fastErr)
		}
		refText, refErr := decodeChunkRef(data, &ref, nil)
		if (fastErr == nil) != (refErr == nil) {
			if bytes.Contains(data, []byte("\u017f")) || bytes.Contains(data, []byte("\u212a")) {
				t.Skip("encoding/json folds ſ and K (Kelvin) into s and k in keys; the fast decoder folds ASCII only")
			}
			t.Fatalf("decode(%q): fast error %v, reference error %v", data, fastErr, refErr)
		}
		if fastErr != nil {
			return
		}
		if !utf8.Valid(data) {
			// encoding/json replaces invalid UTF-8 in strings; tpsbench keeps
			// the bytes. Only token-bearing must agree.
			fastText, refText = nil, nil
			fast.ID, ref.ID = nil, nil
			fast.ErrorMsg, ref.ErrorMsg = "", ""
			fast.Finish, ref.Finish = "", ""
		}
		if fast.Tokens != ref.Tokens || fast.Answer != ref.Answer || fast.Finish != ref.Finish ||
			fast.Usage != ref.Usage || !bytes.Equal(fast.ID, ref.ID) || fast.ErrorMsg != ref.ErrorMsg ||
			fast.Server != ref.Server || fast.Done != ref.Done ||
			fast.Choices != ref.Choices || fast.Role != ref.Role || fast.Reasoning != ref.Reasoning ||
			!bytes.Equal(fastText, refText) {
			t.Fatalf("decode(%q):\nfast %+v text %q\nref  %+v text %q", data, fast, fastText, ref, refText)
		}
	})
}

// chunkSeeds are every data event and body of the recorded fixtures, plus
// the corners of the format.
func chunkSeeds(f *testing.F) [][]byte {
	seeds := [][]byte{
		[]byte(`null`), []byte(`{}`), []byte(` {"choices":null} `),
		[]byte(`{"choices":[{"delta":{"content":"a\u00e9\n"},"finish_reason":null}],"usage":null}`),
		[]byte(`{"choices":[{"delta":{"content":"\ud83d\ude00 \ud800x \udc00 \ud800\u0041 \ud83d\ud83d\ude00 \uD83D\uDE00\"\\\/\b\f\n\r\t"}}]}`),
		[]byte(`{"choices":[{"delta":{"reasoning_content":"think"}},{"delta":{"content":"x"},"finish_reason":"stop"}]}`),
		[]byte(`{"choices":[{"delta":{"tool_calls":[]}}]}`),
		[]byte(`{"choices":[{"delta":{"tool_calls":[{"id":"1"}]}}]}`),
		[]byte(`{"choices":[{"text":"x","finish_reason":"length"}],"usage":{"prompt_tokens":1,"completion_tokens":2e0}}`),
		[]byte(`{"error":{"message":"boom"}}`), []byte(`{"error":"boom"}`), []byte(`{"error":null,"choices":[]}`),
		[]byte(`{"Choices":[{"Delta":{"Content":"x"}}],"ID":"a"}`),
		[]byte(`{"choices":[{"delta":{"content":"a"},"delta":{"reasoning":"b"}}],"choices":[]}`),
		[]byte(`{"usage":{"completion_tokens":1},"usage":{"prompt_tokens":2}}`),
		[]byte(`{"choices":[1]}`), []byte(`{"a":[1,-0.5e+3,true,false,null,{"b":"c"}]}`), []byte(`{"a":01}`),
		[]byte(`{"choices":[],"timings":{"prompt_n":1,"prompt_ms":2.5,"predicted_n":null,"predicted_ms":1e1}}`),
		[]byte(`{"message":{"role":"assistant","content":"x","thinking":"y"},"done":false}`),
		[]byte(`{"response":"x","thinking":"t","done":true,"done_reason":"stop","eval_count":3,"eval_duration":1500000,"prompt_eval_count":null}`),
		[]byte(`{"error":"model 'x' not found","done":true}`),
		[]byte(`{"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":5,"completion_tokens_details":{"reasoning_tokens":3},"prompt_tokens_details":{"cached_tokens":8}}}`),
		[]byte(`{"usage":{"completion_tokens_details":null,"prompt_tokens_details":{"cached_tokens":null}}}`),
		[]byte(`{"choices":[{"delta":{"role":null,"content":"x"}},{"delta":{"role":"assistant"}},null]}`),
		[]byte(`{"choices":[{"delta":{"role":"a"},"delta":{"role":null}},{"message":{"role":{}}}]}`),
		[]byte(`{"choices":[{"delta":{"content":"x"},"message":{"thinking":"t","reasoning":"r"}}]}`),
		[]byte(`{"message":{"role":"assistant"},"thinking":"t","choices":[{"delta":{"reasoning_content":"r"}}]}`),
		[]byte(`{"choices":[{"delta":{"role":"assistant","reasoning":"r"}}],"error":"boom"}`),
	}
	// The recorded answers of the fixtures (shared with package main's tests).
	for _, body := range testkit.RecordedBodies(f, filepath.Join("..", "..", "testdata", "fixtures", "*.http")) {
		seeds = append(seeds, body)
		for _, line := range strings.Split(string(body), "\n") {
			if data, ok := strings.CutPrefix(line, "data: "); ok {
				seeds = append(seeds, []byte(data))
			}
		}
	}
	return seeds
}
