package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tpsbench/tpsbench/internal/testkit"
)

// --gpu with a fake nvidia-smi on PATH: it samples during the run, a field
// the driver rejects is skipped, and the report gives tokens per joule.
//
// No timing luck: the fake starts printing when the first request arrives
// (after the run has started) and the server answers only once the samples
// are read. The fake prints three ticks 10 ms apart, then 2 MB of lines the
// reader skips, then marks itself done: a pipe holds at most 1 MB, so by
// then the reader has taken in the ticks. The third is complete only when
// sampling stops, and counts: it was taken during the run.
//
// Not parallel: it sets PATH.
func TestGPUWithFakeNvidiaSmi(t *testing.T) {
	bin, dir := t.TempDir(), t.TempDir()
	start, printed := filepath.Join(dir, "go"), filepath.Join(dir, "printed")
	script := "#!/bin/sh\ncase \"$1\" in --query-gpu=name*) echo 'Fake GPU, 1.0, 1000 MiB'; echo 'Fake GPU, 1.0, 1000 MiB'; exit 0;; esac\n" +
		"while [ ! -e '" + start + "' ]; do sleep 0.01; done\n" +
		"for i in 1 2 3; do echo '0, 100.5, [Not Supported], 1000'; echo '1, 99.5, 40, 2000'; sleep 0.01; done\n" +
		"yes '" + strings.Repeat("x", 99) + "' | head -c 2200000\n" +
		"touch '" + printed + "'\nexec sleep 30\n"
	if err := os.WriteFile(filepath.Join(bin, "nvidia-smi"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":/usr/bin:/bin")
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if err := os.WriteFile(start, nil, 0o644); err != nil {
			t.Error(err)
		}
		if err := testkit.WaitForFile(printed); err != nil {
			t.Error(err)
		}
		io.WriteString(w, okAnswer)
	})
	// With no idle baseline (the fake prints nothing before the run), the
	// idle power is n/a, and so is the utilisation GPU 0 never gives: null
	// in the JSON, which stays whole.
	path := testPath(t, "run.json")
	out, _ := runExpect(t, 0, "2", "--requests", "4", "--gpu", "--gpu-idle", "100ms", "--base-url", url, "--max-tokens", "8", "--json", path)
	var whole map[string]any
	readJSON(t, path, &whole)
	if e, ok := whole["gpu_energy"].(map[string]any); !ok || e["idle_power_w"] != nil || e["mean_power_w"] != 200.0 || e["mean_utilisation_pct"] != nil {
		t.Errorf("gpu_energy %v; want idle power and utilisation null (never given), mean power 200", whole["gpu_energy"])
	}
	expectText(t, out,
		"GPU: sampling with nvidia-smi; idle baseline for 100ms", "GPU Fake GPU (driver 1.0, 1000 MiB); Fake GPU",
		"  GPU: nvidia-smi, 2 GPU(s), 3 samples: power mean 200.0 W, peak 200.0 W (idle n/a); energy ", "output tokens/J (0.000 above idle)",
	)
	t.Setenv("PATH", t.TempDir())
	doc, text := runJSON(t, 0, withSim(fastSim, "2", "--requests", "2", "--gpu")...)
	if !strings.Contains(text, "\nGPU: no nvidia-smi on PATH and no AMD GPU in sysfs: no energy figures\n") || doc.GPUEnergy != nil {
		t.Errorf("no GPU tool: energy %+v:\n%s", doc.GPUEnergy, text)
	}
}
