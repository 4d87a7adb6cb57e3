package main

import (
	"strings"
	"testing"
)

func TestCLIAgainstSimulator(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		wants []string
	}{
		{
			name: "stream with usage",
			args: []string{"3", "--stream", "--requests-per-thread", "2"},
			wants: []string{
				"Starting benchmark: threads=3, requests_per_thread=2, total=6\n",
				"Samples: 6 ok / 0 failed (total 6)\n",
				"Tokens: output=96 input=",
				"(source: usage 6, tiktoken 0)\n",
				"TTFT (ms):\n", "TPOT (ms/token):\n", "ITL (ms, per chunk):\n", "Decode TPS (tokens/sec):\n",
				"Chunks: 96 token-bearing for 96 tokens\n",
			},
		},
		{
			// The simulator's words are one token each: tiktoken must agree
			// with the usage the simulator would have sent.
			name:  "no usage: tiktoken counts",
			args:  []string{"2", "--stream", "--sim-no-usage"},
			wants: []string{"Samples: 10 ok / 0 failed (total 10)\n", "Tokens: output=160 input=n/a (source: usage 0, tiktoken 10)\n"},
		},
		{
			name:  "force tiktoken",
			args:  []string{"2", "--force-tiktoken"},
			wants: []string{"Tokens: output=160 input=", "(source: usage 0, tiktoken 10)\n"},
		},
		{
			name:  "not streamed: no TTFT",
			args:  []string{"2", "--requests-per-thread", "1"},
			wants: []string{"Samples: 2 ok / 0 failed (total 2)\n", "TPS (tokens/sec):\n    mean=", "E2E latency (ms):\n"},
		},
		{
			name:  "options before the threads",
			args:  []string{"--model", "qwen2.5:7b", "--requests-per-thread", "1", "4"},
			wants: []string{"threads=4, requests_per_thread=1, total=4\n", "model=qwen2.5:7b, timeout=120.0s, max_tokens=16\n"},
		},
		{
			name:  "openai shape: a role-only first chunk is no token",
			args:  []string{"2", "--stream", "--sim-style", "openai"},
			wants: []string{"Samples: 10 ok / 0 failed (total 10)\n", "Chunks: 160 token-bearing for 160 tokens\n"},
		},
		{
			name:  "llama.cpp shape: usage on the finish chunk",
			args:  []string{"2", "--stream", "--sim-style", "llamacpp"},
			wants: []string{"(source: usage 10, tiktoken 0)\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, append(tt.args, fastSim...)...)
			if code != 0 {
				t.Fatalf("exit %d; stderr:\n%s\nstdout:\n%s", code, errOut, out)
			}
			for _, want := range tt.wants {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, "TTFT (ms):") != strings.Contains(strings.Join(tt.args, " "), "--stream") {
				t.Errorf("TTFT shown = %v; want it exactly when streaming:\n%s", strings.Contains(out, "TTFT (ms):"), out)
			}
		})
	}
}
