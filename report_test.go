package main

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/tpsbench/tpsbench/internal/gpu"
	"github.com/tpsbench/tpsbench/internal/sim"
)

func TestReportGolden(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	cfg := &config{
		threads: 4, requestsPerThread: 3, baseURL: "http://user:secret@localhost:11434/v1", model: "llama3.1:8b",
		timeout: 120, maxTokens: 16, stream: true, sim: true, simConfig: sim.DefaultConfig(),
	}
	writeHeader(&b, cfg, cfg.baseURL, "")
	writeText(&b, summarizeRecords(goldenRecords(), sloBounds{}))
	golden(t, "report-stream.golden", b.Bytes())
}

// A non-streamed run prints no streaming figures, and n/a where nothing
// succeeded.
func TestReportGoldenNoSuccess(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	r := newRecord(0, false)
	r.Send, r.Done = 0, time.Millisecond
	r.fail(failHTTP, "HTTP 500: boom")
	writeText(&b, summarizeRecords([]Record{r}, sloBounds{}))
	golden(t, "report-failed.golden", b.Bytes())
}

// The report's GPU line, in each of its three forms.
func TestEnergyLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		e    gpu.Report
		want string
	}{
		{gpu.Report{Source: "nvidia-smi", GPUs: 2, Samples: 1, TooShort: true},
			"nvidia-smi: the run was too short to sample (1 samples, one every 200ms)"},
		{gpu.Report{Source: "AMD sysfs", GPUs: 1, Samples: 4, NoPower: true, UtilPct: 33.3, PeakMemMiB: 2048},
			"AMD sysfs, 1 GPU(s): the driver reports no power (utilisation mean 33%, memory peak 2048 MiB)"},
		{gpu.Report{Source: "nvidia-smi", GPUs: 2, Samples: 9, IdleW: math.NaN(), MeanW: 200, PeakW: 250.25, EnergyJ: 1234.5, TokensPerJ: 0.1234, UtilPct: 40, PeakMemMiB: 3000},
			"nvidia-smi, 2 GPU(s), 9 samples: power mean 200.0 W, peak 250.2 W (idle n/a); energy 1234.5 J (estimated); 0.123 output tokens/J (0.000 above idle); utilisation mean 40%; memory peak 3000 MiB"},
		{gpu.Report{Source: "nvidia-smi", GPUs: 2, Samples: 9, IdleW: 50.04, MeanW: 200, PeakW: 250.25, EnergyJ: 1234.5, TokensPerJ: 0.1234, TokensPerJAbv: 0.5, UtilPct: 40, PeakMemMiB: 3000},
			"nvidia-smi, 2 GPU(s), 9 samples: power mean 200.0 W, peak 250.2 W (idle 50.0 W); energy 1234.5 J (estimated); 0.123 output tokens/J (0.500 above idle); utilisation mean 40%; memory peak 3000 MiB"},
	}
	for _, tt := range tests {
		if got := energyLine(tt.e); got != tt.want {
			t.Errorf("energyLine(%+v) =\n%q; want\n%q", tt.e, got, tt.want)
		}
	}
}
