package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestEnergyArithmetic(t *testing.T) {
	t0 := time.Unix(1000, 0)
	tick := func(s float64, w float64) gpuTick {
		return gpuTick{at: t0.Add(time.Duration(s * float64(time.Second))), powerW: w, utilPct: 50, memMiB: 1000 * s}
	}
	idle := []gpuTick{tick(0, 40), tick(1, 60)} // mean 50 W
	run := []gpuTick{tick(10, 100), tick(11, 200), tick(12, 200), tick(13, math.NaN())}
	e := energyOf("test", 1, idle, run, 1000)
	// Trapezoids: 150 J + 200 J; the NaN sample adds nothing.
	if e.EnergyJ != 350 || e.IdleW != 50 || e.PeakW != 200 || e.PeakMemMiB != 13000 || math.Abs(e.MeanW-500.0/3) > 1e-9 {
		t.Errorf("energy = %+v", e)
	}
	if math.Abs(e.TokensPerJ-1000.0/350) > 1e-9 || math.Abs(e.TokensPerJAbv-1000.0/(350-50*3)) > 1e-9 {
		t.Errorf("tokens per joule %v, above idle %v", e.TokensPerJ, e.TokensPerJAbv)
	}
	if short := energyOf("test", 1, nil, []gpuTick{{at: t0, powerW: 5}}, 10); !short.TooShort {
		t.Errorf("one sample: %+v", short)
	}
	if none := energyOf("test", 1, nil, []gpuTick{{at: t0, powerW: math.NaN()}, {at: t0.Add(time.Second), powerW: math.NaN()}}, 10); !none.NoPower {
		t.Errorf("no power reported: %+v", none)
	}
}

// --gpu with a fake nvidia-smi on PATH: it samples during the run, a field
// the driver rejects is skipped, and the report gives tokens per joule.
func TestGPUWithFakeNvidiaSmi(t *testing.T) {
	bin := t.TempDir()
	script := "#!/bin/sh\ncase \"$1\" in --query-gpu=name*) echo 'Fake GPU, 1.0, 1000 MiB'; echo 'Fake GPU, 1.0, 1000 MiB'; exit 0;; esac\n" +
		"while true; do echo '0, 100.5, [Not Supported], 1000'; echo '1, 99.5, 40, 2000'; sleep 0.02; done\n"
	if err := os.WriteFile(filepath.Join(bin, "nvidia-smi"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":/usr/bin:/bin")
	// Answers of 100 ms or more: the run outlasts several samples.
	out, _, code := runCLI(t, "2", "--requests", "4", "--gpu", "--gpu-idle", "100ms", "--sim", "--sim-ttft", "100ms", "--sim-rate", "1000", "--max-tokens", "8")
	for _, want := range []string{"GPU: sampling with nvidia-smi; idle baseline for 100ms", "GPU Fake GPU (driver 1.0, 1000 MiB); Fake GPU", "  GPU: nvidia-smi, 2 GPU(s), ", "power mean 200.0 W", "output tokens/J"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("exit %d; output lacks %q:\n%s", code, want, out)
		}
	}
	t.Setenv("PATH", t.TempDir())
	out, _, _ = runCLI(t, append([]string{"2", "--requests", "2", "--gpu"}, fastSimArgs...)...)
	if !strings.Contains(out, "GPU: no nvidia-smi on PATH and no AMD GPU in sysfs: no energy figures") {
		t.Errorf("no GPU tool:\n%s", out)
	}
}

// AMD GPUs through sysfs: power (µW), busy percent and VRAM used.
func TestAMDSampler(t *testing.T) {
	drm := t.TempDir()
	dev := filepath.Join(drm, "card0", "device")
	os.MkdirAll(filepath.Join(dev, "hwmon", "hwmon3"), 0o755)
	os.WriteFile(filepath.Join(dev, "vendor"), []byte("0x1002\n"), 0o644)
	os.WriteFile(filepath.Join(dev, "hwmon", "hwmon3", "power1_average"), []byte("150000000\n"), 0o644)
	os.WriteFile(filepath.Join(dev, "gpu_busy_percent"), []byte("90\n"), 0o644)
	os.WriteFile(filepath.Join(dev, "mem_info_vram_used"), []byte("2147483648\n"), 0o644)
	t.Setenv("PATH", t.TempDir()) // no nvidia-smi
	g := startGPUSampler(drm)
	if g == nil || g.source != "AMD sysfs" {
		t.Fatalf("sampler = %+v", g)
	}
	from := time.Now()
	for deadline := time.Now().Add(5 * time.Second); len(g.window(from.Add(-time.Second), time.Now())) < 2 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond) // wait for two samples, however slow the machine
	}
	g.stop()
	ticks := g.window(from.Add(-time.Second), time.Now())
	if len(ticks) < 2 || ticks[0].powerW != 150 || ticks[0].utilPct != 90 || ticks[0].memMiB != 2048 {
		t.Errorf("ticks %+v", ticks)
	}
}
