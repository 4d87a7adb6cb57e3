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
