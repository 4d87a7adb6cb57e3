package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// benchmarkModels runs the same benchmark for each of several models in
// turn (--model a,b,c), each preloaded as usual, and ends with one table.
// Files asked for are written per model, the model's name in their names;
// --json also gets one document with a summary per model.
func benchmarkModels(ctx context.Context, cfg *config, models []string, stdout, stderr io.Writer) error {
	var results []modelResult
	var failed error
	started := time.Now()
	if path := cfg.out.json; path != "" && path != "-" {
		// Checked before the first request, like every output.
		f, err := createPending(path)
		if err != nil {
			return usagef("-json: %v", err)
		}
		f.abandon()
	}
	if !cfg.sim { // every model checked before the first is run
		c := newClient(cfg.clientSpec(cfg.baseURL))
		_, err := ollamaCheck(ctx, cfg, c, models)
		c.http.CloseIdleConnections()
		if err != nil {
			return err
		}
	}
	for _, model := range models {
		if ctx.Err() != nil {
			break
		}
		writeModelHeading(stdout, model)
		s, err := benchmarkOne(ctx, cfg.forModel(model), stdout, stderr)
		fmt.Fprintln(stdout)
		switch {
		case errors.Is(err, errFailed) || errors.Is(err, errInterrupted):
			failed = err
		case err != nil:
			return fmt.Errorf("model %s: %w", model, err)
		}
		results = append(results, modelResult{model, s})
	}

	writeModels(stdout, results)

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
