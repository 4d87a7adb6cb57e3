package main

import (
	"context"
	"flag"
	"io"

	"github.com/tpsbench/tpsbench/internal/sim"
)

// runSimCommand serves the simulator alone, for trying other tools against
// it: tpsbench sim --addr 127.0.0.1:11434.
func runSimCommand(ctx context.Context, args []string, stdout, _ io.Writer) error {
	cfg := sim.DefaultConfig()
	fs := flag.NewFlagSet("tpsbench sim", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:11434", "`host:port` to listen on")
	fs.IntVar(&cfg.MaxTokens, "max-tokens", cfg.MaxTokens, "answer length in `tokens` when a request sets no max_tokens")
	addSimFlags(fs, "", &cfg)
	extra, err := parseInterleaved(fs, args, func() {
		printCommandUsage(stdout, fs, "Usage: tpsbench sim [options]\n\nServes the simulated OpenAI-compatible endpoint until interrupted.")
	})
	if err != nil {
		return err
	}
	if len(extra) > 0 {
		return usagef("tpsbench sim takes no arguments, got %q", extra[0])
	}
	if err := validateSim("", cfg); err != nil {
		return err
	}
	if cfg.MaxTokens < 1 {
		return usagef("-max-tokens must be at least 1")
	}
	running, err := sim.New(cfg).Listen(*addr)
	if err != nil {
		return err
	}
	defer running.Close()
	writeSimListening(stdout, running.BaseURL, cfg)
	return running.Wait(ctx)
}
