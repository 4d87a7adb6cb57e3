package main

import (
	"context"
	"io"
)

// runProbeCommand is 'tpsbench probe [options]': the main command's
// endpoint options, no threads; --json writes the table as JSON.
func runProbeCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseArgs(append([]string{"1"}, args...), stdout)
	if err != nil {
		return err
	}
	tgt, err := startTarget(cfg)
	if err != nil {
		return err
	}
	defer tgt.shutdown()
	client := newClient(cfg.clientSpec(tgt.baseURL))
	defer client.http.CloseIdleConnections()
	facts, err := newProber(cfg, client).ask(ctx)
	switch {
	case err != nil && ctx.Err() != nil:
		return errInterrupted
	case err != nil:
		return err
	}
	found := newProbeReport(facts, client.text)
	text := stdout
	if cfg.out.json == "-" {
		text = stderr
	}
	writeProbe(text, found)
	if cfg.out.json != "" {
		if err := writeJSONFile(cfg.out.json, "json", found, stdout); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return errInterrupted // what was found before the interrupt is printed
	}
	return nil
}
