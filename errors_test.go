package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestCLIFailures(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		args    []string
		want    string // the grouped error line
	}{
		{
			name: "404 with OpenAI-style body",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(404)
				io.WriteString(w, `{"error":{"message":"model \"foo\" not found","type":"not_found_error"}}`)
			},
			want: "  4 x HTTP 404: model \"foo\" not found\n",
		},
		{
			name: "500 with Ollama-style body",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(500)
				io.WriteString(w, `{"error":"llama runner process has terminated"}`)
			},
			want: "  4 x HTTP 500: llama runner process has terminated\n",
		},
		{
			name: "503 plain text",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "server busy, please try again.", 503)
			},
			want: "  4 x HTTP 503: server busy, please try again.\n",
		},
		{
			name: "malformed JSON",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, `{"choices":[{"message":`)
			},
			want: "  4 x malformed response: invalid JSON: unexpected end of JSON input at offset 23\n",
		},
		{
			name: "malformed SSE chunk",
			args: []string{"--stream"},
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				io.WriteString(w, "data: {not json\n\n")
			},
			want: "  4 x malformed stream chunk: invalid JSON: expected a string as object key at offset 1\n",
		},
		{
			name: "error event in stream",
			args: []string{"--stream"},
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				fmt.Fprintf(w, chunkFmt, "a")
				io.WriteString(w, "data: {\"error\":{\"message\":\"out of memory\",\"type\":\"server_error\"}}\n\n")
			},
			want: "  4 x error in stream: out of memory\n",
		},
		{
			name: "stream ends without finish or [DONE]",
			args: []string{"--stream"},
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				fmt.Fprintf(w, chunkFmt, "a")
			},
			want: "  4 x stream ended early: no finish_reason and no [DONE]\n",
		},
		{
			name: "stream cut mid-way",
			args: []string{"--stream"},
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				fmt.Fprintf(w, chunkFmt, "a")
				fmt.Fprintf(w, chunkFmt, "b")
				w.(http.Flusher).Flush()
				conn, buf, _ := w.(http.Hijacker).Hijack()
				buf.Flush()
				conn.Close() // no terminating chunk: the body ends in error
			},
			want: "  4 x stream cut mid-answer: connection closed by the server\n",
		},
		{
			name: "empty completion",
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, `{"choices":[{"message":{"role":"assistant","content":""},"finish_reason":"stop"}],"usage":{"completion_tokens":0}}`)
			},
			want: "  4 x empty completion: no text in the answer\n",
		},
		{
			name: "timeout",
			args: []string{"--timeout", "0.05", "--stream"},
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body) // then the server notices the client leave
				select {                    // never answers; the client gives up
				case <-r.Context().Done():
				case <-time.After(10 * time.Second):
				}
			},
			want: "  4 x timeout after 50ms\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := serve(t, tt.handler)
			args := append([]string{"2", "--base-url", url, "--requests-per-thread", "2"}, tt.args...)
			out, errOut, code := runCLI(t, args...)
			if code != 1 {
				t.Errorf("exit %d; want 1 (stderr %q)", code, errOut)
			}
			if !strings.Contains(out, "Samples: 0 ok / 4 failed (total 4)\n") || !strings.Contains(out, "Errors:\n"+tt.want) {
				t.Errorf("output lacks the failure count or %q:\n%s", tt.want, out)
			}
		})
	}
}

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

// The API key is sent, but never printed, even when the server echoes it.
func TestAPIKeyNeverPrinted(t *testing.T) {
	const key = "sk-very-secret-key-123"
	var got atomic.Value
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Get("Authorization"))
		w.WriteHeader(401)
		fmt.Fprintf(w, `{"error":{"message":"Incorrect API key provided: %s"}}`, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	})
	out, errOut, _ := runCLI(t, "1", "--base-url", url, "--api-key", key, "--requests-per-thread", "1")
	if got.Load() != "Bearer "+key {
		t.Errorf("Authorization = %q; want the key sent as a bearer token", got.Load())
	}
	if strings.Contains(out+errOut, key) {
		t.Errorf("the API key appears in the output:\n%s%s", out, errOut)
	}
	if !strings.Contains(out, "HTTP 401: Incorrect API key provided: [redacted]") {
		t.Errorf("want the server's message with the key redacted:\n%s", out)
	}
	// OPENAI_API_KEY is the default, also never printed by -h.
	t.Setenv("OPENAI_API_KEY", key)
	help, _, code := runCLI(t, "-h")
	if code != 0 || strings.Contains(help, key) || !strings.Contains(help, "-requests-per-thread") {
		t.Errorf("-h: exit %d, output:\n%s", code, help)
	}
}

// llama.cpp's server says Keep-Alive but drops idle connections. A request
// written on such a dead pooled connection, with nothing received, goes out
// again on a fresh one, and counts once.
func TestRetryOnDeadPooledConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var requests atomic.Int32
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				br := bufio.NewReader(conn)
				for served := 0; ; served++ {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					io.Copy(io.Discard, req.Body)
					if req.Method != http.MethodPost { // the fingerprint's GETs
						io.WriteString(conn, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
						served--
						continue
					}
					requests.Add(1)
					if served == 1 {
						return // the second request on a connection: drop it unanswered
					}
					body := `{"choices":[{"message":{"content":"hi"},"finish_reason":"stop"}],"usage":{"completion_tokens":1}}`
					fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nKeep-Alive: timeout=5\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
				}
			}()
		}
	}()
	out, errOut, code := runCLI(t, "1", "--base-url", "http://"+ln.Addr().String()+"/v1", "--requests-per-thread", "3")
	if code != 0 || !strings.Contains(out, "Samples: 3 ok / 0 failed (total 3)\n") {
		t.Fatalf("exit %d; want 3 ok:\n%s%s", code, out, errOut)
	}
	// Requests 2 and 3 each met a dead pooled connection first.
	if !strings.Contains(out, "Retried: 2 sent again") || requests.Load() != 5 {
		t.Errorf("server saw %d requests; want 5 (3 + 2 retries) and the report to say so:\n%s", requests.Load(), out)
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

// A server that keeps the stream open after [DONE] costs a short wait, not
// the request timeout. (The bound is loose: the drain waits 200 ms.)
func TestStreamHeldOpenAfterDone(t *testing.T) {
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, chunkFmt, "a")
		io.WriteString(w, "data: [DONE]\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
	})
	start := time.Now()
	out, _, code := runCLI(t, "2", "--base-url", url, "--stream", "--timeout", "60", "--requests-per-thread", "1")
	if code != 0 || !strings.Contains(out, "Samples: 2 ok / 0 failed") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("run took %v; the drain after [DONE] waited for the timeout", took)
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
