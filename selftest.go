package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tpsbench/tpsbench/internal/load"
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
	levels, err := parseList(*levelsFlag, func(f string) (int, error) {
		n, err := strconv.Atoi(f)
		if err == nil && n < 1 {
			err = errors.New("must be at least 1")
		}
		return n, err
	})
	switch {
	case len(extra) > 0:
		return usagef("tpsbench selftest takes no arguments, got %q", extra[0])
	case err != nil:
		return usagef("-levels: %v", err)
	case *each <= 0:
		return usagef("-duration must be positive")
	}

	base, stop, err := startSelftestSim(*inProcess)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Fprintf(stdout, "Selftest: streaming 256-token answers from a simulator with no delays (%s), %s per level\n\n", map[bool]string{true: "in this process", false: "a child process"}[*inProcess], *each)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "streams\ttokens/s\tclient CPU µs/token\tready-goroutine wait p99 ms\tclient-bound\t")
	var best float64
	bestAt := 0
	for _, c := range levels {
		if ctx.Err() != nil {
			break
		}
		client := newClient(clientSpec{baseURL: base, api: apiChat, apiKey: "x", timeout: time.Minute, maxTokens: 256, stream: true, pool: c})
		counter, _ := newTiktokenCounter("cl100k_base")
		bodies := newBodyBuilder(&config{model: "selftest", maxTokens: 256, stream: true, load: loadConfig{api: apiChat}})
		prompts := fixedPrompts("", "selftest", 1)
		r := &runner{client: client, tokens: &tokenPolicy{counter: counter},
			body: func(k requestKey) ([]byte, error) { return bodies.build(prompts(k)) }}
		watch := startWatch()
		records, _, err := r.runPhase(ctx, phaseRun{load: load.Phase{Threads: c, Duration: *each}})
		h := watch.measure()
		client.http.CloseIdleConnections()
		if err != nil {
			return err
		}
		s := summarizeRecords(records, sloBounds{})
		if s.OK == 0 {
			return fmt.Errorf("selftest at %d streams: no answer came back (%v)", c, s.Errors)
		}
		perM := h.CPU.Seconds() / float64(s.OutputTokens) * 1e6 // CPU s per million tokens = µs per token
		bound := "no"
		if h.clientBound(time.Duration(s.TTFT.Median * float64(time.Millisecond))) {
			bound = "yes"
		}
		fmt.Fprintf(tw, "%d\t%.0f\t%.2f\t%.2f\t%s\t\n", c, s.OutputThroughput, perM, toMs(h.SchedP99), bound)
		if s.OutputThroughput > best {
			best, bestAt = s.OutputThroughput, c
		}
	}
	tw.Flush()
	fmt.Fprintf(stdout, "\nCeiling of this machine as a client: about %.0f tokens/s (at %d streams). A server measured near it is measured as much as the client.\n", best, bestAt)
	return nil
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
