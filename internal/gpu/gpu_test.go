package gpu

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tpsbench/tpsbench/internal/testkit"
)

func TestEnergyArithmetic(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	tick := func(s float64, w float64) Tick {
		return Tick{At: t0.Add(time.Duration(s * float64(time.Second))), PowerW: w, UtilPct: 50, MemMiB: 1000 * s}
	}
	idle := []Tick{tick(0, 40), tick(1, 60)} // mean 50 W
	run := []Tick{tick(10, 100), tick(11, 200), tick(12, 200), tick(13, math.NaN())}
	e := Energy("test", 1, idle, run, 1000)
	// Trapezoids: 150 J + 200 J; the NaN sample adds nothing.
	if e.EnergyJ != 350 || e.IdleW != 50 || e.PeakW != 200 || e.PeakMemMiB != 13000 || math.Abs(e.MeanW-500.0/3) > 1e-9 {
		t.Errorf("energy = %+v", e)
	}
	if e.Source != "test" || e.GPUs != 1 || e.Samples != 4 || e.UtilPct != 50 || e.NoPower || e.TooShort {
		t.Errorf("energy = %+v", e)
	}
	if math.Abs(e.TokensPerJ-1000.0/350) > 1e-9 || math.Abs(e.TokensPerJAbv-1000.0/(350-50*3)) > 1e-9 {
		t.Errorf("tokens per joule %v, above idle %v", e.TokensPerJ, e.TokensPerJAbv)
	}
	if short := Energy("test", 1, nil, []Tick{{At: t0, PowerW: 5}}, 10); !short.TooShort || short.Samples != 1 {
		t.Errorf("one sample: %+v", short)
	}
	if none := Energy("test", 1, nil, []Tick{{At: t0, PowerW: math.NaN()}, {At: t0.Add(time.Second), PowerW: math.NaN()}}, 10); !none.NoPower {
		t.Errorf("no power reported: %+v", none)
	}
	// No idle baseline: the figure above idle is not given.
	if noIdle := Energy("test", 1, nil, run, 1000); !math.IsNaN(noIdle.IdleW) || noIdle.TokensPerJAbv != 0 || noIdle.EnergyJ != 350 {
		t.Errorf("no idle baseline: %+v", noIdle)
	}
}

// nvidia-smi's CSV, a fixed input: a line per GPU per tick, each tick
// starting at index 0; a field the driver rejects makes that figure NaN, and
// so does a number that is not finite.
func TestReadNvidia(t *testing.T) {
	t.Parallel()
	csv := "0, 100.5, [Not Supported], 1000\n1, 99.5, 40, 2000\n" +
		"not a sample line\n" +
		"0, 50, 10, 500\n1, 70, 30, 700\n" +
		"0, [N/A], 20, 100\n1, 10, 40, 100\n" +
		"0, inf, 20, 100\n1, 10, 40, 1e400\n"
	g := &Sampler{}
	g.readNvidia(strings.NewReader(csv))
	ticks := g.Window(time.Time{}, time.Now())
	if len(ticks) != 4 || g.Count() != 2 {
		t.Fatalf("%d GPUs, ticks %+v; want 2 GPUs, 4 ticks", g.Count(), ticks)
	}
	want := []Tick{{PowerW: 200, UtilPct: math.NaN(), MemMiB: 3000}, {PowerW: 120, UtilPct: 20, MemMiB: 1200}, {PowerW: math.NaN(), UtilPct: 30, MemMiB: 200},
		{PowerW: math.NaN(), UtilPct: 30, MemMiB: math.NaN()}}
	for i, w := range want {
		if got := ticks[i]; !same(got.PowerW, w.PowerW) || !same(got.UtilPct, w.UtilPct) || !same(got.MemMiB, w.MemMiB) || got.At.IsZero() {
			t.Errorf("tick %d = %+v; want %+v", i, got, w)
		}
	}
	if ticks[1].At.Before(ticks[0].At) || ticks[2].At.Before(ticks[1].At) {
		t.Errorf("ticks out of order: %+v", ticks)
	}
	// One GPU: every line starts a tick.
	one := &Sampler{}
	one.readNvidia(strings.NewReader("0, 30, 5, 10\n0, 40, 15, 20\n"))
	if ticks := one.Window(time.Time{}, time.Now()); len(ticks) != 2 || one.Count() != 1 || ticks[1].PowerW != 40 || ticks[1].UtilPct != 15 {
		t.Errorf("one GPU: %d GPUs, ticks %+v", one.Count(), ticks)
	}
}

func same(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }

func TestWindow(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(2000, 0)
	g := &Sampler{}
	for s := range 5 {
		g.add(Tick{At: t0.Add(time.Duration(s) * time.Second), PowerW: float64(s)}, 1)
	}
	w := g.Window(t0.Add(time.Second), t0.Add(3*time.Second))
	if len(w) != 3 || w[0].PowerW != 1 || w[2].PowerW != 3 {
		t.Errorf("window 1s..3s = %+v; want the ticks at 1, 2 and 3 s (bounds included)", w)
	}
	if w := g.Window(t0.Add(10*time.Second), t0.Add(20*time.Second)); len(w) != 0 {
		t.Errorf("window after the ticks = %+v", w)
	}
}

// Start with a fake nvidia-smi on PATH that prints a fixed number of lines
// and waits: Stop ends it, and every line printed is read.
func TestNvidiaSampler(t *testing.T) {
	bin, dir := t.TempDir(), t.TempDir()
	script := "#!/bin/sh\necho \"$@\" > '" + filepath.Join(dir, "args") + "'\n" +
		"echo '0, 100.5, [Not Supported], 1000'; echo '1, 99.5, 40, 2000'\n" +
		"echo '0, 100, 50, 1000'; echo '1, 100, 70, 2000'\n" +
		"touch '" + filepath.Join(dir, "printed") + "'\nexec sleep 30\n"
	if err := os.WriteFile(filepath.Join(bin, "nvidia-smi"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":/usr/bin:/bin")
	g := Start(t.TempDir())
	if g == nil || g.Source() != SourceNvidia {
		t.Fatalf("sampler = %+v", g)
	}
	if err := testkit.WaitForFile(filepath.Join(dir, "printed")); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	g.Stop() // kills the waiting fake; the lines in the pipe are still read
	if waited := time.Since(stopped); waited > 15*time.Second {
		t.Errorf("Stop took %s: the child was not ended", waited)
	}
	ticks := g.Window(time.Time{}, time.Now())
	if len(ticks) != 2 || g.Count() != 2 || ticks[0].PowerW != 200 || !math.IsNaN(ticks[0].UtilPct) || ticks[1].PowerW != 200 || ticks[1].UtilPct != 60 || ticks[1].MemMiB != 3000 {
		t.Errorf("%d GPUs, ticks %+v", g.Count(), ticks)
	}
	args, _ := os.ReadFile(filepath.Join(dir, "args"))
	if want := "--query-gpu=index,power.draw,utilization.gpu,memory.used --format=csv,noheader,nounits -lms 200\n"; string(args) != want {
		t.Errorf("nvidia-smi run with %q; want %q", args, want)
	}
}

// amdCard makes a fake sysfs card under drm with the given PCI vendor.
func amdCard(t *testing.T, drm, card, vendor string) string {
	t.Helper()
	dev := filepath.Join(drm, card, "device")
	if err := os.MkdirAll(filepath.Join(dev, "hwmon", "hwmon3"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dev, "vendor"), []byte(vendor+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dev
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestAMDCards(t *testing.T) {
	t.Parallel()
	drm := t.TempDir()
	amd1 := amdCard(t, drm, "card1", "0x1002")
	amdCard(t, drm, "card0", "0x8086") // Intel
	amd2 := amdCard(t, drm, "card2", "0x1002")
	amdCard(t, drm, "renderD128", "0x1002") // not a card directory
	if got := amdCards(drm); strings.Join(got, "|") != amd1+"|"+amd2 {
		t.Errorf("amdCards = %q; want %q", got, []string{amd1, amd2})
	}
	if got := amdCards(t.TempDir()); len(got) != 0 {
		t.Errorf("no cards: %q", got)
	}
}

// AMD GPUs through sysfs: power (µW), busy percent and VRAM used.
func TestAMDSampler(t *testing.T) {
	drm := t.TempDir()
	dev := amdCard(t, drm, "card0", "0x1002")
	writeFile(t, filepath.Join(dev, "hwmon", "hwmon3", "power1_average"), "150000000\n")
	writeFile(t, filepath.Join(dev, "gpu_busy_percent"), "90\n")
	writeFile(t, filepath.Join(dev, "mem_info_vram_used"), "2147483648\n")
	t.Setenv("PATH", t.TempDir()) // no nvidia-smi
	g := Start(drm)
	if g == nil || g.Source() != SourceAMD || g.Count() != 1 {
		t.Fatalf("sampler = %+v", g)
	}
	from := time.Now()
	for deadline := time.Now().Add(5 * time.Second); len(g.Window(from.Add(-time.Second), time.Now())) < 2 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond) // wait for two samples, however slow the machine
	}
	g.Stop()
	ticks := g.Window(from.Add(-time.Second), time.Now())
	if len(ticks) < 2 || ticks[0].PowerW != 150 || ticks[0].UtilPct != 90 || ticks[0].MemMiB != 2048 {
		t.Errorf("ticks %+v", ticks)
	}
}

// One sample of two AMD cards, one of which gives no power: power is NaN,
// utilisation the mean, memory the sum.
func TestSampleAMD(t *testing.T) {
	t.Parallel()
	drm := t.TempDir()
	a, b := amdCard(t, drm, "card0", "0x1002"), amdCard(t, drm, "card1", "0x1002")
	writeFile(t, filepath.Join(a, "hwmon", "hwmon3", "power1_average"), "150000000\n")
	writeFile(t, filepath.Join(a, "gpu_busy_percent"), "90\n")
	writeFile(t, filepath.Join(b, "gpu_busy_percent"), "10\n")
	writeFile(t, filepath.Join(a, "mem_info_vram_used"), "1073741824\n")
	writeFile(t, filepath.Join(b, "mem_info_vram_used"), "1073741824\n")
	tick := sampleAMD([]string{a, b})
	if !math.IsNaN(tick.PowerW) || tick.UtilPct != 50 || tick.MemMiB != 2048 || tick.At.IsZero() {
		t.Errorf("tick %+v", tick)
	}
}

// GPUs of this machine: NVIDIA's through nvidia-smi, AMD's through sysfs.
func TestList(t *testing.T) {
	bin := t.TempDir()
	script := "#!/bin/sh\necho 'NVIDIA GeForce RTX 4090, 550.54.14, 24564 MiB'\n"
	if err := os.WriteFile(filepath.Join(bin, "nvidia-smi"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	drm := t.TempDir()
	dev := amdCard(t, drm, "card1", "0x1002")
	writeFile(t, filepath.Join(dev, "mem_info_vram_total"), "17163091968\n")
	amdCard(t, drm, "card0", "0x8086") // Intel: not listed
	gpus := List(drm)
	want := []string{"NVIDIA GeForce RTX 4090 (driver 550.54.14, 24564 MiB)", "AMD GPU card1 (sysfs, 16368 MiB)"}
	if strings.Join(gpus, "|") != strings.Join(want, "|") {
		t.Errorf("GPUs = %q; want %q", gpus, want)
	}
	t.Setenv("PATH", t.TempDir())
	if gpus := List(t.TempDir()); gpus == nil || len(gpus) != 0 {
		t.Errorf("no GPU: %q; want an empty list (looked, found none)", gpus)
	}
}
