package main

import (
	"context"
	"time"

	"github.com/tpsbench/tpsbench/internal/prom"
)

// sideWatch measures what happens beside the requests of the measured
// phases: the server's Prometheus counters, the local GPUs' power, and the
// client's own CPU and scheduling delays.
type sideWatch struct {
	metricsURL string
	before     prom.Snapshot // nil when not scraped
	gpus       *idledSampler
	runFrom    time.Time
	watch      *clientWatch
	client     *Client
	rep        *textReport
}

// watchSide starts watching: one scrape of the counters, the GPUs' idle
// baseline (which waits --gpu-idle), then the client's watch.
func watchSide(ctx context.Context, cfg *config, c *Client, metricsURL string, rep *textReport) *sideWatch {
	w := &sideWatch{metricsURL: metricsURL, client: c, rep: rep}
	if metricsURL != "" {
		before, err := scrapeMetrics(ctx, c, metricsURL)
		if err != nil {
			rep.printMetricsUnavailable(err, true)
		}
		w.before = before
	}
	if cfg.gpu {
		var status gpuStatus
		w.gpus, status = startGPUs(c.baseURL)
		rep.printGPU(status, w.gpus, cfg.gpuIdle)
		if w.gpus != nil {
			w.gpus.baseline(ctx, cfg.gpuIdle)
		}
	}
	w.runFrom = time.Now()
	w.watch = startWatch()
	return w
}

// close stops the GPU sampler, whether or not the run got to finish.
func (w *sideWatch) close() {
	if w.gpus != nil {
		w.gpus.Stop()
	}
}

// finish stops watching and puts what was seen in facts.
func (w *sideWatch) finish(ctx context.Context, facts *runFacts) {
	h := w.watch.measure()
	facts.health = &h
	if w.before != nil {
		// After a first interrupt the scrape still runs: the next one ends it.
		after, err := scrapeMetrics(untilNextInterrupt(ctx), w.client, w.metricsURL)
		if err != nil {
			w.rep.printMetricsUnavailable(err, false)
		} else {
			d := prom.Diff(redactURL(w.metricsURL), w.before, after)
			facts.metrics = &d
		}
	}
	if g := w.gpus; g != nil {
		runTo := time.Now()
		g.Stop()
		facts.gpu = &gpuWindows{source: g.Source(), gpus: g.Count(), idle: g.Window(g.idleFrom, g.idleTo), run: g.Window(w.runFrom, runTo)}
	}
}
