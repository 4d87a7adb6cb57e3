package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// tpsbench sim serves until interrupted, at the address it prints.
func TestSimCommand(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- runCommandLine(ctx, []string{"sim", "--addr", "127.0.0.1:0", "--ttft", "1ms", "--rate", "0"}, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, pr)
	_, rest, ok := strings.Cut(line, "Simulated endpoint at ")
	base, _, _ := strings.Cut(rest, " ")
	if !ok || !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("first line %q names no address", line)
	}
	resp, err := http.Get(base + "/models")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"id":"llama3.1:8b"`) {
		t.Errorf("GET /v1/models = %d %s", resp.StatusCode, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("sim returned %v after interrupt; want nil", err)
	}
}

// tpsbench sim refuses a bad command line in one line, with exit status 2.
func TestSimCommandBadFlags(t *testing.T) {
	t.Parallel()
	cmds := [][]string{{"sim", "--jitter", "2"}, {"sim", "extra"}, {"sim", "--style", "tgi"}}
	for _, args := range cmds {
		_, errOut, code := runCLI(t, args...)
		if code != 2 || strings.Count(errOut, "\n") != 2 {
			t.Errorf("%v: exit %d, stderr %q; want 2 with a one-line error", args, code, errOut)
		}
	}
	golden(t, "usage-errors-sim.golden", transcript(t, "", cmds...))
}
