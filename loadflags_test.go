package main

import "testing"

// The load options are checked together before anything is sent.
func TestLoadUsageErrors(t *testing.T) {
	t.Parallel()
	checkUsageErrors(t, "usage-errors-load.golden", []badArgs{
		{[]string{"2", "--rate", "5", "--sweep-concurrency", "1,2"}, "-rate and -sweep-concurrency exclude each other"},
		{[]string{"2", "--duration", "1m", "--requests", "5"}, "-duration and -requests exclude each other"},
		{[]string{"2", "--rate", "0"}, `"0" is not a positive number of requests per second`},
		{[]string{"2", "--rate", "fast"}, `"fast" is not a positive number`},
		{[]string{"2", "--burstiness", "0.5"}, "give -rate or -sweep-rate"},
		{[]string{"2", "--sweep-concurrency", "1,x"}, `invalid value "1,x" for flag -sweep-concurrency: "x": not a whole number`},
		{[]string{"2", "--slo", "ttft=fast"}, "ttft=fast: not a positive duration"},
		{[]string{"2", "--slo", "latency=1s"}, `unknown bound "latency"`},
		{[]string{"2", "--extra-body", "[1,2]"}, "not a JSON object"},
		{[]string{"2", "--header", "X-A: b\r\nX-Evil: 1"}, "control character"},
		{[]string{"2", "--header", "no colon"}, "want 'Name: value'"},
		{[]string{"2", "--api", "responses"}, "use chat, completions or ollama"},
		{[]string{"2", "--prefix-tokens", "4"}, "need -input-tokens"},
		{[]string{"2", "--input-tokens", "8", "--prefix-tokens", "8"}, "-prefix-tokens must be less than -input-tokens"},
		// A prompt is built whole for each request: its size is bounded.
		{[]string{"2", "--input-tokens", "100000000000"}, "-input-tokens must be at most 2000000"},
		{[]string{"2", "--input-tokens", "2000001"}, "-input-tokens must be at most 2000000"},
		{[]string{"2", "--input-tokens", "8", "--input-tokens-stddev", "100000000000"}, "-input-tokens-stddev must be at most 2000000"},
		{[]string{"2", "--prompts-file", "/nonexistent/prompts.txt"}, "reading -prompts-file"},
		{[]string{"2", "--fixed-output", "--extra-body", `{"ignore_eos":false}`}, "keep one"},
		// --extra-body must not contradict what the report says was sent.
		{[]string{"2", "--extra-body", `{"max_tokens":500}`}, `-extra-body must not set "max_tokens": use -max-tokens`},
		{[]string{"2", "--extra-body", `{"max_completion_tokens":500}`}, `-extra-body must not set "max_completion_tokens": use -max-tokens`},
		{[]string{"2", "--extra-body", `{"model":"other"}`}, `-extra-body must not set "model": use -model`},
		{[]string{"2", "--extra-body", `{"stream":true}`}, `-extra-body must not set "stream": use -stream`},
		{[]string{"2", "--extra-body", `{"messages":null}`}, `-extra-body must not set "messages": use -prompt, -system or -prompts-file`},
		{[]string{"2", "--extra-body", `{"temperature":1}`}, `-extra-body must not set "temperature": use -temperature`},
		{[]string{"2", "--api", "ollama", "--extra-body", `{"options":{"num_predict":5}}`}, `-extra-body must not set "options.num_predict": use -max-tokens`},
		// Numbers that would overflow the arrival times or the totals, or send nothing.
		{[]string{"2", "--rate", "1e-300"}, `"1e-300" is below the lowest rate, 0.001 requests per second`},
		{[]string{"2", "--rate", "NaN"}, `"NaN" is not a positive number of requests per second`},
		{[]string{"2", "--sweep-rate", "1,1e-300"}, "below the lowest rate"},
		{[]string{"2", "--rate", "5", "--burstiness", "inf"}, "-burstiness must be between 0.01 and 1000, got inf"},
		{[]string{"2", "--rate", "5", "--burstiness", "NaN"}, "-burstiness must be between 0.01 and 1000, got nan"},
		{[]string{"2", "--rate", "5", "--burstiness", "1e-9"}, "-burstiness must be between 0.01 and 1000"},
		{[]string{"2", "--duration", "1ns"}, "-duration must be at least 1ms, e.g. 2m"},
		{[]string{"2", "--requests", "9223372036854775807"}, "-requests must be at most 1000000000"},
		{[]string{"2", "--warmup", "9223372036854775807"}, "-warmup must be at most 1000000000"},
		{[]string{"--sweep-concurrency", "1,1000000000000"}, "at most 1000000"},
		{[]string{"2", "--rate", "5", "--max-concurrency", "1000000000000"}, "-max-concurrency must be at most 1000000"},
	})
}
