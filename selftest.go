package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/tpsbench/tpsbench/internal/host"
	"github.com/tpsbench/tpsbench/internal/sim"
)

// runSelftestCommand is 'tpsbench selftest': it measures this machine's
// ceiling as a load generator. The simulator runs with no delays in a child
// process (pin the two apart with taskset for a cleaner figure), and
// tpsbench streams 256-token answers from it at rising concurrency for a
// while each, watching its own CPU and the Go runtime's delays.
func runSelftestCommand(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("tpsbench selftest", flag.ContinueOnError)
	each := fs.Duration("duration", 2*time.Second, "how long to run each level")
	levelsFlag := fs.String("levels", "1,16,64,256", "concurrency `levels` to try")
	inProcess := fs.Bool("in-process", false, "run the simulator in this process (the figures then include its work)")
	extra, err := parseInterleaved(fs, args, func() {
		printCommandUsage(stdout, fs, "Usage: tpsbench selftest [options]\n\nMeasures the client's own ceiling on this machine against the simulator with no delays.")
	})
	if err != nil {
		return err
	}
	levels, err := parseLevels(*levelsFlag)
	switch {
	case len(extra) > 0:
		return usagef("tpsbench selftest takes no arguments, got %q", extra[0])
	case err != nil:
		return usagef("-levels: %v", err)
	case *each < minDuration:
		return usagef("-duration must be at least %s", minDuration)
	}
	if err := checkOpenFiles(slices.Max(levels), *inProcess, host.OpenFileLimit()); err != nil {
		return err
	}

	base, stop, err := startSelftestSim(*inProcess)
	if err != nil {
		return err
	}
	defer stop()
	writeSelftestHeading(stdout, *inProcess, *each)
	var rows []selftestRow
	for _, c := range levels {
		if ctx.Err() != nil {
			break
		}
		row, err := selftestLevel(ctx, base, c, *each)
		if ctx.Err() != nil {
			break // a level cut short measures nothing
		}
		if err != nil {
			return err
		}
		rows = append(rows, row)
	}
	writeSelftest(stdout, rows)
	if ctx.Err() != nil {
		return errInterrupted
	}
	return nil
}

// selftestLevel streams from the simulator at base with c streams for
// each, wired as a benchmark run is wired, and watches the client.
func selftestLevel(ctx context.Context, base string, c int, each time.Duration) (selftestRow, error) {
	cfg := &config{threads: c, model: "selftest", apiKey: "x", timeout: 60, maxTokens: 256, stream: true,
		encoding: "cl100k_base", prompt: "selftest", load: loadConfig{api: apiChat, duration: each, burstiness: 1, seed: 1}}
	p, err := newPlan(cfg)
	if err != nil {
		return selftestRow{}, err
	}
	client := newClient(cfg.clientSpec(base))
	defer client.http.CloseIdleConnections()
	r := &runner{client: client, tokens: p.tokens, body: p.body}
	watch := startWatch()
	records, _, err := r.runPhase(ctx, p.measured()[0])
	h := watch.measure()
	if err != nil {
		return selftestRow{}, err
	}
	s := summarizeRecords(records, sloBounds{})
	if s.OK == 0 {
		return selftestRow{}, fmt.Errorf("selftest at %d streams: no answer came back (%v)", c, s.Errors)
	}
	return selftestRow{streams: c, tokensPerS: s.OutputThroughput,
		cpuPerToken: h.CPU.Seconds() / float64(s.OutputTokens) * 1e6, // CPU s per million tokens = µs per token
		schedP99:    h.SchedP99, bound: h.clientBound(time.Duration(s.TTFT.Median * float64(time.Millisecond)))}, nil
}

// startSelftestSim starts the simulator with no delays and returns its
// base URL and how to stop it.
func startSelftestSim(inProcess bool) (string, func(), error) {
	cfg := sim.DefaultConfig()
	cfg.TTFT, cfg.TokenRate, cfg.Jitter = 0, 0, 0
	if inProcess {
		running, err := sim.New(cfg).Listen("127.0.0.1:0")
		if err != nil {
			return "", nil, err
		}
		return running.BaseURL, func() { running.Close() }, nil
	}
	self, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(self, "sim", "--addr", "127.0.0.1:0", "--ttft", "0", "--rate", "0", "--jitter", "0")
	cmd.SysProcAttr = childAttrs() // it dies with selftest
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("starting the simulator: %w", err)
	}
	stop := func() {
		cmd.Process.Kill()
		cmd.Wait()
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	_, rest, ok := strings.Cut(line, "Simulated endpoint at ")
	base, _, _ := strings.Cut(rest, " ")
	if err != nil || !ok {
		stop()
		return "", nil, fmt.Errorf("the simulator did not start: %q", line)
	}
	go io.Copy(io.Discard, out)
	return base, stop, nil
}
