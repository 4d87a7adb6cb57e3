// Package gpu samples the GPUs of this machine during a run and turns the
// samples into energy figures: power, utilisation and memory from
// nvidia-smi run as a child process (no cgo: NVML bindings would break the
// static binary) or from AMD's sysfs files, and output tokens per joule.
package gpu

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

// Interval is how often the GPUs are sampled.
const Interval = 200 * time.Millisecond

// Sources a Sampler reads from, as Source and Report.Source name them.
const (
	SourceNvidia = "nvidia-smi"
	SourceAMD    = "AMD sysfs"
)

// Tick is one sample of all GPUs: power summed, utilisation averaged,
// memory summed. NaN marks a field the driver did not give.
type Tick struct {
	At      time.Time
	PowerW  float64 // watts, all GPUs together
	UtilPct float64 // percent busy, the mean of the GPUs
	MemMiB  float64 // memory used, all GPUs together
}

// Sampler collects ticks until stopped.
type Sampler struct {
	source   string
	gpus     int
	mu       sync.Mutex
	ticks    []Tick
	stop     func()
	stopOnce sync.Once
	done     chan struct{}
}

// Start starts sampling, with nvidia-smi when it is on PATH, else from the
// AMD cards under drm (normally /sys/class/drm); it returns nil when
// neither is found.
func Start(drm string) *Sampler {
	if path, err := exec.LookPath("nvidia-smi"); err == nil {
		return startNvidia(path)
	}
	if cards := amdCards(drm); len(cards) > 0 {
		return startAMD(cards)
	}
	return nil
}

// Source names where the samples come from: SourceNvidia or SourceAMD.
func (g *Sampler) Source() string { return g.source }

// Count is how many GPUs the sampler has seen.
func (g *Sampler) Count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.gpus
}

// Window returns the ticks taken between from and to, both included.
func (g *Sampler) Window(from, to time.Time) []Tick {
	g.mu.Lock()
	defer g.mu.Unlock()
	var w []Tick
	for _, t := range g.ticks {
		if !t.At.Before(from) && !t.At.After(to) {
			w = append(w, t)
		}
	}
	return w
}

// Stop ends sampling and waits until every sample read is kept; a second
// Stop does nothing.
func (g *Sampler) Stop() { g.stopOnce.Do(g.stop) }

// add keeps a finished tick and the number of GPUs it covered.
func (g *Sampler) add(t Tick, gpus int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.ticks = append(g.ticks, t)
	g.gpus = max(g.gpus, gpus)
}

func startNvidia(path string) *Sampler {
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, path, "--query-gpu=index,power.draw,utilization.gpu,memory.used",
		"--format=csv,noheader,nounits", "-lms", strconv.Itoa(int(Interval/time.Millisecond)))
	out, err := cmd.StdoutPipe()
	if err != nil || cmd.Start() != nil {
		cancel()
		return nil
	}
	g := &Sampler{source: SourceNvidia, done: make(chan struct{})}
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

// readNvidia reads nvidia-smi's CSV until r ends: a line per GPU per tick,
// the tick starting again at index 0. Lines without four fields are
// skipped. A tick is stamped when its first line is read.
func (g *Sampler) readNvidia(r io.Reader) {
	sc := bufio.NewScanner(r)
	var tick *Tick
	gpus, utilSum := 0, 0.0
	flush := func() {
		if tick != nil {
			tick.UtilPct = utilSum / float64(max(gpus, 1))
			g.add(*tick, gpus)
		}
	}
	for sc.Scan() {
		f := strings.Split(sc.Text(), ",")
		if len(f) != 4 {
			continue
		}
		if strings.TrimSpace(f[0]) == "0" || tick == nil {
			flush()
			tick, gpus, utilSum = &Tick{At: time.Now()}, 0, 0
		}
		gpus++
		tick.PowerW = addField(tick.PowerW, f[1], gpus == 1)
		utilSum = addField(utilSum, f[2], gpus == 1)
		tick.MemMiB = addField(tick.MemMiB, f[3], gpus == 1)
	}
	flush()
}

// addField adds a CSV field to sum; a field the driver does not support
// ("[N/A]", "[Not Supported]") or that is not a finite number makes the
// sum NaN.
func addField(sum float64, field string, first bool) float64 {
	v, err := strconv.ParseFloat(strings.TrimSpace(field), 64)
	if err != nil || math.IsInf(v, 0) {
		v = math.NaN()
	}
	if first {
		return v
	}
	return sum + v
}

// startAMD reads, for each card, hwmon's power1_average (µW),
// gpu_busy_percent and mem_info_vram_used (bytes) every Interval.
func startAMD(cards []string) *Sampler {
	g := &Sampler{source: SourceAMD, gpus: len(cards), done: make(chan struct{})}
	quit := make(chan struct{})
	g.stop = func() {
		close(quit)
		<-g.done
	}
	go func() {
		defer close(g.done)
		t := time.NewTicker(Interval)
		defer t.Stop()
		for {
			g.add(sampleAMD(cards), len(cards))
			select {
			case <-quit:
				return
			case <-t.C:
			}
		}
	}()
	return g
}

// sampleAMD reads one tick of the cards' sysfs files.
func sampleAMD(cards []string) Tick {
	tick := Tick{At: time.Now()}
	for i, dev := range cards {
		first := i == 0
		tick.PowerW = addField(tick.PowerW, fmt.Sprint(readSysfs(filepath.Join(dev, "hwmon", "hwmon*", "power1_average"))/1e6), first)
		tick.UtilPct = addField(tick.UtilPct, fmt.Sprint(readSysfs(filepath.Join(dev, "gpu_busy_percent"))), first)
		tick.MemMiB = addField(tick.MemMiB, fmt.Sprint(readSysfs(filepath.Join(dev, "mem_info_vram_used"))/(1<<20)), first)
	}
	tick.UtilPct /= float64(len(cards))
	return tick
}

// readSysfs reads the number in the first file matching pattern, or NaN.
func readSysfs(pattern string) float64 {
	paths, _ := filepath.Glob(pattern)
	if len(paths) == 0 {
		return math.NaN()
	}
	b, err := os.ReadFile(paths[0])
	if err != nil {
		return math.NaN()
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
	if err != nil || math.IsInf(v, 0) {
		return math.NaN()
	}
	return v
}
