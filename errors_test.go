package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestCLIConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	out, errOut, code := runCLI(t, "8", "--base-url", "http://"+addr+"/v1")
	want := "tpsbench: cannot reach http://" + addr + "/v1: connection refused; is the server running?\n"
	if code != 1 || errOut != want {
		t.Errorf("exit %d, stderr %q; want 1, %q", code, errOut, want)
	}
	if strings.Contains(out, "Results") {
		t.Errorf("a run that reached nothing printed a report:\n%s", out)
	}
}

// Some requests ok, some failed: the full report, then exit status 1.
func TestCLIPartialFailure(t *testing.T) {
	var n atomic.Int32
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%2 == 0 {
			http.Error(w, `{"error":"boom"}`, 500)
			return
		}
		io.WriteString(w, `{"choices":[{"message":{"content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2}}`)
	})
	out, _, code := runCLI(t, "1", "--base-url", url, "--requests-per-thread", "4")
	if code != 1 || !strings.Contains(out, "Samples: 2 ok / 2 failed (total 4)\n") || !strings.Contains(out, "  2 x HTTP 500: boom\n") {
		t.Errorf("exit %d; want 1 with 2 ok, 2 failed:\n%s", code, out)
	}
	if !strings.Contains(out, "Tokens: output=4 input=6 (source: usage 2, tiktoken 0)\n") {
		t.Errorf("token line wrong:\n%s", out)
	}
}

func TestCLIUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "missing <threads>"},
		{[]string{"0"}, "<threads> must be at least 1, got 0"},
		{[]string{"eight"}, `<threads> must be a whole number, got "eight"`},
		{[]string{"2", "3"}, "too many arguments: 3"},
		{[]string{"2", "--timeout", "-1"}, "-timeout must be a positive number of seconds, got -1.0"},
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
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, errOut, code := runCLI(t, tt.args...)
			if code != 2 || !strings.Contains(errOut, tt.want) || out != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and %q before anything is sent", code, out, errOut, tt.want)
			}
			if lines := strings.Count(errOut, "\n"); lines != 2 { // the error, and where to find usage
				t.Errorf("stderr has %d lines; want a one-line error:\n%s", lines, errOut)
			}
		})
	}
}

func TestTimeoutMessageUsesFlagUnits(t *testing.T) {
	if got := (&config{timeout: 1.5}).timeoutDuration(); got != 1500*time.Millisecond {
		t.Errorf("timeoutDuration(1.5) = %v; want 1.5s", got)
	}
}

// Ctrl-C: in-flight requests are cancelled, counted apart, kept out of
// every figure, and the report still comes out.
func TestInterruptedRun(t *testing.T) {
	arrived := make(chan struct{}, 16)
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		arrived <- struct{}{}
		select { // hold every request until the client gives up
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
	})
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-arrived
		<-arrived // both workers are in flight
		cancel()
	}()
	var out, errb bytes.Buffer
	records := filepath.Join(t.TempDir(), "run.jsonl")
	err := runCommandLine(ctx, []string{"2", "--base-url", url, "--stream", "--grace", "10ms", "--records", records}, &out, &errb)
	if code := exitCode(err, &errb); code != 130 {
		t.Errorf("exit %d; want 130", code)
	}
	if f, err := readRecordFile(records); err != nil || len(f.lines) != 2 || f.lines[0].FailKind != failCancelled {
		t.Errorf("records file: %d lines, %v; want both requests, cancelled", len(f.lines), err)
	}
	for _, want := range []string{"Samples: 0 ok / 0 failed (total 0)\n", "Cancelled: 2 in flight when the run was stopped", "Interrupted:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
