package main

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tpsbench/tpsbench/internal/load"
	"github.com/tpsbench/tpsbench/internal/sim"
)

// Open loop: requests start on their schedule, not when earlier ones end.
func TestOpenLoopFollowsSchedule(t *testing.T) {
	cfg := &config{threads: 4, maxTokens: 2, stream: true}
	r := simRunner(t, sim.Config{TTFT: 600 * time.Millisecond, TokenRate: 0, Style: sim.StyleOllama, Faults: sim.NoFaults()}, cfg)
	p := phaseRun{load: load.Phase{Threads: 4, Total: 8, Rate: 40, Burstiness: 1, Seed: 9}}
	records, sent, err := r.runPhase(context.Background(), p)
	if err != nil || sent != 8 || len(records) != 8 {
		t.Fatalf("%d sent, %d records, %v", sent, len(records), err)
	}
	var want []time.Duration // the schedule: cumulative gaps of the same generator
	gaps, at := load.NewArrivals(40, 1, 9), time.Duration(0)
	for i := range 8 {
		if i > 0 {
			at += gaps.Next()
		}
		want = append(want, at)
	}
	first := records[0].Sched
	for _, rec := range records {
		first = min(first, rec.Sched)
	}
	firstDone := records[0].Done
	for _, rec := range records {
		firstDone = min(firstDone, rec.Done)
	}
	for _, rec := range records {
		i := rec.Index
		if !rec.OK || rec.Sched-first != want[i] {
			t.Errorf("request %d: ok=%v scheduled at +%v; want +%v", i, rec.OK, rec.Sched-first, want[i])
		}
		if rec.Send < rec.Sched {
			t.Errorf("request %d sent %v before its time", i, rec.Sched-rec.Send)
		}
	}
	// Every answer takes 600 ms; the schedule spans far less, so had any
	// request waited for an earlier one, it would start after the first
	// answer ended.
	if want[7] < 400*time.Millisecond {
		for _, rec := range records {
			if rec.Send >= firstDone {
				t.Errorf("request %d sent at %v, after the first answer ended at %v: it waited", rec.Index, rec.Send, firstDone)
			}
		}
	}
}

// --duration stops sending at the deadline and accounts for every request.
func TestDurationStopsSending(t *testing.T) {
	cfg := &config{threads: 2, maxTokens: 2}
	r := simRunner(t, sim.Config{TTFT: 20 * time.Millisecond, TokenRate: 0, Style: sim.StyleOllama, Faults: sim.NoFaults()}, cfg)
	records, sent, err := r.runPhase(context.Background(), phaseRun{load: load.Phase{Threads: 2, Duration: 300 * time.Millisecond}})
	if err != nil || sent != len(records) || sent < 2 {
		t.Fatalf("%d sent, %d records, %v", sent, len(records), err)
	}
	for _, rec := range records {
		if !rec.OK {
			t.Errorf("request %d: %s", rec.Index, rec.Err)
		}
		if rec.Send > 300*time.Millisecond+250*time.Millisecond {
			t.Errorf("request %d sent at %v, long after the 300 ms deadline", rec.Index, rec.Send)
		}
	}
}

var fastSimArgs = []string{"--sim", "--sim-ttft", "2ms", "--sim-rate", "2000", "--sim-jitter", "0", "--max-tokens", "8"}

func TestSweepTable(t *testing.T) {
	out, errOut, code := runCLI(t, append([]string{"--stream", "--sweep-concurrency", "1,2,4", "--requests-per-thread", "3", "--slo", "e2e=10s"}, fastSimArgs...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	_, table, ok := strings.Cut(out, "Sweep:\n")
	if !ok {
		t.Fatalf("no Sweep table:\n%s", out)
	}
	row := regexp.MustCompile(`(?m)^\s+c=(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)`)
	rows := row.FindAllStringSubmatch(table, -1)
	if len(rows) != 3 {
		t.Fatalf("%d level rows; want 3:\n%s", len(rows), table)
	}
	for i, want := range []string{"1", "2", "4"} {
		if rows[i][1] != want || rows[i][3] != "0" || rows[i][2] != map[string]string{"1": "3", "2": "6", "4": "12"}[want] {
			t.Errorf("row %d = %q; want level c=%s with %s x 3 ok and 0 failed", i, rows[i][0], want, want)
		}
	}
	if !strings.Contains(table, "goodput req/s") {
		t.Errorf("no goodput column with --slo:\n%s", table)
	}
}

func TestSyntheticPrompts(t *testing.T) {
	counter, _ := newTiktokenCounter("cl100k_base")
	for _, n := range []int{1, 17, 512} {
		src, err := syntheticPrompts("", n, 0, 0, 7, counter)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			got, _ := counter.Count([]byte(src(requestKey{n: i})[0].Content))
			if got != n {
				t.Errorf("prompt %d of %d tokens counts %d tokens", i, n, got)
			}
		}
	}
	// Without a shared prefix, prompts differ from their first words on.
	src, _ := syntheticPrompts("", 64, 0, 0, 7, counter)
	seen := map[string]int{}
	for i := range 20 {
		head := strings.Join(strings.Fields(src(requestKey{n: i})[0].Content)[:3], " ")
		if j, dup := seen[head]; dup {
			t.Errorf("prompts %d and %d both start %q", j, i, head)
		}
		seen[head] = i
	}
	// With one, they share exactly that many tokens first.
	src, _ = syntheticPrompts("sys", 64, 8, 16, 7, counter)
	a, b := strings.Fields(src(requestKey{n: 0})[1].Content), strings.Fields(src(requestKey{n: 1})[1].Content)
	if strings.Join(a[:16], " ") != strings.Join(b[:16], " ") || src(requestKey{n: 0})[0].Content != "sys" {
		t.Errorf("prefixes differ: %q / %q", a[:16], b[:16])
	}
	var total int
	for i := range 200 {
		n, _ := counter.Count([]byte(src(requestKey{n: i})[1].Content))
		total += n
	}
	if mean := float64(total) / 200; math.Abs(mean-64) > 2 {
		t.Errorf("mean length with stddev 8 = %.1f tokens; want about 64", mean)
	}
}

func TestPromptFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pf, err := readPromptFile(write("a.txt", "first\n\n  second  \n"), "sys")
	if err != nil || len(pf.prompts) != 2 || pf.prompts[1][1].Content != "second" || pf.prompts[1][0].Content != "sys" {
		t.Errorf("text file: %+v, %v", pf, err)
	}
	pf, err = readPromptFile(write("b.jsonl", `{"prompt":"p1"}`+"\n"+`{"messages":[{"role":"system","content":"s"},{"role":"user","content":"u"}]}`+"\n"), "")
	if err != nil || len(pf.prompts) != 2 || pf.prompts[1][1].Content != "u" {
		t.Errorf("jsonl file: %+v, %v", pf, err)
	}
	src := pf.cycle(false, 0)
	if src(requestKey{n: 0})[0].Content != "p1" || src(requestKey{n: 3})[1].Content != "u" {
		t.Errorf("in order, cycling: got %v, %v", src(requestKey{n: 0}), src(requestKey{n: 3}))
	}
	for _, tt := range []struct{ name, text, want string }{
		{"empty.txt", "\n\n", "no prompts in it"},
		{"bad.jsonl", `{"prompt":"ok"}` + "\n" + `{"prompt": 3}` + "\n", "line 2:"},
		{"none.jsonl", `{"text":"x"}`, `line 1: no "prompt" or "messages"`},
	} {
		if _, err := readPromptFile(write(tt.name, tt.text), ""); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v; want %q", tt.name, err, tt.want)
		}
	}
	if _, err := readPromptFile(filepath.Join(dir, "missing"), ""); err == nil || !strings.Contains(err.Error(), "reading -prompts-file") {
		t.Errorf("missing file: %v", err)
	}
}

// FuzzParsePrompts: the prompts-file reader never panics, and every prompt
// it accepts has a message.
func FuzzParsePrompts(f *testing.F) {
	f.Add([]byte("a\nb\n"))
	f.Add([]byte(`{"prompt":"x"}` + "\n" + `{"messages":[{"role":"user","content":"y"}]}`))
	f.Add([]byte(`{"messages":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		pf, err := parsePrompts(data, "")
		if err != nil {
			return
		}
		for i, p := range pf.prompts {
			if len(p) == 0 {
				t.Fatalf("prompt %d has no message", i)
			}
		}
	})
}

// What goes on the wire: headers, merged extra body, fixed output, the
// legacy API, prompts from a file.
func TestRequestShape(t *testing.T) {
	var mu sync.Mutex
	var bodies []map[string]any
	var paths, teams []string
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		bodies, paths, teams = append(bodies, body), append(paths, r.URL.Path), append(teams, r.Header.Get("X-Team"))
		mu.Unlock()
		io.WriteString(w, `{"choices":[{"text":"hi","message":{"content":"hi"},"finish_reason":"stop"}],"usage":{"completion_tokens":1}}`)
	})
	file := filepath.Join(t.TempDir(), "p.jsonl")
	os.WriteFile(file, []byte(`{"messages":[{"role":"user","content":"from the file"}]}`), 0o644)

	_, _, code := runCLI(t, "1", "--base-url", url, "--requests", "1", "--header", "X-Team: perf", "--fixed-output",
		"--extra-body", `{"options":{"num_ctx":4096},"temperature":0.7}`, "--prompts-file", file)
	_, _, code2 := runCLI(t, "1", "--base-url", url, "--requests", "1", "--api", "completions", "--prompt", "Once")
	if code != 0 || code2 != 0 || len(bodies) != 2 {
		t.Fatalf("exit %d, %d; %d requests", code, code2, len(bodies))
	}
	chat, legacy := bodies[0], bodies[1]
	if paths[0] != "/v1/chat/completions" || teams[0] != "perf" {
		t.Errorf("path %q, X-Team %q", paths[0], teams[0])
	}
	msgs, _ := chat["messages"].([]any)
	if len(msgs) != 1 || msgs[0].(map[string]any)["content"] != "from the file" {
		t.Errorf("messages = %v; want the file's", chat["messages"])
	}
	if chat["ignore_eos"] != true || chat["min_tokens"] != float64(128) || chat["temperature"] != 0.7 ||
		chat["options"].(map[string]any)["num_ctx"] != float64(4096) || chat["max_tokens"] != float64(128) {
		t.Errorf("chat body = %v", chat)
	}
	if paths[1] != "/v1/completions" || !strings.HasPrefix(legacy["prompt"].(string), "Once ") || legacy["messages"] != nil {
		t.Errorf("legacy: path %q body %v", paths[1], legacy)
	}
}

func TestWarmupAndGoodput(t *testing.T) {
	args := append([]string{"2", "--stream", "--warmup", "3", "--requests", "6", "--slo", "ttft=1ms"}, fastSimArgs...)
	args = append(args, "--sim-ttft", "20ms")
	out, _, code := runCLI(t, args...)
	for _, want := range []string{
		"Warm-up: 3 requests sent first (3 ok / 0 failed), left out of every figure\n",
		"Samples: 6 ok / 0 failed (total 6)\n",
		"Goodput: 0.000 req/sec (0 of 6 requests, 0.0%, within ttft<=1ms;",
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("exit %d; output lacks %q:\n%s", code, want, out)
		}
	}
	out, _, _ = runCLI(t, append([]string{"2", "--stream", "--requests", "4", "--slo", "ttft=30s,e2e=60s"}, fastSimArgs...)...)
	if !strings.Contains(out, "(4 of 4 requests, 100.0%, within ttft<=30s, e2e<=1m0s;") {
		t.Errorf("generous SLO: output:\n%s", out)
	}
}

func TestOpenLoopReport(t *testing.T) {
	out, _, code := runCLI(t, append([]string{"4", "--stream", "--rate", "200", "--requests", "10", "--seed", "3"}, fastSimArgs...)...)
	for _, want := range []string{"Load: open loop at 200 req/s, Poisson arrivals, seed 3\n", "Client queue (ms, t_send - t_sched):", "TTFT incl. queue (ms):", "Samples: 10 ok"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("exit %d; output lacks %q:\n%s", code, want, out)
		}
	}
	// A cap of one in flight makes requests wait: the report says so.
	out, _, _ = runCLI(t, append([]string{"4", "--stream", "--rate", "inf", "--max-concurrency", "1", "--requests", "6"}, append(fastSimArgs, "--sim-ttft", "30ms")...)...)
	if !strings.Contains(out, "WARNING: requests started late") {
		t.Errorf("no late-start warning with --max-concurrency 1 at rate inf:\n%s", out)
	}
}

func TestLoadUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"2", "--rate", "5", "--sweep-concurrency", "1,2"}, "-rate and -sweep-concurrency exclude each other"},
		{[]string{"2", "--duration", "1m", "--requests", "5"}, "-duration and -requests exclude each other"},
		{[]string{"2", "--rate", "0"}, `"0" is not a positive number of requests per second`},
		{[]string{"2", "--rate", "fast"}, `"fast" is not a positive number`},
		{[]string{"2", "--burstiness", "0.5"}, "give -rate or -sweep-rate"},
		{[]string{"2", "--sweep-concurrency", "1,x"}, `invalid value "1,x" for flag -sweep-concurrency`},
		{[]string{"2", "--slo", "ttft=fast"}, "ttft=fast: not a positive duration"},
		{[]string{"2", "--slo", "latency=1s"}, `unknown bound "latency"`},
		{[]string{"2", "--extra-body", "[1,2]"}, "not a JSON object"},
		{[]string{"2", "--header", "X-A: b\r\nX-Evil: 1"}, "control character"},
		{[]string{"2", "--header", "no colon"}, "want 'Name: value'"},
		{[]string{"2", "--api", "responses"}, "use chat, completions or ollama"},
		{[]string{"2", "--prefix-tokens", "4"}, "need -input-tokens"},
		{[]string{"2", "--input-tokens", "8", "--prefix-tokens", "8"}, "-prefix-tokens must be less than -input-tokens"},
		{[]string{"2", "--prompts-file", "/nonexistent/prompts.txt"}, "reading -prompts-file"},
		{[]string{"2", "--fixed-output", "--extra-body", `{"ignore_eos":false}`}, "keep one"},
	} {
		t.Run(strings.Join(tt.args[1:], " "), func(t *testing.T) {
			out, errOut, code := runCLI(t, tt.args...)
			if code != 2 || !strings.Contains(errOut, tt.want) || out != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and %q", code, out, errOut, tt.want)
			}
		})
	}
}

// The body builder renders the fixed part once; each body must still be
// the JSON of the whole request, the same as encoding it in one go.
func TestBodyBuilderMatchesWholeEncoding(t *testing.T) {
	msgs := withSystem("be terse", `say "hi" \ and </script>`)
	for _, api := range []apiKind{apiChat, apiCompletions, apiOllama} {
		cfg := &config{model: "m", maxTokens: 7, temperature: 0.5, stream: true}
		cfg.load.api = api
		cfg.load.extraBody = map[string]any{"options": map[string]any{"num_ctx": 4096.0}, "top_p": 0.9}
		got, err := newBodyBuilder(cfg).build(msgs)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		if err := json.Unmarshal(got, &body); err != nil {
			t.Fatalf("%s: not JSON: %s", api, got)
		}
		if body["top_p"] != 0.9 || body["options"].(map[string]any)["num_ctx"] != 4096.0 {
			t.Errorf("%s: extra body not merged: %s", api, got)
		}
		switch api {
		case apiCompletions:
			if body["prompt"] != "be terse\n\n"+msgs[1].Content {
				t.Errorf("prompt = %q", body["prompt"])
			}
		default:
			m := body["messages"].([]any)
			if len(m) != 2 || m[1].(map[string]any)["content"] != msgs[1].Content {
				t.Errorf("%s: messages = %v", api, m)
			}
		}
	}
}
