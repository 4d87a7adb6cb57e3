package main

import (
	"encoding/json"
	"io"
	"math"
	"time"

	"github.com/tpsbench/tpsbench/internal/gpu"
	"github.com/tpsbench/tpsbench/internal/load"
	"github.com/tpsbench/tpsbench/internal/prom"
)

// jsonDist is a Dist in the JSON summary; the unit is in the field name
// that holds it.
type jsonDist struct {
	Count  int       `json:"count"`
	Mean   jsonFloat `json:"mean"`
	Median jsonFloat `json:"median"`
	P05    jsonFloat `json:"p05"`
	P90    jsonFloat `json:"p90"`
	P95    jsonFloat `json:"p95"`
	P99    jsonFloat `json:"p99"`
	Min    jsonFloat `json:"min"`
	Max    jsonFloat `json:"max"`
	Stddev jsonFloat `json:"stddev"`
	CI95   *jsonCI   `json:"ci95,omitempty"`
	Notes  []string  `json:"notes,omitempty"`
}

// jsonCI is a 95% confidence interval of the median and the mean.
type jsonCI struct {
	MedianLow  jsonFloat `json:"median_low"`
	MedianHigh jsonFloat `json:"median_high"`
	MeanLow    jsonFloat `json:"mean_low"`
	MeanHigh   jsonFloat `json:"mean_high"`
}

func toJSONDist(d Dist, withCI bool) *jsonDist {
	if d.N == 0 {
		return nil
	}
	j := &jsonDist{Count: d.N, Mean: jsonFloat(d.Mean), Median: jsonFloat(d.Median), P05: jsonFloat(d.P05), P90: jsonFloat(d.P90),
		P95: jsonFloat(d.P95), P99: jsonFloat(d.P99), Min: jsonFloat(d.Min), Max: jsonFloat(d.Max), Stddev: jsonFloat(d.Stddev)}
	if withCI && d.CI.ok {
		j.CI95 = &jsonCI{jsonFloat(d.CI.medianLow), jsonFloat(d.CI.medianHigh), jsonFloat(d.CI.meanLow), jsonFloat(d.CI.meanHigh)}
	}
	j.Notes = d.tailNotes()
	return j
}

// jsonSummary is the --json document. Field names carry their units.
type jsonSummary struct {
	Tool        string       `json:"tool"`
	Version     string       `json:"version"`
	StartedAt   time.Time    `json:"started_at"`
	Config      *jsonConfig  `json:"config,omitempty"`      // absent from a rebuilt report
	Fingerprint *fingerprint `json:"fingerprint,omitempty"` // absent from a rebuilt report
	jsonFigures
	Levels []jsonLevel `json:"levels,omitempty"` // sweeps: one per level
}

type jsonLevel struct {
	Level string `json:"level"`
	jsonFigures
}

type jsonConfig struct {
	Threads           int         `json:"threads"`
	BaseURL           string      `json:"base_url"`
	Model             string      `json:"model"`
	API               string      `json:"api"`
	RequestsPerThread int         `json:"requests_per_thread"`
	Requests          int         `json:"requests,omitempty"`
	DurationS         jsonFloat   `json:"duration_s,omitempty"`
	WarmupRequests    int         `json:"warmup_requests,omitempty"`
	RatePerS          *jsonFloat  `json:"rate_per_s,omitempty"` // absent: closed loop; null in JSON cannot say inf, so inf is 1e308
	Burstiness        jsonFloat   `json:"burstiness,omitempty"`
	MaxConcurrency    int         `json:"max_concurrency,omitempty"`
	SweepConcurrency  []int       `json:"sweep_concurrency,omitempty"`
	SweepRatePerS     []jsonFloat `json:"sweep_rate_per_s,omitempty"`
	TimeoutS          jsonFloat   `json:"timeout_s"`
	MaxTokens         int         `json:"max_tokens"`
	Temperature       jsonFloat   `json:"temperature"`
	Stream            bool        `json:"stream"`
	Encoding          string      `json:"encoding"`
	ForceTiktoken     bool        `json:"force_tiktoken"`
	InputTokens       int         `json:"input_tokens,omitempty"`
	PromptsFile       string      `json:"prompts_file,omitempty"`
	FixedOutput       bool        `json:"fixed_output,omitempty"`
	SLO               string      `json:"slo,omitempty"`
	Seed              *uint64     `json:"seed,omitempty"`
	Simulated         bool        `json:"simulated,omitempty"`
	APIKey            string      `json:"api_key"` // always "[redacted]"
}

type jsonFigures struct {
	Requests struct {
		Sent      int `json:"sent"`
		OK        int `json:"ok"`
		Failed    int `json:"failed"`
		Cancelled int `json:"cancelled"`
		Retried   int `json:"retried"`
	} `json:"requests"`
	Tokens struct {
		Output       int  `json:"output"`
		Input        *int `json:"input,omitempty"`
		FromUsage    int  `json:"from_usage_requests"`
		FromTiktoken int  `json:"from_tiktoken_requests"`
		Chunks       int  `json:"chunks"`
		Reasoning    int  `json:"reasoning,omitempty"` // the server's reasoning_tokens, part of output
	} `json:"tokens"`
	DurationS             jsonFloat     `json:"duration_s"`
	OutputThroughputTokS  jsonFloat     `json:"output_throughput_tok_s"`
	RequestThroughputReqS jsonFloat     `json:"request_throughput_req_s"`
	Concurrency           jsonFloat     `json:"concurrency"`
	TPS                   *jsonDist     `json:"tps"`
	E2EMs                 *jsonDist     `json:"e2e_ms"`
	TTFTMs                *jsonDist     `json:"ttft_ms,omitempty"`
	TTFOMs                *jsonDist     `json:"ttfo_ms,omitempty"`
	TPOTMs                *jsonDist     `json:"tpot_ms,omitempty"`
	ITLMs                 *jsonDist     `json:"itl_ms,omitempty"`
	DecodeTPS             *jsonDist     `json:"decode_tps,omitempty"`
	ClientQueueMs         *jsonDist     `json:"client_queue_ms,omitempty"`
	E2EInclQueueMs        *jsonDist     `json:"e2e_incl_queue_ms,omitempty"`
	TTFTInclQueueMs       *jsonDist     `json:"ttft_incl_queue_ms,omitempty"`
	ConnectMs             *jsonDist     `json:"connect_ms,omitempty"`
	NewConnections        int           `json:"new_connections"`
	ReadyConnections      int           `json:"connections_before_clock,omitempty"`
	PreConnections        int           `json:"opened_before_clock,omitempty"`
	PreConnectMs          *jsonDist     `json:"connect_before_clock_ms,omitempty"`
	Goodput               *jsonGoodput  `json:"goodput,omitempty"`
	TokenCrossCheck       *jsonCross    `json:"token_cross_check,omitempty"`
	Checks                []string      `json:"checks,omitempty"`
	ServerSide            *jsonServer   `json:"server_side,omitempty"`
	ServerMetrics         *jsonMetrics  `json:"server_metrics,omitempty"`
	ServerParallelism     *jsonParallel `json:"server_parallelism,omitempty"`
	GPUEnergy             *jsonEnergy   `json:"gpu_energy,omitempty"`
	Client                *jsonClient   `json:"client,omitempty"`
	Errors                []ErrorCount  `json:"errors"`
	Samples               jsonSamples   `json:"samples"`
}

// jsonClient is how the client fared: its CPU and the Go runtime's delays.
type jsonClient struct {
	WallS           jsonFloat `json:"wall_s"`
	CPUS            jsonFloat `json:"cpu_s"`
	Cores           int       `json:"cores"`
	SchedLatencyP50 jsonFloat `json:"sched_latency_p50_ms"`
	SchedLatencyP99 jsonFloat `json:"sched_latency_p99_ms"`
	GCPauseP99      jsonFloat `json:"gc_pause_p99_ms"`
}

// jsonServer is the server's own figures.
type jsonServer struct {
	Answers      int       `json:"answers"`
	ServerTokens int       `json:"server_tokens"`
	ClientTokens int       `json:"client_tokens"`
	DecodeTPS    *jsonDist `json:"decode_tps,omitempty"`
	PromptMs     *jsonDist `json:"prompt_ms,omitempty"`
	PrefillTPS   *jsonDist `json:"prefill_tps,omitempty"`
	LoadMs       *jsonDist `json:"load_ms,omitempty"`
}

// jsonMetrics is the change of the server's Prometheus counters over the
// run; absent fields are figures the server does not export, null ones
// figures it exports that are no figure (not finite, or absurd), each with
// a note.
type jsonMetrics struct {
	URL             string     `json:"url"`
	GeneratedTokens *jsonFloat `json:"generated_tokens,omitempty"`
	PromptTokens    *jsonFloat `json:"prompt_tokens,omitempty"`
	Requests        *jsonFloat `json:"requests,omitempty"`
	DecodeTPS       *jsonFloat `json:"decode_tps,omitempty"`
	TTFTMeanMs      *jsonFloat `json:"ttft_mean_ms,omitempty"`
	QueueMeanMs     *jsonFloat `json:"queue_mean_ms,omitempty"`
	Notes           []string   `json:"notes,omitempty"`
}

func toJSONMetrics(d *prom.Delta) *jsonMetrics {
	if d == nil {
		return nil
	}
	m := &jsonMetrics{URL: d.URL}
	for _, f := range []struct {
		key string
		to  **jsonFloat
		f   prom.Figure
	}{
		{"generated_tokens", &m.GeneratedTokens, d.Generated}, {"prompt_tokens", &m.PromptTokens, d.Prompt},
		{"requests", &m.Requests, d.Requests}, {"decode_tps", &m.DecodeTPS, d.DecodeTPS},
		{"ttft_mean_ms", &m.TTFTMeanMs, d.TTFTMeanMs}, {"queue_mean_ms", &m.QueueMeanMs, d.QueueMeanMs},
	} {
		switch f.f.Status {
		case prom.Absent:
			continue
		case prom.OK:
			v := jsonFloat(f.f.Value)
			*f.to = &v
		default:
			v := jsonFloat(math.NaN()) // written as null
			*f.to = &v
			what, value := unusableFigure(f.f)
			if value != "" {
				what += " (" + value + ")"
			}
			m.Notes = append(m.Notes, f.key+": "+what)
		}
	}
	return m
}

// jsonEnergy is --gpu's figures; a figure the driver did not give is null.
type jsonEnergy struct {
	Source        string    `json:"source"`
	GPUs          int       `json:"gpus"`
	Samples       int       `json:"samples"`
	IdleW         jsonFloat `json:"idle_power_w"`
	MeanW         jsonFloat `json:"mean_power_w"`
	PeakW         jsonFloat `json:"peak_power_w"`
	EnergyJ       jsonFloat `json:"energy_j_estimated"`
	TokensPerJ    jsonFloat `json:"output_tokens_per_joule"`
	TokensPerJAbv jsonFloat `json:"output_tokens_per_joule_above_idle"`
	UtilPct       jsonFloat `json:"mean_utilisation_pct"`
	PeakMemMiB    jsonFloat `json:"peak_memory_mib"`
	NoPower       bool      `json:"power_not_reported,omitempty"`
	TooShort      bool      `json:"too_short_to_sample,omitempty"`
}

func toJSONEnergy(e *gpu.Report) *jsonEnergy {
	if e == nil {
		return nil
	}
	return &jsonEnergy{e.Source, e.GPUs, e.Samples, jsonFloat(e.IdleW), jsonFloat(e.MeanW), jsonFloat(e.PeakW), jsonFloat(e.EnergyJ),
		jsonFloat(e.TokensPerJ), jsonFloat(e.TokensPerJAbv), jsonFloat(e.UtilPct), jsonFloat(e.PeakMemMiB), e.NoPower, e.TooShort}
}

// jsonParallel is the estimate of how many requests the server runs at once.
type jsonParallel struct {
	Estimate     jsonFloat `json:"estimate"`
	InFlight     jsonFloat `json:"client_concurrency"`
	Waited       int       `json:"requests_waited"`
	Requests     int       `json:"requests"`
	MedianWaitMs jsonFloat `json:"median_wait_ms"`
}

// jsonCross is the token cross-check: tiktoken's count against usage.
type jsonCross struct {
	Answers        int       `json:"answers"`
	MedianRelative jsonFloat `json:"median_relative_difference"`
	WorstRelative  jsonFloat `json:"worst_relative_difference"`
}

type jsonGoodput struct {
	SLO      string    `json:"slo"`
	Good     int       `json:"good_requests"`
	ReqS     jsonFloat `json:"goodput_req_s"`
	Fraction jsonFloat `json:"good_fraction"`
}

func jsonFiguresOf(s Summary) jsonFigures {
	var f jsonFigures
	f.Requests.Sent, f.Requests.OK, f.Requests.Failed, f.Requests.Cancelled, f.Requests.Retried =
		s.Sent, s.OK, s.Failed, s.Cancelled, s.Retried
	f.Tokens.Output, f.Tokens.FromUsage, f.Tokens.FromTiktoken, f.Tokens.Chunks, f.Tokens.Reasoning =
		s.OutputTokens, s.FromUsage, s.FromTiktoken, s.Chunks, s.ReasonTokens
	if s.InputReported > 0 {
		n := s.InputTokens
		f.Tokens.Input = &n
	}
	f.DurationS, f.OutputThroughputTokS, f.RequestThroughputReqS, f.Concurrency =
		jsonFloat(s.Duration.Seconds()), jsonFloat(s.OutputThroughput), jsonFloat(s.RequestThroughput), jsonFloat(s.Concurrency)
	f.TPS, f.E2EMs = toJSONDist(s.TPS, true), toJSONDist(s.E2E, false)
	f.TTFTMs, f.TTFOMs = toJSONDist(s.TTFT, true), toJSONDist(s.TTFO, false)
	f.TPOTMs, f.ITLMs, f.DecodeTPS = toJSONDist(s.TPOT, false), toJSONDist(s.ITL, false), toJSONDist(s.DecodeTPS, false)
	f.ClientQueueMs, f.E2EInclQueueMs, f.TTFTInclQueueMs = toJSONDist(s.Queue, false), toJSONDist(s.E2EQueue, false), toJSONDist(s.TTFTQueue, false)
	f.ConnectMs, f.NewConnections = toJSONDist(s.Connect, false), s.NewConns
	f.ReadyConnections, f.PreConnections, f.PreConnectMs = s.ReadyConns, s.PreConns, toJSONDist(s.PreConnect, false)
	if s.SLO.set() {
		f.Goodput = &jsonGoodput{SLO: s.SLO.String(), Good: s.Good, ReqS: jsonFloat(s.Goodput), Fraction: jsonFloat(s.GoodFraction)}
	}
	if s.Cross.N > 0 {
		f.TokenCrossCheck = &jsonCross{s.Cross.N, jsonFloat(s.Cross.Median), jsonFloat(s.Cross.Worst)}
	}
	for _, c := range s.Checks {
		f.Checks = append(f.Checks, findingText(c))
	}
	f.ServerMetrics = toJSONMetrics(s.Metrics)
	f.GPUEnergy = toJSONEnergy(s.Energy)
	if p := s.Parallel; p.Waited > 0 {
		f.ServerParallelism = &jsonParallel{jsonFloat(p.Estimate), jsonFloat(p.InFlight), p.Waited, p.Requests, jsonFloat(toMs(p.MedianWait))}
	}
	if s.ServerAnswers > 0 {
		f.ServerSide = &jsonServer{s.ServerAnswers, s.ServerTokens, s.ClientTokens,
			toJSONDist(s.ServerDecodeTPS, false), toJSONDist(s.ServerPromptMs, false), toJSONDist(s.ServerPrefill, false), toJSONDist(s.ServerLoadMs, false)}
	}
	if h := s.Client; h != nil {
		f.Client = &jsonClient{jsonFloat(h.Wall.Seconds()), jsonFloat(h.CPU.Seconds()), h.Cores,
			jsonFloat(toMs(h.SchedP50)), jsonFloat(toMs(h.SchedP99)), jsonFloat(toMs(h.GCPauseP99))}
	}
	f.Errors = s.Errors
	if f.Errors == nil {
		f.Errors = []ErrorCount{}
	}
	f.Samples = s.Samples
	return f
}

func jsonConfigOf(cfg *config, baseURL string) jsonConfig {
	l := &cfg.load
	c := jsonConfig{
		Threads: cfg.threads, BaseURL: redactURL(baseURL), Model: cfg.model,
		API: string(l.api), RequestsPerThread: cfg.requestsPerThread, Requests: l.requests, DurationS: jsonFloat(l.duration.Seconds()),
		WarmupRequests: l.warmup, MaxConcurrency: l.maxConcurrency, SweepConcurrency: l.sweepConcurrency,
		MaxTokens: cfg.maxTokens, Stream: cfg.stream,
		Encoding: cfg.encoding, ForceTiktoken: cfg.forceTiktoken, InputTokens: l.inputTokens,
		PromptsFile: l.promptsFile, FixedOutput: l.fixedOutput, Simulated: cfg.sim, APIKey: "[redacted]",
		TimeoutS: jsonFloat(cfg.timeout), Temperature: jsonFloat(cfg.temperature),
	}
	// JSON has no infinity: an unlimited rate is written as 1e308.
	finite := func(r load.Rate) jsonFloat { return jsonFloat(math.Min(float64(r), math.MaxFloat64)) }
	if l.rate > 0 {
		r := finite(l.rate)
		c.RatePerS, c.Burstiness = &r, jsonFloat(l.burstiness)
	}
	for _, r := range l.sweepRate {
		c.SweepRatePerS = append(c.SweepRatePerS, finite(r))
	}
	if l.slo.set() {
		c.SLO = l.slo.String()
	}
	if l.seedSet {
		seed := l.seed
		c.Seed = &seed
	}
	return c
}

// renderJSON writes the --json document of a run (levels for a sweep).
func renderJSON(w io.Writer, r *finishedRun) error {
	doc := jsonSummary{Tool: "tpsbench", Version: version(), StartedAt: r.started, jsonFigures: jsonFiguresOf(r.s), Fingerprint: r.s.Fingerprint}
	if r.cfg != nil {
		c := jsonConfigOf(r.cfg, r.baseURL)
		doc.Config = &c
	}
	for _, l := range r.levels {
		doc.Levels = append(doc.Levels, jsonLevel{Level: l.label, jsonFigures: jsonFiguresOf(l.s)})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
