package gpu

import "math"

// Report is the GPU figures of a run. Means skip the samples in which the
// driver did not give the figure; IdleW is NaN when there was no baseline.
// It has no JSON tags: whoever writes it as JSON chooses the shape.
type Report struct {
	Source        string
	GPUs          int
	Samples       int
	IdleW         float64
	MeanW         float64
	PeakW         float64
	EnergyJ       float64
	TokensPerJ    float64
	TokensPerJAbv float64
	UtilPct       float64
	PeakMemMiB    float64
	NoPower       bool
	TooShort      bool
}

// Energy integrates power over the run's ticks (trapezoids between
// samples) and relates it to the output tokens; idle is the mean power of
// the baseline ticks taken before the run. Fewer than two run ticks give a
// Report marked TooShort; no power figure at all, one marked NoPower.
func Energy(source string, gpus int, idle, run []Tick, outputTokens int) Report {
	e := Report{Source: source, GPUs: gpus, Samples: len(run)}
	if len(run) < 2 {
		e.TooShort = true
		return e
	}
	power := func(t Tick) float64 { return t.PowerW }
	e.IdleW = mean(idle, power)
	e.MeanW = mean(run, power)
	e.UtilPct = mean(run, func(t Tick) float64 { return t.UtilPct })
	for i, t := range run {
		e.PeakW = maxNaN(e.PeakW, t.PowerW)
		e.PeakMemMiB = maxNaN(e.PeakMemMiB, t.MemMiB)
		if i > 0 && !math.IsNaN(t.PowerW) && !math.IsNaN(run[i-1].PowerW) {
			e.EnergyJ += (t.PowerW + run[i-1].PowerW) / 2 * t.At.Sub(run[i-1].At).Seconds()
		}
	}
	if math.IsNaN(e.MeanW) || e.EnergyJ <= 0 {
		e.NoPower = true
		return e
	}
	e.TokensPerJ = float64(outputTokens) / e.EnergyJ
	if !math.IsNaN(e.IdleW) {
		if above := e.EnergyJ - e.IdleW*run[len(run)-1].At.Sub(run[0].At).Seconds(); above > 0 {
			e.TokensPerJAbv = float64(outputTokens) / above
		}
	}
	return e
}

// mean is the mean of f over the ticks where it is not NaN, or NaN.
func mean(ticks []Tick, f func(Tick) float64) float64 {
	sum, n := 0.0, 0
	for _, t := range ticks {
		if v := f(t); !math.IsNaN(v) {
			sum, n = sum+v, n+1
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// maxNaN is the larger of a and b, ignoring b when it is NaN.
func maxNaN(a, b float64) float64 {
	if math.IsNaN(b) {
		return a
	}
	return math.Max(a, b)
}
