package main

import (
	"strings"
	"testing"
	"time"
)

// A bad command line is refused before anything is sent, in one line and a
// pointer to -h, with exit status 2.
func TestCLIUsageErrors(t *testing.T) {
	t.Parallel()
	checkUsageErrors(t, "usage-errors.golden", []badArgs{
		{nil, "missing <threads>"},
		{[]string{"0"}, "<threads> must be at least 1, got 0"},
		{[]string{"eight"}, `<threads> must be a whole number, got "eight"`},
		{[]string{"2", "3"}, "too many arguments: 3"},
		{[]string{"2", "--timeout", "-1"}, "-timeout must be a number of seconds from 0.001 to 1000000, got -1.0"},
		{[]string{"2", "--timeout", "abc"}, `invalid value "abc" for flag -timeout`},
		{[]string{"2", "--requests-per-thread", "0"}, "-requests-per-thread must be at least 1"},
		{[]string{"2", "--max-tokens", "0"}, "-max-tokens must be at least 1"},
		{[]string{"2", "--base-url", "localhost:11434/v1"}, "-base-url must be an http:// or https:// URL"},
		{[]string{"2", "--base-url", "ftp://x/v1"}, "-base-url must be an http:// or https:// URL"},
		{[]string{"2", "--encoding", "gpt2"}, "unknown encoding \"gpt2\": use one of cl100k_base, o200k_base, p50k_base, r50k_base"},
		{[]string{"2", "--no-such-flag"}, "flag provided but not defined: -no-such-flag"},
		{[]string{"2", "--sim-ttft", "1s"}, "-sim-ttft needs -sim"},
		{[]string{"2", "--sim", "--base-url", "http://x/v1"}, "-sim and -base-url exclude each other"},
		{[]string{"2", "--sim", "--sim-style", "vllm"}, `unknown style "vllm"`},
	})
}

// Numbers that would overflow, run nothing, or fail every request are
// refused before anything is sent, each with its bounds.
func TestCLINumericBounds(t *testing.T) {
	t.Parallel()
	checkUsageErrors(t, "usage-errors-numeric.golden", []badArgs{
		{[]string{"2", "--timeout", "inf"}, "-timeout must be a number of seconds from 0.001 to 1000000, got inf"},
		{[]string{"2", "--timeout", "NaN"}, "-timeout must be a number of seconds from 0.001 to 1000000, got nan"},
		{[]string{"2", "--timeout", "1e-12"}, "-timeout must be a number of seconds from 0.001 to 1000000"},
		{[]string{"2", "--timeout", "1e10"}, "-timeout must be a number of seconds from 0.001 to 1000000"},
		{[]string{"1000000000000", "--requests", "1"}, "<threads> must be at most 1000000, got 1000000000000"},
		{[]string{"1000", "--requests-per-thread", "9223372036854775807"}, "<threads> x -requests-per-thread must be at most 1000000000 requests"},
		{[]string{"2", "--requests-per-thread", "9223372036854775807"}, "<threads> x -requests-per-thread must be at most 1000000000 requests"},
		// Values that are not finite are spelt as the flags take them: inf, nan.
		{[]string{"2", "--temperature", "NaN"}, "-temperature must be a finite number, 0 or more, got nan"},
		{[]string{"2", "--temperature", "inf"}, "-temperature must be a finite number, 0 or more, got inf"},
		{[]string{"2", "--temperature", "-Inf"}, "-temperature must be a finite number, 0 or more, got -inf"},
		{[]string{"2", "--seed", "-1"}, `invalid value "-1" for flag -seed: not a whole number from 0 to 18446744073709551615`},
		{[]string{"2", "--seed", "18446744073709551616"}, "not a whole number from 0 to 18446744073709551615"},
		{[]string{"2", "--grace", "-1s"}, "-grace must not be negative"},
		{[]string{"2", "--gpu-idle", "-1s"}, "-gpu-idle must not be negative"},
		{[]string{"2", "--model", ","}, `-model has an empty name in ","`},
		{[]string{"2", "--model", "a,,b"}, `-model has an empty name in "a,,b"`},
		{[]string{"2", "--model", " "}, "-model must not be empty"},
		{[]string{"2", "--sim", "--sim-rate", "NaN"}, "-sim-rate must be a finite number, 0 or more"},
		{[]string{"2", "--sim", "--sim-rate", "inf"}, "-sim-rate must be a finite number, 0 or more"},
		{[]string{"2", "--sim", "--sim-jitter", "NaN"}, "-sim-jitter must be between 0 and 1"},
		{[]string{"2", "--sim", "--sim-error-rate", "NaN"}, "-sim-error-rate must be between 0 and 1"},
		{[]string{"2", "--sim", "--sim-gpu-share", "NaN"}, "-sim-gpu-share must be between 0 and 1"},
		{[]string{"2", "--sim", "--sim-gpu-share", "2"}, "-sim-gpu-share must be between 0 and 1"},
		{[]string{"2", "--sim", "--sim-load-time", "-1s"}, "-sim-load-time must not be negative"},
		{[]string{"2", "--sim", "--sim-tokens-per-chunk", "-1"}, "-sim-tokens-per-chunk must not be negative"},
		{[]string{"2", "--sim", "--sim-reload-every", "-1"}, "-sim-reload-every must not be negative"},
		{[]string{"2", "--sim", "--sim-max-queue", "-1"}, "-sim-max-queue must not be negative"},
	})
}

// --timeout is in seconds, fractions included.
func TestTimeoutMessageUsesFlagUnits(t *testing.T) {
	t.Parallel()
	if got := (&config{timeout: 1.5}).timeoutDuration(); got != 1500*time.Millisecond {
		t.Errorf("timeoutDuration(1.5) = %v; want 1.5s", got)
	}
}

// The README pastes `tpsbench -h`; it must not drift from the real thing.
func TestREADMEHasCurrentHelp(t *testing.T) {
	t.Parallel()
	help, _ := runExpect(t, 0, "-h")
	if !strings.Contains(string(readFile(t, "README.md")), "```\n"+help+"```\n") {
		t.Errorf("README.md does not contain the current -h output; paste it in:\n%s", help)
	}
}

// OPENAI_API_KEY is the default key, and -h never prints it. (Not parallel:
// it sets the environment.)
func TestAPIKeyNotInHelp(t *testing.T) {
	const key = "sk-very-secret-key-123"
	t.Setenv("OPENAI_API_KEY", key)
	help, _, code := runCLI(t, "-h")
	if code != 0 || strings.Contains(help, key) || !strings.Contains(help, "-requests-per-thread") {
		t.Errorf("-h: exit %d, output:\n%s", code, help)
	}
}
