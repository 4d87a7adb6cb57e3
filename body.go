package main

import (
	"bytes"
	"encoding/json"
	"strings"
)

// The request body: the fixed part is rendered once per run, each request
// only encodes its prompt. It sends max_tokens, which every server
// honours, not max_completion_tokens, which llama.cpp's server and Ollama
// ignore; --extra-body is merged in last, and may not set the keys
// tpsbench owns (ownedKeys), so the report says what was sent.

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// bodyBuilder encodes request bodies that differ only in their prompt: the
// rest is rendered once, around a marker that each request's prompt
// replaces.
type bodyBuilder struct {
	prefix, suffix []byte
	legacy         bool // the prompt is one string (legacy completions)
	err            error
}

const promptMarker = "\x00tpsbench-prompt\x00"

func newBodyBuilder(cfg *config) *bodyBuilder {
	var body map[string]any
	b := &bodyBuilder{legacy: cfg.load.api == apiCompletions}
	if cfg.load.api == apiOllama {
		// Ollama's native chat: the length cap and sampling go in options.
		body = map[string]any{
			"model":    cfg.model,
			"messages": promptMarker,
			"stream":   cfg.stream,
			"options":  map[string]any{"num_predict": cfg.maxTokens, "temperature": cfg.temperature},
		}
	} else {
		body = map[string]any{
			"model":       cfg.model,
			"max_tokens":  cfg.maxTokens,
			"temperature": cfg.temperature,
		}
		if b.legacy {
			body["prompt"] = promptMarker
		} else {
			body["messages"] = promptMarker
		}
		if cfg.stream {
			body["stream"] = true
			body["stream_options"] = map[string]any{"include_usage": true}
		}
		if cfg.load.fixedOutput {
			body["ignore_eos"] = true
			body["min_tokens"] = cfg.maxTokens
		}
	}
	mergeJSON(body, cfg.load.extraBody)
	whole, err := json.Marshal(body)
	if err != nil {
		b.err = err
		return b
	}
	marker, _ := json.Marshal(promptMarker)
	i := bytes.Index(whole, marker)
	if i < 0 { // -extra-body replaced the prompt itself
		b.prefix = whole
		return b
	}
	b.prefix, b.suffix = whole[:i], whole[i+len(marker):]
	return b
}

// build encodes the body of one request with these messages.
func (b *bodyBuilder) build(msgs []chatMessage) ([]byte, error) {
	if b.err != nil {
		return nil, b.err
	}
	if b.suffix == nil {
		return b.prefix, nil
	}
	var prompt []byte
	var err error
	if b.legacy {
		prompt, err = json.Marshal(promptText(msgs))
	} else {
		prompt, err = json.Marshal(msgs)
	}
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(b.prefix)+len(prompt)+len(b.suffix))
	return append(append(append(out, b.prefix...), prompt...), b.suffix...), nil
}

// promptText joins messages into one prompt for the legacy completions API.
func promptText(msgs []chatMessage) string {
	parts := make([]string, len(msgs))
	for i, m := range msgs {
		parts[i] = m.Content
	}
	return strings.Join(parts, "\n\n")
}

// mergeJSON merges src into dst: objects merge key by key, anything else
// replaces.
func mergeJSON(dst, src map[string]any) {
	for k, v := range src {
		if sub, ok := v.(map[string]any); ok {
			if into, ok := dst[k].(map[string]any); ok {
				mergeJSON(into, sub)
				continue
			}
		}
		dst[k] = v
	}
}
