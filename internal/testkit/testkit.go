// Package testkit holds what the tests of several packages share: a reader
// that hands out bytes as a connection would, with a fake clock; a streamed
// answer to benchmark against; recorded HTTP responses, read and replayed;
// waiting for a file to appear. Only tests import it.
package testkit

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// StepReader hands out one part per Read and moves a fake clock to that
// part's arrival time, as bytes arriving off a connection would.
type StepReader struct {
	parts []string
	times []time.Duration
	now   time.Duration
}

// NewStepReader returns a StepReader over parts, part i arriving at
// times[i]; it reads copies, so the slices stay as they are.
func NewStepReader(parts []string, times []time.Duration) *StepReader {
	return &StepReader{parts: slices.Clone(parts), times: slices.Clone(times)}
}

// Read returns the rest of the current part, at most len(p) bytes of it,
// and sets the clock to that part's arrival time.
func (r *StepReader) Read(p []byte) (int, error) {
	if len(r.parts) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.parts[0])
	r.parts[0] = r.parts[0][n:]
	r.now = r.times[0]
	if r.parts[0] == "" {
		r.parts, r.times = r.parts[1:], r.times[1:]
	}
	return n, nil
}

// Clock returns a clock that shows base plus the arrival time of the part
// the last Read returned bytes of.
func (r *StepReader) Clock(base time.Time) func() time.Time {
	return func() time.Time { return base.Add(r.now) }
}

// StreamBody builds an Ollama-shaped stream of n one-token chunks, with the
// finish, usage and [DONE] events at the end: n+3 events.
func StreamBody(n int) []byte {
	const head = `data: {"id":"chatcmpl-872","object":"chat.completion.chunk","created":1795815371,"model":"llama3.1:8b","system_fingerprint":"fp_ollama",`
	var b bytes.Buffer
	words := []string{" the", " of", " and", " to", " in", " is"}
	for i := range n {
		fmt.Fprintf(&b, head+`"choices":[{"index":0,"delta":{"role":"assistant","content":%q},"finish_reason":null}]}`+"\n\n", words[i%len(words)])
	}
	b.WriteString(head + `"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":"length"}]}` + "\n\n")
	fmt.Fprintf(&b, head+`"choices":[],"usage":{"prompt_tokens":31,"completion_tokens":%d,"total_tokens":%d}}`+"\n\ndata: [DONE]\n\n", n, n+31)
	return b.Bytes()
}

// ReadResponse reads the recorded HTTP response in the file at path (a
// status line, headers, a blank line and the body, as a server sent them).
// The file stays open until the test ends; a file that cannot be read or
// parsed stops the test.
func ReadResponse(tb testing.TB, path string) *http.Response {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	resp, err := http.ReadResponse(bufio.NewReader(f), nil)
	if err != nil {
		tb.Fatalf("reading %s: %v", path, err)
	}
	return resp
}

// Replay answers with the recorded HTTP response in the file at path: its
// status, headers and body. It runs in a server's handler, so a file that
// cannot be read fails the test without stopping it.
func Replay(tb testing.TB, w http.ResponseWriter, path string) {
	f, err := os.Open(path)
	if err != nil {
		tb.Error(err)
		return
	}
	defer f.Close()
	resp, err := http.ReadResponse(bufio.NewReader(f), nil)
	if err != nil {
		tb.Errorf("reading %s: %v", path, err)
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

// RecordedBodies returns the body of each recorded HTTP response whose file
// matches the pattern (as filepath.Glob reads it), as the server sent it.
// No match stops the test: a moved fixture directory must not go unnoticed.
func RecordedBodies(tb testing.TB, pattern string) [][]byte {
	tb.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		tb.Fatalf("no recorded response matches %s (%v)", pattern, err)
	}
	var bodies [][]byte
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			tb.Fatal(err)
		}
		_, body, found := strings.Cut(string(b), "\r\n\r\n")
		if !found {
			_, body, _ = strings.Cut(string(b), "\n\n")
		}
		bodies = append(bodies, []byte(body))
	}
	return bodies
}

// WaitForFile waits until path exists. It gives up after 30 s, a limit that
// only stops a broken test from hanging.
func WaitForFile(path string) error {
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waiting for %s: it never appeared", path)
		}
	}
}
