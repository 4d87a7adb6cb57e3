package main

import (
	"bytes"
	"io"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tpsbench/tpsbench/internal/gpu"
	"github.com/tpsbench/tpsbench/internal/ollama"
	"github.com/tpsbench/tpsbench/internal/prom"
	"github.com/tpsbench/tpsbench/internal/sim"
)

// The text of a streamed run with failures, from the header to the errors.
func TestReportGolden(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	cfg := &config{
		threads: 4, requestsPerThread: 3, baseURL: "http://user:secret@localhost:11434/v1", model: "llama3.1:8b",
		timeout: 120, maxTokens: 16, stream: true, sim: true, simConfig: sim.DefaultConfig(),
	}
	writeHeader(&b, cfg, cfg.baseURL, "", "")
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
		// A figure the driver never gave reads n/a, never NaN.
		{gpu.Report{Source: "AMD sysfs", GPUs: 1, Samples: 4, NoPower: true, UtilPct: math.NaN(), PeakMemMiB: 2048},
			"AMD sysfs, 1 GPU(s): the driver reports no power (utilisation mean n/a, memory peak 2048 MiB)"},
		{gpu.Report{Source: "nvidia-smi", GPUs: 1, Samples: 9, IdleW: 50, MeanW: 200, PeakW: 250, EnergyJ: 1234.5, TokensPerJ: 0.1234, UtilPct: math.NaN(), PeakMemMiB: 3000},
			"nvidia-smi, 1 GPU(s), 9 samples: power mean 200.0 W, peak 250.0 W (idle 50.0 W); energy 1234.5 J (estimated); 0.123 output tokens/J (0.000 above idle); utilisation mean n/a; memory peak 3000 MiB"},
	}
	for _, tt := range tests {
		if got := energyLine(tt.e); got != tt.want {
			t.Errorf("energyLine(%+v) =\n%q; want\n%q", tt.e, got, tt.want)
		}
	}
}

// wholeRun is a fixed open-loop run, interrupted, whose report fills every
// optional block: the header's load, prompts and warnings, the fingerprint,
// Ollama's preflight, the warm-up, queueing, reasoning, goodput, the
// server's own timings and counters, parallelism, a retry, the GPU, the
// client's health, every kind of finding, and the errors.
func wholeRun(t *testing.T) (*config, fingerprint, Summary) {
	t.Helper()
	cfg, err := parseArgs([]string{"4", "--base-url", "http://user:secret@gpu-box:11434/v1", "--stream", "--max-tokens", "16",
		"--rate", "200", "--burstiness", "0.5", "--max-concurrency", "2", "--requests", "12", "--warmup", "3",
		"--slo", "ttft=160ms,e2e=1s", "--seed", "3", "--input-tokens", "31", "--input-tokens-stddev", "4", "--prefix-tokens", "8",
		"--fixed-output", "--insecure"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	recs := goldenRecords()
	for i := range recs {
		r := &recs[i]
		r.Sched = r.Send - time.Duration(3*i)*time.Millisecond // requests started late
		if i < 4 {
			r.Server = &ServerTimes{PromptTokens: 31, DecodeTokens: 16, PromptMs: 20 + float64(i), DecodeMs: 380 + 10*float64(i), LoadMs: -1}
		}
	}
	recs[0].Server.LoadMs = 310 // waited for the model to load
	recs[1].ReasonTokens, recs[1].Reasoning, recs[1].FirstAnswer = 6, true, recs[1].Chunks.At(6)
	recs[2].Retried = true
	recs[3].CachedTokens = 16
	recs[4].MaxTokens = 8                              // the server ignored the cap
	recs[7].InputTokens = 0                            // a prompt not counted
	recs[7].OutputTokens, recs[7].UsageTokens = 40, 40 // several tokens a chunk
	recs[9].HTTPStatus, recs[9].Err = 503, "HTTP 503: server busy, please try again."
	cancelled := newRecord(12, true)
	cancelled.Send, cancelled.Sched, cancelled.Done = 1200*time.Millisecond, 1200*time.Millisecond, 1300*time.Millisecond
	cancelled.fail(failCancelled, "cancelled")
	recs = append(recs, cancelled)

	fp := fingerprint{Tool: "VERSION", Server: "Ollama", ServerVersion: "0.24.0", Model: cfg.model,
		Ollama: &ollama.Info{Version: "0.24.0", GPUShare: 0.75, ContextLength: 4096, Family: "llama", ParameterSize: "8.0B", Quantization: "Q4_K_M", Digest: "5117a7a8f0d1e2f3"},
		OS:     "linux/amd64", CPU: "Test CPU", Cores: 2, GPUs: []string{}}
	s := summarise(recs, runFacts{
		sent: len(recs), sentCounted: true, slo: cfg.load.slo, simulated: false, fingerprint: &fp,
		health: &clientHealth{Wall: 1400 * time.Millisecond, CPU: 2700 * time.Millisecond, Cores: 2, SchedP50: 1500 * time.Microsecond, SchedP99: 30 * time.Millisecond, GCPauseP99: 400 * time.Microsecond, GCPauses: 12},
		metrics: &prom.Delta{URL: "http://user:xxxxx@gpu-box:11434/metrics", Generated: prom.Known(128), Prompt: prom.Known(217), Requests: prom.Known(8),
			DecodeTPS: prom.Known(41.5), TTFTMeanMs: prom.Known(150.25), QueueMeanMs: prom.Known(3.5)},
	})
	// What the GPUs' samples and the server's queueing would have given.
	s.Energy = &gpu.Report{Source: "nvidia-smi", GPUs: 1, Samples: 7, IdleW: 50, MeanW: 200, PeakW: 250, EnergyJ: 280, TokensPerJ: 0.457, TokensPerJAbv: 0.61, UtilPct: 80, PeakMemMiB: 6000}
	s.Parallel = parallelism{Estimate: 1, InFlight: 3.67, Waited: 5, Requests: 8, MedianWait: 120 * time.Millisecond}
	return cfg, fp, s
}

// The text of a whole run, as it is printed from the header to the end.
func TestReportGoldenWholeRun(t *testing.T) {
	t.Parallel()
	cfg, fp, s := wholeRun(t)
	var b bytes.Buffer
	rep := &textReport{w: &b}
	rep.printHeader(cfg, cfg.baseURL, "", 0)
	rep.printFingerprint(fp)
	rep.printPreflight(&preflight{model: cfg.model, info: fp.Ollama, preloaded: true, took: 1234 * time.Millisecond})
	rep.printGPU(gpuRemote, nil, 0)
	rep.printSending()
	rep.printWarmupDone(3, 2)
	rep.printResults(s, nil, false)
	rep.printInterrupted()
	golden(t, "report-whole-run.golden", b.Bytes())
}

// The JSON of the same run: every field a live run can fill.
func TestJSONGoldenWholeRun(t *testing.T) {
	t.Parallel()
	cfg, _, s := wholeRun(t)
	var b bytes.Buffer
	if err := renderJSON(&b, &finishedRun{cfg: cfg, baseURL: cfg.baseURL, started: time.Unix(0, 0).UTC(), s: s}); err != nil {
		t.Fatal(err)
	}
	masked := regexp.MustCompile(`(?m)^  "version": "[^"]*"`).ReplaceAll(b.Bytes(), []byte(`  "version": "VERSION"`))
	golden(t, "summary-whole-run.golden.json", masked)
}

// A sweep's report: a line per level as it ends, then the table, the
// server's counters and the checks.
func TestReportGoldenSweep(t *testing.T) {
	t.Parallel()
	recs := goldenRecords()
	for i := range recs {
		recs[i].Level = []string{"c=1", "c=2", "c=4"}[i%3]
	}
	slo := sloBounds{e2e: 600 * time.Millisecond}
	levels := levelsOf(recs, slo)
	s := summarizeRecords(recs, slo)
	var b bytes.Buffer
	rep := &textReport{w: &b}
	for _, l := range levels {
		rep.printLevel(l.label, l.s)
	}
	rep.printResults(s, levels, true)
	golden(t, "report-sweep.golden", b.Bytes())
}

// The start line keeps the original script's format when each thread sends
// -requests-per-thread requests; given -requests or -duration, it says what
// is sent without a per-thread figure that means nothing then.
func TestHeaderStartLine(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"8"}, "Starting benchmark: threads=8, requests_per_thread=5, total=40\n"},
		{[]string{"4", "--requests-per-thread", "3"}, "Starting benchmark: threads=4, requests_per_thread=3, total=12\n"},
		{[]string{"2", "--requests", "5"}, "Starting benchmark: threads=2, total=5\n"},
		{[]string{"2", "--duration", "1m"}, "Starting benchmark: threads=2, total=as many as fit in 1m0s\n"},
		{[]string{"--sweep-concurrency", "1,2"}, "Starting benchmark: threads=2, requests_per_thread=5, total=per level\n"},
		{[]string{"--sweep-concurrency", "1,2", "--requests", "6"}, "Starting benchmark: threads=2, total=6 per level\n"},
	} {
		cfg, err := parseArgs(tt.args, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		writeHeader(&b, cfg, "http://h/v1", "", "")
		if first, _, _ := strings.Cut(b.String(), "\n"); first+"\n" != tt.want {
			t.Errorf("%q: start line %q; want %q", tt.args, first, tt.want)
		}
	}
}
