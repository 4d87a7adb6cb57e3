// Command bench measures tpsbench itself: how fast its client is, what it
// costs in CPU and memory, and how close its TTFT is to the server's own.
//
// It builds tpsbench, then for each point starts `tpsbench sim` and a
// `tpsbench` run against it as two processes, pinned with taskset to
// different cores where taskset exists (client on -client-cpu, simulator on
// -sim-cpu), repeats each point -reps times and prints the medians:
//
//	go run ./bench              # every point, 3 repetitions
//	go run ./bench -only stream # points whose name contains "stream"
//
// Columns: tokens/s and req/s are the client's output and request
// throughput; CPU s/Mtok is the client's user+system CPU per million output
// tokens (getrusage of the child); RSS is its peak resident set; TTFT err is
// the client's mean TTFT minus the simulator's own mean time from receiving
// a request to writing its first token (GET /sim/stats).
package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/tpsbench/tpsbench/internal/host"
)

// point is one measured configuration.
type point struct {
	name    string
	client  []string // tpsbench arguments, without --base-url
	sim     []string // tpsbench sim arguments, without --addr
	budget  string   // what the issue asks of it
	noTTFT  bool
	perTok  bool // CPU per million tokens is meaningful
	perReq  bool // requests/s is the figure
	perConn bool // memory per connection is the figure
	setRuns int  // override -reps (long points)
}

var zeroDelay = []string{"--ttft", "0", "--rate", "0", "--jitter", "0"}

func points() []point {
	stream := func(c, perThread int) point {
		return point{
			name:   fmt.Sprintf("stream c=%d", c),
			client: []string{strconv.Itoa(c), "--stream", "--max-tokens", "256", "--requests-per-thread", strconv.Itoa(perThread)},
			sim:    zeroDelay, budget: ">= bare loop; <= 2 CPU s/Mtok; RSS < 30 MB at c=64", perTok: true, noTTFT: true,
		}
	}
	eachWrite := func(p point) point {
		p.name += " one token per write"
		p.sim = append(slices.Clone(p.sim), "--flush-each-token")
		p.client = slices.Clone(p.client)
		p.client[len(p.client)-1] = strconv.Itoa(max(1, mustAtoi(p.client[len(p.client)-1])/5))
		return p
	}
	return []point{
		stream(1, 3000),
		stream(16, 200),
		stream(64, 50),
		stream(256, 12),
		eachWrite(stream(1, 3000)),
		eachWrite(stream(64, 50)),
		{
			name:   "nonstream 1-token c=64",
			client: []string{"64", "--max-tokens", "1", "--requests-per-thread", "500"},
			sim:    zeroDelay, budget: ">= 40,000 req/s", perReq: true, noTTFT: true,
		},
		{
			name:   "ttft c=1",
			client: []string{"1", "--stream", "--max-tokens", "16", "--requests-per-thread", "40"},
			sim:    []string{"--ttft", "20ms", "--rate", "500", "--jitter", "0"}, budget: "TTFT within 1 ms",
		},
		{
			name:   "ttft c=64",
			client: []string{"64", "--stream", "--max-tokens", "16", "--requests-per-thread", "4"},
			sim:    []string{"--ttft", "20ms", "--rate", "500", "--jitter", "0"}, budget: "TTFT within 5 ms (mean)",
		},
		{
			name:   "scale 10k streams, 100 ms/token",
			client: []string{"10000", "--stream", "--max-tokens", "20", "--requests-per-thread", "1", "--timeout", "60"},
			sim:    []string{"--ttft", "100ms", "--rate", "10", "--jitter", "0"}, budget: "all ok; < 32 KB per stream", setRuns: 1, perConn: true,
		},
	}
}

// result is one run's measurements.
type result struct {
	ok, failed   int
	tokensPerSec float64
	reqPerSec    float64
	tokens       int
	cpu          time.Duration
	rssKB        int64
	ttftClient   float64
	ttftSim      float64
	opened       int     // connections the client opened
	connectMs    float64 // their mean connect time
	simCPU       time.Duration
}

func main() {
	reps := flag.Int("reps", 3, "repetitions per point (medians are reported)")
	only := flag.String("only", "", "run only points whose name contains this")
	clientCPU := flag.String("client-cpu", "0", "CPU list for the client (taskset -c)")
	simCPU := flag.String("sim-cpu", "1", "CPU list for the simulator (taskset -c)")
	flag.Parse()
	b := &bench{reps: *reps, only: *only, clientCPU: *clientCPU, simCPU: *simCPU, stdout: os.Stdout, stderr: os.Stderr}
	if err := b.run(); err != nil {
		fmt.Fprintln(b.stderr, "bench:", err)
		os.Exit(1)
	}
}

// bench is one self-benchmark: its settings and where it writes.
type bench struct {
	reps              int
	only              string
	clientCPU, simCPU string
	bin               string
	pin               func(cpus string, args ...string) *exec.Cmd
	pinned            bool
	stdout, stderr    io.Writer
}

// run builds tpsbench, measures every point, then the start-up time.
func (b *bench) run() error {
	dir, err := os.MkdirTemp("", "tpsbench-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	b.bin = filepath.Join(dir, "tpsbench")
	build := exec.Command("go", "build", "-o", b.bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stderr = b.stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building tpsbench: %w", err)
	}
	_, tasksetErr := exec.LookPath("taskset")
	b.pinned = tasksetErr == nil
	b.pin = func(cpus string, args ...string) *exec.Cmd {
		if b.pinned {
			return exec.Command("taskset", append([]string{"-c", cpus}, args...)...)
		}
		return exec.Command(args[0], args[1:]...)
	}
	hostname, _ := os.Hostname()
	fmt.Fprintf(b.stdout, "tpsbench self-benchmark on %s: %d CPUs, %s; pinned: %v (client CPU %s, simulator CPU %s); medians of %d\n\n",
		hostname, runtime.NumCPU(), host.CPUModel(), b.pinned, b.clientCPU, b.simCPU, b.reps)
	b.points()
	return b.startup()
}

// points measures each point and prints its row of medians.
func (b *bench) points() {
	tw := tabwriter.NewWriter(b.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "point\tok\tfailed\ttokens/s\treq/s\tCPU s/Mtok\tpeak RSS MB\tKB/conn\tconnect ms\tTTFT err ms\tsim CPU s\tbudget\t")
	for _, p := range points() {
		if b.only != "" && !strings.Contains(p.name, b.only) {
			continue
		}
		var runs []result
		for range cmp.Or(p.setRuns, b.reps) {
			r, err := runPoint(b.bin, p, b.pin, b.clientCPU, b.simCPU)
			if err != nil {
				fmt.Fprintf(b.stderr, "%s: %v\n", p.name, err)
				continue
			}
			runs = append(runs, r)
		}
		if len(runs) > 0 {
			fmt.Fprint(tw, row(p, runs))
		}
		fmt.Fprintf(b.stderr, "done: %s\n", p.name)
	}
	tw.Flush()
}

// row is one point's line of medians.
func row(p point, runs []result) string {
	med := func(f func(result) float64) float64 {
		xs := make([]float64, len(runs))
		for i, r := range runs {
			xs[i] = f(r)
		}
		slices.Sort(xs)
		return xs[len(xs)/2]
	}
	ttft, perM, kbPerConn := "-", "-", "-"
	if !p.noTTFT {
		ttft = fmt.Sprintf("%.2f", med(func(r result) float64 { return r.ttftClient - r.ttftSim }))
	}
	if p.perTok {
		perM = fmt.Sprintf("%.2f", med(func(r result) float64 { return r.cpu.Seconds() / float64(max(r.tokens, 1)) * 1e6 }))
	}
	if p.perConn {
		kbPerConn = fmt.Sprintf("%.1f", med(func(r result) float64 { return float64(r.rssKB) / float64(max(r.opened, 1)) }))
	}
	return fmt.Sprintf("%s\t%.0f\t%.0f\t%.0f\t%.0f\t%s\t%.1f\t%s\t%.2f\t%s\t%.2f\t%s\t\n", p.name,
		med(func(r result) float64 { return float64(r.ok) }),
		med(func(r result) float64 { return float64(r.failed) }),
		med(func(r result) float64 { return r.tokensPerSec }),
		med(func(r result) float64 { return r.reqPerSec }),
		perM,
		med(func(r result) float64 { return float64(r.rssKB) / 1024 }),
		kbPerConn,
		med(func(r result) float64 { return r.connectMs }),
		ttft,
		med(func(r result) float64 { return r.simCPU.Seconds() }),
		p.budget)
}

// startup times tpsbench -h, median of 21 runs.
func (b *bench) startup() error {
	var times []time.Duration
	for range 21 {
		start := time.Now()
		out, err := exec.Command(b.bin, "-h").Output()
		times = append(times, time.Since(start))
		if err != nil || !bytes.Contains(out, []byte("Usage")) {
			return fmt.Errorf("tpsbench -h failed: %v", err)
		}
	}
	slices.Sort(times)
	fmt.Fprintf(b.stdout, "\ntpsbench -h: median %.1f ms over %d runs (budget < 20 ms)\n", float64(times[len(times)/2].Microseconds())/1000, len(times))
	return nil
}

// runPoint runs the simulator and one client run and measures the client.
func runPoint(bin string, p point, pin func(string, ...string) *exec.Cmd, clientCPU, simCPU string) (result, error) {
	addr, err := freeAddr()
	if err != nil {
		return result{}, err
	}
	simCmd := pin(simCPU, append([]string{bin, "sim", "--addr", addr, "--max-tokens", "256"}, p.sim...)...)
	if err := simCmd.Start(); err != nil {
		return result{}, err
	}
	defer func() {
		simCmd.Process.Kill()
		simCmd.Wait()
	}()
	base := "http://" + addr + "/v1"
	if err := waitReady(base + "/models"); err != nil {
		return result{}, err
	}

	var out, text bytes.Buffer
	cmd := pin(clientCPU, append([]string{bin, "--base-url", base, "--json", "-", "--quiet"}, p.client...)...)
	cmd.Stdout, cmd.Stderr = &out, &text
	runErr := cmd.Run()
	r := result{}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		r.rssKB = ru.Maxrss
	}
	if err := parse(out.Bytes(), &r); err != nil {
		return r, fmt.Errorf("%v (exit: %v)\n%s", err, runErr, text.String())
	}
	var st struct {
		TTFTMeanMs float64 `json:"ttft_mean_ms"`
	}
	if resp, err := http.Get("http://" + addr + "/sim/stats"); err == nil {
		json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
	}
	r.ttftSim = st.TTFTMeanMs
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", simCmd.Process.Pid)); err == nil {
		r.simCPU = procCPU(string(b))
	}
	return r, nil
}

// summary is what bench reads of tpsbench's --json document.
type summary struct {
	Requests struct {
		OK     int `json:"ok"`
		Failed int `json:"failed"`
	} `json:"requests"`
	Tokens struct {
		Output int `json:"output"`
	} `json:"tokens"`
	OutputThroughputTokS  float64 `json:"output_throughput_tok_s"`
	RequestThroughputReqS float64 `json:"request_throughput_req_s"`
	TTFTMs                *struct {
		Mean float64 `json:"mean"`
	} `json:"ttft_ms"`
	ConnectMs *struct {
		Mean float64 `json:"mean"`
	} `json:"connect_ms"`
	NewConnections int `json:"new_connections"`
}

// parse reads a run's figures from its --json document.
func parse(doc []byte, r *result) error {
	var s summary
	if err := json.Unmarshal(doc, &s); err != nil {
		return fmt.Errorf("reading the --json summary: %w", err)
	}
	r.ok, r.failed, r.tokens = s.Requests.OK, s.Requests.Failed, s.Tokens.Output
	r.tokensPerSec, r.reqPerSec = s.OutputThroughputTokS, s.RequestThroughputReqS
	if s.TTFTMs != nil {
		r.ttftClient = s.TTFTMs.Mean
	}
	r.opened = s.NewConnections
	if s.ConnectMs != nil {
		r.connectMs = s.ConnectMs.Mean
	}
	return nil
}

// procCPU reads utime+stime from /proc/PID/stat (clock ticks of 10 ms).
func procCPU(stat string) time.Duration {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * 10 * time.Millisecond
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitReady(url string) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("simulator at %s did not come up", url)
}

func mustAtoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return n
}
