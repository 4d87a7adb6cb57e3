package main

import (
	"context"
	"time"

	"github.com/tpsbench/tpsbench/internal/gpu"
	"github.com/tpsbench/tpsbench/internal/host"
)

// --gpu: the local GPUs' power, sampled from an idle baseline through the
// run.

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

// startGPUs starts sampling the GPUs of the endpoint's machine (when it is
// this one), or says why it cannot. Once sampling, begin takes the idle
// baseline.
func startGPUs(baseURL string) (*idledSampler, gpuStatus) {
	if !host.IsLocal(baseURL) {
		return nil, gpuRemote
	}
	g := gpu.Start("/sys/class/drm")
	if g == nil {
		return nil, gpuNone
	}
	return &idledSampler{Sampler: g}, gpuSampling
}

// baseline measures the idle power for idle (or until ctx ends), before
// the run.
func (s *idledSampler) baseline(ctx context.Context, idle time.Duration) {
	s.idleFrom = time.Now()
	select {
	case <-time.After(idle):
	case <-ctx.Done():
	}
	s.idleTo = time.Now()
}
