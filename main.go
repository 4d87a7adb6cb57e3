// Command tpsbench benchmarks an OpenAI-compatible LLM endpoint (Ollama,
// vLLM, llama.cpp's server, SGLang, TGI, LM Studio, OpenAI): it sends
// concurrent chat-completion requests and reports tokens per second and
// latency.
//
// Usage:
//
//	tpsbench <threads> [options]
//	tpsbench sim [--addr 127.0.0.1:11434] [simulator options]
//
// Each of <threads> workers sends -requests-per-thread requests, one after
// another. Output tokens come from the server's usage.completion_tokens, or
// else from tiktoken (embedded data, no download). With -stream the answers
// are read as Server-Sent Events and TTFT, TPOT, ITL and decode TPS are
// measured as each chunk's bytes arrive. Every figure is defined in the
// README's "What each figure means".
//
// Exit status: 0 when every request was ok, 1 when any failed, 2 for a bad
// command line, 130 when interrupted (after the report of what finished).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tpsbench/tpsbench/internal/host"
)

func main() {
	ctx, stop, quit := interruptContexts(context.Background())
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go handleInterrupts(signals, time.Now,
		func() { fmt.Fprintln(os.Stderr, "\ntpsbench: interrupted: "+interruptNotice(os.Args[1:])); stop() },
		func() {
			fmt.Fprintln(os.Stderr, "\ntpsbench: interrupted again: requests in flight are cancelled; what is complete is still written (interrupt again to quit at once)")
			quit()
		},
		func() { os.Exit(130) })
	err := runCommandLine(ctx, os.Args[1:], os.Stdout, os.Stderr)
	os.Exit(exitCode(err, os.Stderr))
}

// interruptNotice is what the first interrupt says the command does next.
func interruptNotice(args []string) string {
	cmd := ""
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "sim":
		return "the simulator stops"
	case "report", "compare":
		return "stopping"
	case "probe":
		return "no new question"
	case "selftest":
		return "the levels measured so far follow"
	}
	return "no new requests; the report follows (interrupt again to cancel requests in flight)"
}

// exitCode prints err (unless the report already said it) and maps it to
// the exit status: 2 for a usage error, 1 for any other failure. The
// message may quote a server: its control characters are escaped.
func exitCode(err error, stderr io.Writer) int {
	guard := newSafeWriter(stderr)
	defer guard.Flush()
	stderr = guard
	var usage *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errFailed):
		return 1
	case errors.Is(err, errInterrupted):
		return 130
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "tpsbench: %v\nRun tpsbench -h for usage.\n", err)
		return 2
	default:
		fmt.Fprintf(stderr, "tpsbench: %v\n", err)
		return 1
	}
}

// subcommand is one of tpsbench's commands: everything it reads and writes goes through its
// arguments.
type subcommand func(ctx context.Context, args []string, stdout, stderr io.Writer) error

// subcommands are tpsbench's commands, by name; anything else is a benchmark.
var subcommands = map[string]subcommand{
	"sim":      runSimCommand,
	"report":   runReportCommand,
	"compare":  runCompareCommand,
	"probe":    runProbeCommand,
	"selftest": runSelftestCommand,
}

// runCommandLine is the whole program, reachable from tests: all it reads
// and writes goes through its arguments. What it prints passes through a
// safeWriter: whatever a server said, no control character reaches the
// terminal.
func runCommandLine(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	guardOut, guardErr := newSafeWriter(stdout), newSafeWriter(stderr)
	defer guardOut.Flush()
	defer guardErr.Flush()
	stdout, stderr = guardOut, guardErr
	if len(args) > 0 {
		if cmd, ok := subcommands[args[0]]; ok {
			return cmd(ctx, args[1:], stdout, stderr)
		}
	}
	return runBenchmarkCommand(ctx, args, stdout, stderr)
}

// runBenchmarkCommand is 'tpsbench <threads> [options]'.
func runBenchmarkCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseArgs(args, stdout)
	if err != nil {
		return err
	}
	if err := checkOpenFiles(cfg.inflightMost(), cfg.sim, host.OpenFileLimit()); err != nil {
		return err
	}
	if models := cfg.models(); len(models) > 1 {
		return benchmarkModels(ctx, cfg, models, stdout, stderr)
	}
	_, err = benchmarkOne(ctx, cfg, stdout, stderr)
	return err
}
