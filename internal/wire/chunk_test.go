package wire

import (
	"testing"
)

// BenchmarkDecodeChunk measures decoding one content chunk.
func BenchmarkDecodeChunk(b *testing.B) {
	data := []byte(`{"id":"chatcmpl-872","object":"chat.completion.chunk","created":1795815371,"model":"llama3.1:8b","system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":{"role":"assistant","content":" the"},"finish_reason":null}]}`)
	var c Chunk
	text := make([]byte, 0, 1<<20)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		text, err = Decode(data, &c, text[:0])
		if err != nil || !c.Tokens || !c.Role || c.Choices != 1 {
			b.Fatal(err)
		}
	}
}

// An ordinary chunk, reasoning or not, escaped or not, costs no allocation
// (the usage and timings of the last ones, once per answer, may). Not parallel:
// AllocsPerRun counts the whole process's allocations.
func TestDecodeAllocatesNothing(t *testing.T) {
	for _, data := range []string{
		`{"id":"a","choices":[{"index":0,"delta":{"role":"assistant","content":" the"},"finish_reason":null}]}`,
		`{"id":"a","choices":[{"index":0,"delta":{"reasoning_content":"hm"},"finish_reason":null}]}`,
		`{"model":"m","message":{"role":"assistant","content":"","thinking":"hm"},"done":false}`,
		`{"id":"a","choices":[{"index":0,"delta":{"content":"\n\u00e9\ud83d\ude00\""},"finish_reason":null}]}`,
	} {
		var c Chunk
		in, text := []byte(data), make([]byte, 0, 64)
		if n := testing.AllocsPerRun(100, func() { text, _ = Decode(in, &c, text[:0]) }); n != 0 {
			t.Errorf("Decode(%s): %v allocations; want 0", data, n)
		}
	}
}

// llama.cpp's timings may hold nulls; each reads as "not said".
func TestTimingsWithNulls(t *testing.T) {
	t.Parallel()
	var c Chunk
	_, err := Decode([]byte(`{"choices":[],"timings":{"prompt_n":null,"prompt_ms":null,"predicted_n":5,"predicted_ms":10.5}}`), &c, nil)
	want := Timings{Present: true, PromptTokens: -1, DecodeTokens: 5, PromptMs: -1, DecodeMs: 10.5, LoadMs: -1}
	if err != nil || c.Server != want {
		t.Errorf("server = %+v, %v; want %+v", c.Server, err, want)
	}
}

// What the probe reads of a chunk: the number of choices, a role, the
// reasoning field's name, and every kind of token.
func TestDecodeProbeFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		data      string
		choices   int
		role      bool
		reasoning string
		tokens    bool
		text      string
	}{
		{`{"choices":[{"delta":{"role":"assistant","content":""}}]}`, 1, true, "", false, ""},
		{`{"choices":[{"delta":{"role":null,"content":"x"}}]}`, 1, false, "", true, "x"},
		{`{"choices":[],"usage":{"completion_tokens":3}}`, 0, false, "", false, ""},
		{`{"choices":[{"delta":{}},{"delta":{"reasoning":"r"}}]}`, 2, false, FieldReasoning, true, "r"},
		{`{"choices":[{"delta":{"reasoning_content":"a","thinking":"b"}}]}`, 1, false, FieldReasoningContent, true, "ab"},
		{`{"choices":[{"delta":{"thinking":"t"}}]}`, 1, false, FieldThinking, true, "t"},
		{`{"choices":[{"delta":{"tool_calls":[{"id":"1"}]}}]}`, 1, false, "", true, ""},
		{`{"message":{"role":"assistant","thinking":"t"},"done":false}`, 0, true, FieldThinking, true, "t"},
		{`{"choices":[{"delta":{"role":"assistant","reasoning":"r"}}],"error":"boom"}`, 1, false, "", false, ""},
	}
	for _, tt := range tests {
		var c Chunk
		text, err := Decode([]byte(tt.data), &c, nil)
		if err != nil || c.Choices != tt.choices || c.Role != tt.role || c.Reasoning != tt.reasoning || c.Tokens != tt.tokens || string(text) != tt.text {
			t.Errorf("Decode(%s) = %+v, text %q, %v\nwant choices %d, role %v, reasoning %q, tokens %v, text %q",
				tt.data, c, text, err, tt.choices, tt.role, tt.reasoning, tt.tokens, tt.text)
		}
	}
}
