package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"
)

// benchmarkModels runs the same benchmark for each of several models in
// turn (--model a,b,c), each preloaded as usual, and ends with one table.
// Files asked for are written per model, the model's name in their names;
// --json also gets one document with a summary per model.
func benchmarkModels(ctx context.Context, cfg *config, models []string, stdout, stderr io.Writer) error {
	type result struct {
		model string
		s     Summary
	}
	var results []result
	var failed error
	started := time.Now()
	if path := cfg.out.json; path != "" && path != "-" {
		// Checked before the first request, like every output.
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("-json: %w", err)
		}
		f.Close()
	}
	for _, model := range models {
		if ctx.Err() != nil {
			break
		}
		fmt.Fprintf(stdout, "=== Model %s ===\n", model)
		s, err := benchmarkOne(ctx, cfg.forModel(model), stdout, stderr)
		fmt.Fprintln(stdout)
		switch {
		case errors.Is(err, errFailed) || errors.Is(err, errInterrupted):
			failed = err
		case err != nil:
			return fmt.Errorf("model %s: %w", model, err)
		}
		results = append(results, result{model, s})
	}

	fmt.Fprintln(stdout, "Models:")
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  model\tok\tfailed\toutput tok/s\tTPS median\tTTFT median ms\tTPOT median ms\tE2E p95 ms\tserver decode TPS\t")
	for _, r := range results {
		s := r.s
		server := "-"
		if s.ServerDecodeTPS.N > 0 {
			server = fmt.Sprintf("%.2f", s.ServerDecodeTPS.Median)
		}
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%.2f\t%s\t%s\t%s\t%s\t%s\t\n", r.model, s.OK, s.Failed, s.OutputThroughput,
			cell(s.TPS, s.TPS.Median), cell(s.TTFT, s.TTFT.Median), cell(s.TPOT, s.TPOT.Median), cell(s.E2E, s.E2E.P95), server)
	}
	tw.Flush()

	if cfg.out.json != "" && cfg.out.json != "-" {
		doc := struct {
			Tool      string      `json:"tool"`
			Version   string      `json:"version"`
			StartedAt time.Time   `json:"started_at"`
			Models    []jsonModel `json:"models"`
		}{Tool: "tpsbench", Version: version(), StartedAt: started}
		for _, r := range results {
			doc.Models = append(doc.Models, jsonModel{Model: r.model, Fingerprint: r.s.Fingerprint, jsonFigures: jsonFiguresOf(r.s)})
		}
		if err := writeJSONFile(cfg.out.json, "json", doc, stdout); err != nil {
			return err
		}
	}
	return failed
}

// jsonModel is one model's figures in a several-model run's JSON.
type jsonModel struct {
	Model       string       `json:"model"`
	Fingerprint *fingerprint `json:"fingerprint,omitempty"`
	jsonFigures
}
