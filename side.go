package main

import (
	"context"
	"time"

	"github.com/tpsbench/tpsbench/internal/gpu"
	"github.com/tpsbench/tpsbench/internal/host"
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
}

// watchSide starts watching: one scrape of the counters, the GPUs' idle
// baseline (which waits --gpu-idle), then the client's watch.
func (b *benchRun) watchSide(ctx context.Context, metricsURL string) *sideWatch {
	w := &sideWatch{metricsURL: metricsURL}
	if metricsURL != "" {
		before, err := scrapeMetrics(ctx, b.client, metricsURL)
		if err != nil {
			b.rep.metricsUnavailable(err, true)
		}
		w.before = before
	}
	w.gpus = startGPUs(ctx, b.cfg, b.baseURL, b.rep)
	w.runFrom = time.Now()
	w.watch = startWatch()
	return w
}

// finish stops watching and puts what was seen in facts.
func (w *sideWatch) finish(ctx context.Context, b *benchRun, facts *runFacts) {
	h := w.watch.stop()
	facts.health = &h
	if w.before != nil {
		after, err := scrapeMetrics(context.WithoutCancel(ctx), b.client, w.metricsURL)
		if err != nil {
			b.rep.metricsUnavailable(err, false)
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

// gpuWindows are the GPU samples of a run: the idle baseline and the run.
type gpuWindows struct {
	source    string
	gpus      int
	idle, run []gpu.Tick
}

// idledSampler is a GPU sampler with its idle baseline taken.
type idledSampler struct {
	*gpu.Sampler
	idleFrom, idleTo time.Time
}

// gpuStatus is why a run has no GPU figures, or that it has them.
type gpuStatus int

const (
	gpuRemote   gpuStatus = iota // the endpoint is not on this machine
	gpuNone                      // no nvidia-smi and no AMD GPU in sysfs
	gpuSampling                  // sampling; the idle baseline is being taken
)

// startGPUs starts sampling for --gpu after an idle baseline, or says once
// why it cannot.
func startGPUs(ctx context.Context, cfg *config, baseURL string, rep *textReport) *idledSampler {
	if !cfg.gpu {
		return nil
	}
	if !host.IsLocal(baseURL) {
		rep.gpu(gpuRemote, "", 0)
		return nil
	}
	g := gpu.Start("/sys/class/drm")
	if g == nil {
		rep.gpu(gpuNone, "", 0)
		return nil
	}
	s := &idledSampler{Sampler: g, idleFrom: time.Now()}
	rep.gpu(gpuSampling, g.Source(), cfg.gpuIdle)
	select {
	case <-time.After(cfg.gpuIdle):
	case <-ctx.Done():
	}
	s.idleTo = time.Now()
	return s
}
