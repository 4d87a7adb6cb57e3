package main

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Signals within the window of the last interrupt counted are that
// interrupt; one after it is the next.
func TestInterruptCounter(t *testing.T) {
	t.Parallel()
	ms := func(n int) time.Time { return time.Unix(0, 0).Add(time.Duration(n) * time.Millisecond) }
	tests := []struct {
		name string
		at   []int // milliseconds
		want []int // which interrupt each signal is; 0: part of the last one
	}{
		{"one", []int{0}, []int{1}},
		{"two together (a process group's)", []int{0, 0}, []int{1, 0}},
		{"three within the window", []int{0, 100, 499}, []int{1, 0, 0}},
		{"a deliberate second", []int{0, 2000}, []int{1, 2}},
		{"at the window's end", []int{0, 500}, []int{1, 2}},
		{"pairs", []int{0, 1, 1000, 1001, 3000}, []int{1, 0, 2, 0, 3}},
		{"the window runs from the last counted", []int{0, 400, 800}, []int{1, 0, 2}},
	}
	for _, tt := range tests {
		c := interruptCounter{window: interruptWindow}
		var got []int
		for _, at := range tt.at {
			got = append(got, c.note(ms(at)))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: signals at %v ms are interrupts %v; want %v", tt.name, tt.at, got, tt.want)
		}
	}
}

// handleInterrupts takes each step once, on its interrupt, whatever the
// signals in between; interrupts beyond the steps do nothing.
func TestHandleInterrupts(t *testing.T) {
	t.Parallel()
	times := []time.Duration{0, time.Microsecond, time.Second, time.Second + time.Millisecond, 3 * time.Second, 4 * time.Second, 5 * time.Second}
	clock := func() time.Time { // one reading per signal, in order
		at := times[0]
		times = times[1:]
		return time.Unix(0, 0).Add(at)
	}
	signals := make(chan os.Signal, len(times))
	for range times {
		signals <- os.Interrupt
	}
	close(signals)
	var steps []string
	handleInterrupts(signals, clock,
		func() { steps = append(steps, "stop") },
		func() { steps = append(steps, "quit") },
		func() { steps = append(steps, "exit") })
	if want := []string{"stop", "quit", "exit"}; !slices.Equal(steps, want) {
		t.Errorf("steps %v; want %v", steps, want)
	}
}

// The first interrupt of the simulator does not promise a report.
func TestInterruptNotice(t *testing.T) {
	t.Parallel()
	for args, want := range map[string]string{"sim": "the simulator stops", "8": "the report follows", "": "the report follows", "probe": "no new question"} {
		got := interruptNotice(strings.Fields(args))
		if !strings.Contains(got, want) {
			t.Errorf("%q: %q; want it to say %q", args, got, want)
		}
	}
	if got := interruptNotice([]string{"sim"}); strings.Contains(got, "report") {
		t.Errorf("sim: %q promises a report", got)
	}
}

// holdServer answers nothing until the request ends; each request that
// arrives is announced on the channel returned.
func holdServer(t *testing.T) (string, <-chan struct{}) {
	arrived := make(chan struct{}, 16)
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		arrived <- struct{}{}
		<-r.Context().Done()
	})
	return url, arrived
}

// The second interrupt cancels requests in flight at once, without waiting
// for --grace, and the report and files of what is complete still come out.
func TestSecondInterruptCancelsInFlight(t *testing.T) {
	t.Parallel()
	url, arrived := holdServer(t)
	ctx, stop, quit := interruptContexts(t.Context())
	defer quit()
	go func() {
		<-arrived
		<-arrived
		stop()
		quit()
	}()
	records := testPath(t, "run.jsonl")
	start := time.Now()
	out, text, code := runCLIContext(ctx, t, "2", "--base-url", url, "--grace", "1m", "--records", records, "--json", "-")
	if code != 130 || time.Since(start) > 30*time.Second {
		t.Errorf("exit %d after %v; want 130, without waiting for --grace", code, time.Since(start))
	}
	if r := decodeSummary(t, out).Requests; r.Sent != 2 || r.Cancelled != 2 {
		t.Errorf("requests %+v; want 2 sent, 2 cancelled", r)
	}
	if lines := readRecordLines(t, records); len(lines) != 2 {
		t.Errorf("records: %d lines; want both requests", len(lines))
	}
	expectText(t, text, "\nInterrupted: ")
}

// The scrape of --metrics-url after the run ends at the first Ctrl-C that
// comes during it: the report and files still come out, without the
// counters' change.
func TestInterruptEndsMetricsScrape(t *testing.T) {
	t.Parallel()
	var scraped atomic.Int32
	waiting := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost:
			io.WriteString(w, okAnswer)
		case r.URL.Path != "/metrics":
			http.NotFound(w, r)
		case scraped.Add(1) == 1: // before the run
			io.WriteString(w, "# TYPE vllm:generation_tokens_total counter\nvllm:generation_tokens_total 1\n")
		default: // after it: no answer
			close(waiting)
			<-r.Context().Done()
		}
	}))
	t.Cleanup(srv.Close)
	ctx, stop, quit := interruptContexts(t.Context())
	defer quit()
	go func() {
		<-waiting
		stop()
	}()
	jsonPath := testPath(t, "run.json")
	out, _, code := runCLIContext(ctx, t, "1", "--base-url", srv.URL+"/v1", "--requests", "1", "--timeout", "600",
		"--metrics-url", srv.URL+"/metrics", "--json", jsonPath)
	if code != 130 {
		t.Errorf("exit %d; want 130\n%s", code, out)
	}
	var doc jsonSummary
	readJSON(t, jsonPath, &doc)
	if doc.Requests.OK != 1 || doc.ServerMetrics != nil {
		t.Errorf("requests %+v, metrics %v; want the one request, no metrics", doc.Requests, doc.ServerMetrics)
	}
	expectText(t, out, "Server metrics: scraping "+srv.URL+"/metrics: interrupted\n", "\nInterrupted: ")
}

// Two SIGINTs at once, as a terminal or `timeout -s INT` sends them to the
// process group, are one interrupt: the report and the files still come
// out. The real program, in a child process.
func TestSignalsTogetherAreOneInterrupt(t *testing.T) {
	t.Parallel()
	jsonPath := testPath(t, "run.json")
	args := withSim([]string{"--sim", "--sim-ttft", "1ms", "--sim-rate", "20", "--sim-jitter", "0"},
		"2", "--max-tokens", "400", "--grace", "300ms", "--json", jsonPath)
	cmd := mainCommand(args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	out := bufio.NewReader(stdout)
	var text strings.Builder
	for !strings.Contains(text.String(), "Sending requests...") {
		line, err := out.ReadString('\n')
		text.WriteString(line)
		if err != nil {
			cmd.Process.Kill()
			t.Fatalf("the run did not start: %v\n%s%s", err, text.String(), stderr.String())
		}
	}
	cmd.Process.Signal(syscall.SIGINT)
	cmd.Process.Signal(syscall.SIGINT)
	rest, _ := io.ReadAll(out)
	text.Write(rest)
	err = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Errorf("exit %d (%v); want 130\n%s%s", code, err, text.String(), stderr.String())
	}
	expectText(t, text.String(), "Interrupted: ")
	var doc jsonSummary
	readJSON(t, jsonPath, &doc)
	if r := doc.Requests; r.Sent > 2 || r.Sent != r.OK+r.Failed+r.Cancelled {
		t.Errorf("requests %+v; want each of the at most 2 sent counted", r)
	}
}
