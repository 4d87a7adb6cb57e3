package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Energy, opt-in (--gpu): when the server runs on this machine, sample the
// GPUs' power, utilisation and memory during the run, from nvidia-smi run as
// a child process (no cgo: NVML bindings would break the static binary) or
// from AMD's sysfs files, and report energy and output tokens per joule.

// gpuTick is one sample of all GPUs: power summed, utilisation averaged,
// memory summed. NaN marks a field the driver did not give.
type gpuTick struct {
	at              time.Time
	powerW, utilPct float64
	memMiB          float64
}

// gpuSampler collects ticks until stopped.
type gpuSampler struct {
	source string // "nvidia-smi" or "AMD sysfs"
	gpus   int
	mu     sync.Mutex
	ticks  []gpuTick
	stop   func()
	done   chan struct{}
}

const gpuInterval = 200 * time.Millisecond

// startGPUSampler starts sampling, or returns nil when no GPU tool is found.
func startGPUSampler(drm string) *gpuSampler {
	if path, err := exec.LookPath("nvidia-smi"); err == nil {
		return startNvidia(path)
	}
	if cards := amdCards(drm); len(cards) > 0 {
		return startAMD(cards)
	}
	return nil
}

func startNvidia(path string) *gpuSampler {
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, path, "--query-gpu=index,power.draw,utilization.gpu,memory.used",
		"--format=csv,noheader,nounits", "-lms", strconv.Itoa(int(gpuInterval/time.Millisecond)))
	out, err := cmd.StdoutPipe()
	if err != nil || cmd.Start() != nil {
		cancel()
		return nil
	}
	g := &gpuSampler{source: "nvidia-smi", done: make(chan struct{})}
	g.stop = func() {
		cancel()
		<-g.done
		cmd.Wait()
	}
	go func() {
		defer close(g.done)
		g.readNvidia(out)
	}()
	return g
}

// readNvidia reads nvidia-smi's CSV: a line per GPU per tick, the tick
// starting again at index 0.
func (g *gpuSampler) readNvidia(r io.Reader) {
	sc := bufio.NewScanner(r)
	var tick *gpuTick
	gpus, utilSum := 0, 0.0
	flush := func() {
		if tick != nil {
			tick.utilPct = utilSum / float64(max(gpus, 1))
			g.mu.Lock()
			g.ticks = append(g.ticks, *tick)
			g.gpus = max(g.gpus, gpus)
			g.mu.Unlock()
		}
	}
	for sc.Scan() {
		f := strings.Split(sc.Text(), ",")
		if len(f) != 4 {
			continue
		}
		if strings.TrimSpace(f[0]) == "0" || tick == nil {
			flush()
			tick, gpus, utilSum = &gpuTick{at: time.Now()}, 0, 0
		}
		gpus++
		tick.powerW = addField(tick.powerW, f[1], gpus == 1)
		utilSum = addField(utilSum, f[2], gpus == 1)
		tick.memMiB = addField(tick.memMiB, f[3], gpus == 1)
	}
	flush()
}

// addField adds a CSV field to sum; a field the driver does not support
// ("[N/A]", "[Not Supported]") makes the sum NaN.
func addField(sum float64, field string, first bool) float64 {
	v, err := strconv.ParseFloat(strings.TrimSpace(field), 64)
	if err != nil {
		v = math.NaN()
	}
	if first {
		return v
	}
	return sum + v
}

func amdCards(drm string) []string {
	var cards []string
	vendors, _ := filepath.Glob(filepath.Join(drm, "card[0-9]*", "device", "vendor"))
	for _, v := range vendors {
		if b, err := os.ReadFile(v); err == nil && strings.TrimSpace(string(b)) == "0x1002" {
			cards = append(cards, filepath.Dir(v))
		}
	}
	return cards
}

// startAMD reads, for each card, hwmon's power1_average (µW),
// gpu_busy_percent and mem_info_vram_used (bytes) every interval.
func startAMD(cards []string) *gpuSampler {
	g := &gpuSampler{source: "AMD sysfs", gpus: len(cards), done: make(chan struct{})}
	quit := make(chan struct{})
	g.stop = func() {
		close(quit)
		<-g.done
	}
	read := func(pattern string) float64 {
		paths, _ := filepath.Glob(pattern)
		if len(paths) == 0 {
			return math.NaN()
		}
		b, err := os.ReadFile(paths[0])
		if err != nil {
			return math.NaN()
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
		if err != nil {
			return math.NaN()
		}
		return v
	}
	go func() {
		defer close(g.done)
		t := time.NewTicker(gpuInterval)
		defer t.Stop()
		for {
			tick := gpuTick{at: time.Now()}
			for i, dev := range cards {
				first := i == 0
				tick.powerW = addField(tick.powerW, fmt.Sprint(read(filepath.Join(dev, "hwmon", "hwmon*", "power1_average"))/1e6), first)
				tick.utilPct = addField(tick.utilPct, fmt.Sprint(read(filepath.Join(dev, "gpu_busy_percent"))), first)
				tick.memMiB = addField(tick.memMiB, fmt.Sprint(read(filepath.Join(dev, "mem_info_vram_used"))/(1<<20)), first)
			}
			tick.utilPct /= float64(len(cards))
			g.mu.Lock()
			g.ticks = append(g.ticks, tick)
			g.mu.Unlock()
			select {
			case <-quit:
				return
			case <-t.C:
			}
		}
	}()
	return g
}

// count is how many GPUs the sampler has seen.
func (g *gpuSampler) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.gpus
}

// window returns the ticks taken between from and to.
func (g *gpuSampler) window(from, to time.Time) []gpuTick {
	g.mu.Lock()
	defer g.mu.Unlock()
	var w []gpuTick
	for _, t := range g.ticks {
		if !t.at.Before(from) && !t.at.After(to) {
			w = append(w, t)
		}
	}
	return w
}

// energyReport is the GPU figures of a run.
type energyReport struct {
	Source        string  `json:"source"`
	GPUs          int     `json:"gpus"`
	Samples       int     `json:"samples"`
	IdleW         float64 `json:"idle_power_w"`
	MeanW         float64 `json:"mean_power_w"`
	PeakW         float64 `json:"peak_power_w"`
	EnergyJ       float64 `json:"energy_j_estimated"`
	TokensPerJ    float64 `json:"output_tokens_per_joule"`
	TokensPerJAbv float64 `json:"output_tokens_per_joule_above_idle"`
	UtilPct       float64 `json:"mean_utilisation_pct"`
	PeakMemMiB    float64 `json:"peak_memory_mib"`
	NoPower       bool    `json:"power_not_reported,omitempty"`
	TooShort      bool    `json:"too_short_to_sample,omitempty"`
}

// energyOf integrates power over the run's ticks (trapezoids between
// samples) and relates it to the output tokens; idle is the mean power of
// the baseline ticks taken before the run.
func energyOf(source string, gpus int, idle, run []gpuTick, outputTokens int) energyReport {
	e := energyReport{Source: source, GPUs: gpus, Samples: len(run)}
	if len(run) < 2 {
		e.TooShort = true
		return e
	}
	mean := func(ticks []gpuTick, f func(gpuTick) float64) (float64, int) {
		sum, n := 0.0, 0
		for _, t := range ticks {
			if v := f(t); !math.IsNaN(v) {
				sum, n = sum+v, n+1
			}
		}
		if n == 0 {
			return math.NaN(), 0
		}
		return sum / float64(n), n
	}
	power := func(t gpuTick) float64 { return t.powerW }
	e.IdleW, _ = mean(idle, power)
	e.MeanW, _ = mean(run, power)
	e.UtilPct, _ = mean(run, func(t gpuTick) float64 { return t.utilPct })
	for i, t := range run {
		e.PeakW = maxNaN(e.PeakW, t.powerW)
		e.PeakMemMiB = maxNaN(e.PeakMemMiB, t.memMiB)
		if i > 0 && !math.IsNaN(t.powerW) && !math.IsNaN(run[i-1].powerW) {
			e.EnergyJ += (t.powerW + run[i-1].powerW) / 2 * t.at.Sub(run[i-1].at).Seconds()
		}
	}
	if math.IsNaN(e.MeanW) || e.EnergyJ <= 0 {
		e.NoPower = true
		return e
	}
	e.TokensPerJ = float64(outputTokens) / e.EnergyJ
	if len(run) > 1 && !math.IsNaN(e.IdleW) {
		if above := e.EnergyJ - e.IdleW*run[len(run)-1].at.Sub(run[0].at).Seconds(); above > 0 {
			e.TokensPerJAbv = float64(outputTokens) / above
		}
	}
	return e
}

func maxNaN(a, b float64) float64 {
	if math.IsNaN(b) {
		return a
	}
	return math.Max(a, b)
}

func (e energyReport) String() string {
	if e.TooShort {
		return fmt.Sprintf("%s: the run was too short to sample (%d samples, one every %s)", e.Source, e.Samples, gpuInterval)
	}
	if e.NoPower {
		return fmt.Sprintf("%s, %d GPU(s): the driver reports no power (utilisation mean %.0f%%, memory peak %.0f MiB)", e.Source, e.GPUs, e.UtilPct, e.PeakMemMiB)
	}
	idle := "n/a"
	if !math.IsNaN(e.IdleW) {
		idle = fmt.Sprintf("%.1f W", e.IdleW)
	}
	return fmt.Sprintf("%s, %d GPU(s), %d samples: power mean %.1f W, peak %.1f W (idle %s); energy %.1f J (estimated); %.3f output tokens/J (%.3f above idle); utilisation mean %.0f%%; memory peak %.0f MiB",
		e.Source, e.GPUs, e.Samples, e.MeanW, e.PeakW, idle, e.EnergyJ, e.TokensPerJ, e.TokensPerJAbv, e.UtilPct, e.PeakMemMiB)
}
