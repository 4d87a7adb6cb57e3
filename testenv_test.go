package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tpsbench/tpsbench/internal/sim"
	"github.com/tpsbench/tpsbench/internal/testkit"
)

// The test environment, shared by every test of the package: how tests run
// the program, the servers they run it against, the Client and runner built
// the way a run builds them, fixed Records, the test's files, and golden
// files. Helpers used by one test file only live in that file; what the tests
// of several packages share is in internal/testkit.

// Running the program.

// The simulator's flags for end-to-end runs, written here only. A test that
// needs one figure otherwise (a longer TTFT, say) appends that flag after
// these: the last value of a flag wins.
var (
	// fastSim keeps a run quick: 16 one-token chunks, about 10 ms an answer.
	fastSim = []string{"--sim", "--sim-ttft", "2ms", "--sim-rate", "2000", "--sim-jitter", "0", "--max-tokens", "16"}
	// slowSim takes about 50 ms an answer, long enough that concurrent
	// requests overlap at the server and a run takes measurable time.
	slowSim = []string{"--sim", "--sim-ttft", "10ms", "--sim-rate", "400", "--sim-jitter", "0", "--max-tokens", "16"}
)

// withSim returns args followed by the simulator flags sim (fastSim or
// slowSim), in a slice of its own.
func withSim(sim []string, args ...string) []string {
	return slices.Concat(args, sim)
}

// runCLI runs the whole program as a user would and returns what it printed
// and its exit status.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runCLIContext(t.Context(), t, args...)
}

// runCLIContext is runCLI until ctx ends: ending it is the user's Ctrl-C.
func runCLIContext(ctx context.Context, t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := runCommandLine(ctx, args, &out, &errb)
	code = exitCode(err, &errb)
	return out.String(), errb.String(), code
}

// runEveryOutput runs the program with every output file (--json, --csv,
// --html, --records) in the test's directory, stops the test unless it
// exits with want, and returns all it printed and wrote, for a test that
// looks for what must appear nowhere.
func runEveryOutput(t *testing.T, want int, args ...string) string {
	t.Helper()
	files := []string{"--json", "out.json", "--csv", "out.csv", "--html", "out.html", "--records", "out.jsonl"}
	for i := 1; i < len(files); i += 2 {
		files[i] = testPath(t, files[i])
	}
	stdout, stderr := runExpect(t, want, slices.Concat(args, files)...)
	all := stdout + stderr
	for i := 1; i < len(files); i += 2 {
		all += string(readFile(t, files[i]))
	}
	return all
}

// runExpect runs the program and stops the test unless it exits with want.
func runExpect(t *testing.T, want int, args ...string) (stdout, stderr string) {
	t.Helper()
	stdout, stderr, code := runCLI(t, args...)
	if code != want {
		t.Fatalf("tpsbench %s: exit %d; want %d\nstderr:\n%s\nstdout:\n%s", strings.Join(args, " "), code, want, stderr, stdout)
	}
	return stdout, stderr
}

// runJSON runs a benchmark with --json -, stops the test unless it exits
// with want, and returns its JSON summary and its text report, which
// --json - sends to stderr.
func runJSON(t *testing.T, want int, args ...string) (jsonSummary, string) {
	t.Helper()
	out, text := runExpect(t, want, append(slices.Clone(args), "--json", "-")...)
	return decodeSummary(t, out), text
}

// decodeSummary decodes a JSON summary strictly (decodeStrict).
func decodeSummary(t testing.TB, doc string) jsonSummary {
	t.Helper()
	var s jsonSummary
	decodeStrict(t, []byte(doc), &s)
	return s
}

// expectText reports each of wants that the output out lacks.
func expectText(t testing.TB, out string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// rebuiltRun is a run's output file and what the run printed, and the same
// output as report rebuilt it from the run's records.
type rebuiltRun struct {
	live, rebuilt       string // the output files
	liveOut, rebuiltOut string // what the run and report printed
}

// runAndRebuild runs the benchmark with args, writing its records and, to
// the file name, the output that flag (--json, --html) names; then report
// rebuilds that output from the records, to the file rebuilt-name. Both are
// in the test's own directory.
func runAndRebuild(t *testing.T, flag, name string, args ...string) rebuiltRun {
	t.Helper()
	recs := testPath(t, "run.jsonl")
	r := rebuiltRun{live: testPath(t, name), rebuilt: testPath(t, "rebuilt-"+name)}
	r.liveOut, _ = runExpect(t, 0, append(slices.Clone(args), "--records", recs, flag, r.live)...)
	r.rebuiltOut, _ = runExpect(t, 0, "report", recs, flag, r.rebuilt)
	return r
}

// transcript runs each command line in turn and returns what a terminal
// would show: the command, what it printed (stdout, then stderr) and its
// exit status. Each occurrence of dir in it reads DIR, so that a golden
// file does not depend on where the test's files were.
func transcript(t *testing.T, dir string, cmds ...[]string) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, args := range cmds {
		quoted := make([]string, len(args))
		for i, a := range args {
			quoted[i] = a
			if a == "" || strings.ContainsAny(a, " \t\r\n'\"\\") {
				quoted[i] = strconv.Quote(a)
			}
		}
		out, errOut, code := runCLI(t, args...)
		fmt.Fprintf(&b, "$ %s\n%s%sexit %d\n\n", strings.Join(append([]string{"tpsbench"}, quoted...), " "), out, errOut, code)
	}
	if dir == "" {
		return b.Bytes()
	}
	return bytes.ReplaceAll(b.Bytes(), []byte(dir), []byte("DIR"))
}

// badArgs is a bad command line and what its error says.
type badArgs struct {
	args []string
	want string // in the error
}

// checkUsageErrors runs each bad command line, which must be refused before
// anything is sent: exit 2, nothing on stdout, and on stderr the error in
// one line, then where to find usage. The transcript of them all is the
// golden file name.
func checkUsageErrors(t *testing.T, name string, cases []badArgs) {
	t.Helper()
	checkUsageErrorsIn(t, name, "", cases)
}

// checkUsageErrorsIn is checkUsageErrors with each occurrence of dir (a
// test server's URL, say) written DIR in the golden file.
func checkUsageErrorsIn(t *testing.T, name, dir string, cases []badArgs) {
	t.Helper()
	var cmds [][]string
	for _, tt := range cases {
		out, errOut, code := runCLI(t, tt.args...)
		if code != 2 || !strings.Contains(errOut, tt.want) || out != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2 and %q before anything is sent", tt.args, code, out, errOut, tt.want)
		}
		if lines := strings.Count(errOut, "\n"); lines != 2 { // the error, and where to find usage
			t.Errorf("%q: stderr has %d lines; want a one-line error:\n%s", tt.args, lines, errOut)
		}
		cmds = append(cmds, tt.args)
	}
	golden(t, name, transcript(t, dir, cmds...))
}

// The Client and the runner, built as a run builds them.

// replayClient is a Client for replaying recorded responses, not for
// sending, with the token policy a run settles its Records with.
type replayClient struct{ *Client }

func (c *replayClient) settle(rec *Record) { c.tokens.settle(context.Background(), rec) }

// testClient returns a replayClient; force is --force-tiktoken.
func testClient(t testing.TB, stream, force bool) *replayClient {
	t.Helper()
	return testClientAt(t, "http://127.0.0.1:1/v1", stream, force)
}

// testClientAt returns a replayClient that can send too, to baseURL.
func testClientAt(t testing.TB, baseURL string, stream, force bool) *replayClient {
	t.Helper()
	counter, err := newTiktokenCounter("cl100k_base")
	if err != nil {
		t.Fatal(err)
	}
	tokens := newTokenPolicy(counter, force, false)
	c := newClient(clientSpec{baseURL: baseURL, apiKey: "sk-test-secret", timeout: time.Minute, stream: stream, tokens: tokens})
	t.Cleanup(c.http.CloseIdleConnections)
	return &replayClient{c}
}

// testRunner returns a runner for cfg against baseURL, wired as a run
// wires it: its plan's bodies and token policy, its configured Client.
func testRunner(t testing.TB, cfg *config, baseURL string) *runner {
	t.Helper()
	if cfg.load.api == "" {
		cfg.load.api = apiChat
	}
	p, err := newPlan(cfg)
	if err != nil {
		t.Fatal(err)
	}
	spec := cfg.clientSpec(baseURL)
	spec.tokens = p.tokens
	client := newClient(spec)
	t.Cleanup(client.http.CloseIdleConnections)
	return &runner{client: client, tokens: p.tokens, body: p.body}
}

// simRunner starts a simulator and returns a runner against it, and the
// simulator (whose Requests are its own timeline when simCfg.Record).
func simRunner(t testing.TB, simCfg sim.Config, cfg *config) (*runner, *sim.Server) {
	t.Helper()
	s := sim.New(simCfg)
	running, err := s.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { running.Close() })
	cfg.model, cfg.apiKey, cfg.encoding, cfg.prompt = "m", "k", "cl100k_base", "hi"
	if cfg.timeout == 0 {
		cfg.timeout = 30
	}
	return testRunner(t, cfg, running.BaseURL), s
}

// simRun benchmarks a recording simulator directly, threads times perThread
// answers of 8 tokens, and returns both sides' records: the client's, and
// the simulator's own timeline by response id.
func simRun(t *testing.T, simCfg sim.Config, threads, perThread int, stream bool) (*Client, []Record, map[string]sim.Request) {
	t.Helper()
	simCfg.Record = true
	cfg := &config{threads: threads, requestsPerThread: perThread, maxTokens: 8, stream: stream}
	r, s := simRunner(t, simCfg, cfg)
	records, sent, err := r.runPhase(context.Background(), phaseRun{load: measuredPhase(cfg, loadLevel{concurrency: threads})})
	if err != nil || sent != len(records) {
		t.Fatalf("%d sent, %d records, %v", sent, len(records), err)
	}
	byID := map[string]sim.Request{}
	for _, r := range s.Requests() {
		byID[r.ID] = r
	}
	return r.client, records, byID
}

// Recorded responses.

// fixturePath names one of the files under testdata/fixtures: responses
// recorded from real servers (llama.cpp's server b4748 and Ollama v0.24.0),
// and raw captures of their streams; INDEX.md there names the request
// behind each.
func fixturePath(name string) string {
	return filepath.Join("testdata", "fixtures", name)
}

// readFixture opens one of the recorded responses.
func readFixture(t testing.TB, name string) *http.Response {
	t.Helper()
	return testkit.ReadResponse(t, fixturePath(name))
}

// replay reads a recorded response through the client's response handling
// and settles its Record as a run would; force is --force-tiktoken.
func replay(t testing.TB, name string, stream, force bool) Record {
	t.Helper()
	c := testClient(t, stream, force)
	resp := readFixture(t, name)
	defer resp.Body.Close()
	rec := newRecord(0, stream)
	rec.Send, rec.Hdr = 0, 0
	c.readResponse(context.Background(), resp, &rec)
	c.settle(&rec)
	return rec
}

// Fixed Records: no clock, no network.

// streamRec builds an ok streamed Record: stream chunks at the given
// millisecond offsets after a send at sendMs.
func streamRec(sendMs int, tokens int, chunkMs ...int) Record {
	r := newRecord(0, true)
	r.Send = time.Duration(sendMs) * time.Millisecond
	for _, c := range chunkMs {
		r.Chunks.Append(time.Duration(c) * time.Millisecond)
	}
	r.FirstAnswer = r.First()
	r.Done = r.Last() + time.Millisecond
	r.OutputTokens, r.TokenSource, r.UsageTokens, r.OK = tokens, "usage", tokens, true
	return r
}

// goldenRecords is a fixed run: 8 ok streamed answers of 16 tokens (one
// counted by tiktoken, one cross-checked), 3 HTTP failures and a timeout.
func goldenRecords() []Record {
	var recs []Record
	for i := range 8 {
		start := i * 100
		chunks := make([]int, 0, 16)
		for j := range 16 {
			chunks = append(chunks, start+150+i*3+j*(25+i))
		}
		r := streamRec(start, 16, chunks...)
		r.Index, r.InputTokens = i, 31
		if i < 4 { // the first request of each thread opened a connection
			r.NewConn, r.Connect = true, time.Duration(i+1)*time.Millisecond
		}
		if i == 5 {
			r.TokenSource, r.UsageTokens, r.TiktokenTokens = "tiktoken", -1, 16
			r.InputTokens = -1
		}
		if i == 6 { // cross-checked: tiktoken counted 2 more
			r.TiktokenTokens = 18
		}
		recs = append(recs, r)
	}
	for i := range 3 {
		r := newRecord(8+i, true)
		r.Send, r.Done = time.Duration(900+i)*time.Millisecond, time.Duration(950+i)*time.Millisecond
		r.fail(failHTTP, `HTTP 404: model "foo" not found`)
		recs = append(recs, r)
	}
	r := newRecord(11, true)
	r.Send, r.Done = 1000*time.Millisecond, 1100*time.Millisecond
	r.fail(failTimeout, "timeout after 100ms")
	return append(recs, r)
}

// readBack turns records-file lines back into Records.
func readBack(lines []recordLine) []Record {
	var rs []Record
	for i := range lines {
		rs = append(rs, lines[i].record(0))
	}
	return rs
}

// Files.

// testDirs holds each test's own temporary directory, by test.
var testDirs sync.Map

// testDir returns the test's own temporary directory: the same one however
// often it is called in one test, removed when the test ends.
func testDir(t testing.TB) string {
	if d, ok := testDirs.Load(t); ok {
		return d.(string)
	}
	d, _ := testDirs.LoadOrStore(t, t.TempDir())
	t.Cleanup(func() { testDirs.Delete(t) })
	return d.(string)
}

// testPath names a file in the test's own temporary directory.
func testPath(t testing.TB, name string) string {
	return filepath.Join(testDir(t), name)
}

// readFile returns what the file at path holds; a file that cannot be read
// stops the test.
func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeFile writes data to the file at path and returns path; a file that
// cannot be written stops the test.
func writeFile[T string | []byte](t testing.TB, path string, data T) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// readJSON decodes the JSON file at path into v, strictly (decodeStrict).
func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	decodeStrict(t, readFile(t, path), v)
}

// decodeStrict decodes the JSON document doc into v, or stops the test: a
// field doc has and v lacks is an error.
func decodeStrict(t testing.TB, doc []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("the JSON does not decode into %T: %v\n%s", v, err, doc)
	}
}

// Golden files.

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
