// Command bench measures tpsbench itself: how fast its client is, what it
// costs in CPU and memory, and how close its TTFT is to the server's own,
// beside a reference client run in the same invocation.
//
// It builds tpsbench and the reference (bench/bareloop: the plainest
// reasonable Go client, net/http with a 64 KiB bufio.Reader and
// encoding/json decoding every event). For each point it starts
// `tpsbench sim`, runs one client against it, and reads the simulator's
// CPU; the two clients take turns, in alternating order, -reps times.
// Client and simulator are pinned with taskset to different cores where
// taskset exists (client on -client-cpu, simulator on -sim-cpu):
//
//	go run ./bench              # every point, 3 repetitions
//	go run ./bench -only write  # points whose name contains "write"
//
// Every figure is a median over the repetitions. Columns: tokens/s and
// req/s are the client's output and request throughput; CPU s/Mtok is the
// client's user+system CPU per million output tokens (getrusage of the
// child); sim s/Mtok is the simulator's CPU per million tokens over the
// client's run (/proc/PID/stat); RSS is the client's peak resident set;
// TTFT err is the client's mean TTFT minus the simulator's own mean time
// from receiving a request to writing its first token (GET /sim/stats).
// Where a point has a reference, "x ref" columns give tpsbench's figure
// divided by the reference's, each the median of per-repetition ratios.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/tpsbench/tpsbench/internal/host"
)

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
	bin, ref          string // the tpsbench and reference binaries
	pinned            bool
	stdout, stderr    io.Writer
}

// pin returns the command args, pinned to cpus when taskset exists.
func (b *bench) pin(cpus string, args ...string) *exec.Cmd {
	if b.pinned {
		return exec.Command("taskset", append([]string{"-c", cpus}, args...)...)
	}
	return exec.Command(args[0], args[1:]...)
}

// run builds both clients, measures every point, then the start-up time.
func (b *bench) run() error {
	dir, err := os.MkdirTemp("", "tpsbench-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	b.bin, b.ref = filepath.Join(dir, "tpsbench"), filepath.Join(dir, "bareloop")
	for out, pkg := range map[string]string{b.bin: ".", b.ref: "./bench/bareloop"} {
		build := exec.Command("go", "build", "-o", out, pkg)
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		build.Stderr = b.stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("building %s: %w", pkg, err)
		}
	}
	_, tasksetErr := exec.LookPath("taskset")
	b.pinned = tasksetErr == nil
	hostname, _ := os.Hostname()
	fmt.Fprintf(b.stdout, "tpsbench self-benchmark on %s: %d CPUs, %s; pinned: %v (client CPU %s, simulator CPU %s); medians of %d\n\n",
		hostname, runtime.NumCPU(), host.CPUModel(), b.pinned, b.clientCPU, b.simCPU, b.reps)
	b.points()
	return b.startup()
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
