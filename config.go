package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tpsbench/tpsbench/internal/sim"
)

// Defaults of the original script, kept as they were.
const (
	defaultBaseURL = "http://localhost:11434/v1"
	defaultModel   = "llama3.1:8b"
	defaultPrompt  = "Explain in detail how a computer processor executes a program, step by step."
)

// config is the validated run configuration. Nothing downstream reads flags.
type config struct {
	threads           int
	baseURL           string
	apiKey            string
	apiKeyStub        bool // no key was given: apiKey is the placeholder "ollama", no secret
	model             string
	requestsPerThread int
	timeout           float64 // seconds, as the original's --timeout
	maxTokens         int
	temperature       float64
	prompt            string
	system            string
	encoding          string
	forceTiktoken     bool
	crossCheck        bool
	stream            bool
	sim               bool
	simConfig         sim.Config
	insecure          bool
	noProxy           bool // ignore HTTP_PROXY and HTTPS_PROXY
	load              loadConfig
	out               outputs
	grace             time.Duration // after an interrupt, how long requests in flight may finish
	probe             bool          // run the probe before the benchmark
	noPreload         bool          // Ollama: do not load the model before the run
	gpu               bool          // sample local GPUs' power during the run
	gpuIdle           time.Duration // idle baseline before the run
	metricsURL        string        // Prometheus endpoint to scrape before and after
}

// outputs are the files a run writes beside its text report.
type outputs struct {
	json, records, csv, html string
	quiet                    bool
}

// addFileFlags binds the flags of the files a report is written to.
func addFileFlags(fs *flag.FlagSet, out *outputs) {
	fs.StringVar(&out.json, "json", "", "write the summary as JSON to `file` (- for stdout; the text report then goes to stderr)")
	fs.StringVar(&out.csv, "csv", "", "write one CSV row per request to `file`")
	fs.StringVar(&out.html, "html", "", "write a self-contained HTML report with charts to `file`")
}

// total is the number of measured requests of one run (or sweep level with
// the given threads), 0 when a duration bounds it instead.
func (c *config) total() int { return c.totalFor(c.threads) }

func (c *config) totalFor(threads int) int {
	switch {
	case c.load.duration > 0:
		return 0
	case c.load.requests > 0:
		return c.load.requests
	}
	return threads * c.requestsPerThread
}

func (c *config) timeoutDuration() time.Duration {
	return time.Duration(c.timeout * float64(time.Second))
}

// clientSpec is what the run's Client needs, against the endpoint at
// baseURL (--base-url, or the simulator's).
func (c *config) clientSpec(baseURL string) clientSpec {
	pool := c.threads
	if c.load.maxConcurrency > 0 {
		pool = max(pool, c.load.maxConcurrency)
	}
	return clientSpec{baseURL: baseURL, api: c.load.api, apiKey: c.apiKey, keyIsStub: c.apiKeyStub, headers: c.load.headers,
		timeout: c.timeoutDuration(), maxTokens: c.maxTokens, fixed: c.load.fixedOutput && c.load.api != apiOllama,
		stream: c.stream, insecure: c.insecure, noProxy: c.noProxy, pool: pool}
}

// models are the models to benchmark in turn (--model a,b,c).
func (c *config) models() []string {
	models := strings.Split(c.model, ",")
	for i := range models {
		models[i] = strings.TrimSpace(models[i])
	}
	return models
}

// forModel is the configuration of one model of a several-model run: its
// own files, the model's name in their names.
func (c *config) forModel(model string) *config {
	one := *c
	one.model = model
	one.out = perModel(c.out, model)
	return &one
}

// addSimFlags binds the simulator's settings to fs, each name prefixed.
func addSimFlags(fs *flag.FlagSet, prefix string, c *sim.Config) {
	fs.DurationVar(&c.TTFT, prefix+"ttft", c.TTFT, "simulated time to the first token, a `duration` such as 150ms")
	fs.Float64Var(&c.TokenRate, prefix+"rate", c.TokenRate, "simulated `tokens` per second after the first (0: no delay)")
	fs.Float64Var(&c.Jitter, prefix+"jitter", c.Jitter, "simulated relative jitter (0..1) on TTFT and every token gap")
	fs.IntVar(&c.OutputTokens, prefix+"output-tokens", c.OutputTokens, "simulated answer length in `tokens`, capped by max_tokens (0: max_tokens)")
	fs.Func(prefix+"style", fmt.Sprintf("simulated server `shape`: %s (default %s)", joinStyles(), c.Style), func(s string) error {
		if !slices.Contains(sim.Styles, sim.Style(s)) {
			return fmt.Errorf("unknown style %q: use one of %s", s, joinStyles())
		}
		c.Style = sim.Style(s)
		return nil
	})
	fs.BoolVar(&c.NoUsage, prefix+"no-usage", c.NoUsage, "simulated server never reports usage (token counts come from tiktoken)")
	fs.Func(prefix+"models", "simulated server serves only these comma-separated model `names` and answers 404 to others (default: any name)", func(v string) error {
		c.Models = strings.Split(v, ",")
		return nil
	})
	fs.IntVar(&c.TokensPerChunk, prefix+"tokens-per-chunk", c.TokensPerChunk, "simulated server puts this many tokens in each stream chunk")
	fs.BoolVar(&c.HonourMaxCompletionTokens, prefix+"honour-max-completion-tokens", c.HonourMaxCompletionTokens, "simulated server reads max_completion_tokens (llama.cpp's server and Ollama do not)")
	fs.BoolVar(&c.Metrics, prefix+"metrics", c.Metrics, "simulated server serves Prometheus counters at /metrics")
	fs.DurationVar(&c.LoadTime, prefix+"load-time", c.LoadTime, "simulated model load `duration`: the first request waits for it (Ollama style: also /api/version, /api/ps, /api/show)")
	fs.IntVar(&c.ReloadEvery, prefix+"reload-every", c.ReloadEvery, "simulated server reloads the model before every this many requests, as when options change")
	fs.Float64Var(&c.GPUShare, prefix+"gpu-share", c.GPUShare, "share (0..1) of the simulated model in GPU memory, as /api/ps reports it (0: all)")
	fs.IntVar(&c.MaxQueue, prefix+"max-queue", c.MaxQueue, "with -parallel: answer HTTP 503 \"server busy\" when this many requests already wait (Ollama's OLLAMA_MAX_QUEUE)")
	fs.BoolVar(&c.FlushEachToken, prefix+"flush-each-token", c.FlushEachToken, "simulated server sends every token in its own write, even when the next is already due")
	fs.IntVar(&c.Parallel, prefix+"parallel", c.Parallel, "simulated server generates at most this many answers at once and queues the rest (like OLLAMA_NUM_PARALLEL; 0: no limit)")
	f := &c.Faults
	fs.Float64Var(&f.ErrorRate, prefix+"error-rate", f.ErrorRate, "fault: share (0..1) of requests answered HTTP 500")
	fs.IntVar(&f.MaxInFlight, prefix+"rate-limit", f.MaxInFlight, "fault: answer HTTP 429 with Retry-After to requests beyond this many in flight (0: no limit)")
	fs.IntVar(&f.DropAfter, prefix+"drop-after", f.DropAfter, "fault: close the connection after this many `tokens` (-1: never)")
	fs.IntVar(&f.StallAfter, prefix+"stall-after", f.StallAfter, "fault: stop sending after this many `tokens`, keeping the connection (-1: never)")
	fs.BoolVar(&f.Garbage, prefix+"garbage", f.Garbage, "fault: send a malformed JSON event (or a truncated answer)")
	fs.BoolVar(&f.NoDone, prefix+"no-done", f.NoDone, "fault: end streams without data: [DONE]")
	fs.BoolVar(&f.HugeLine, prefix+"huge-line", f.HugeLine, "fault: the first event carries a 4 MiB field")
	fs.BoolVar(&f.Endless, prefix+"endless", f.Endless, "fault: never finish an answer")
}

func joinStyles() string {
	var names []string
	for _, s := range sim.Styles {
		names = append(names, string(s))
	}
	return strings.Join(names, ", ")
}

func validateSim(prefix string, c sim.Config) error {
	f := &c.Faults
	for _, bad := range []struct {
		is   bool
		flag string
		want string
	}{
		{c.TTFT < 0, "ttft", "must not be negative"},
		{!finiteFrom0(c.TokenRate), "rate", "must be a finite number, 0 or more"},
		{!within01(c.Jitter), "jitter", "must be between 0 and 1"},
		{c.OutputTokens < 0, "output-tokens", "must not be negative"},
		{c.TokensPerChunk < 0, "tokens-per-chunk", "must not be negative"},
		{c.LoadTime < 0, "load-time", "must not be negative"},
		{c.ReloadEvery < 0, "reload-every", "must not be negative"},
		{!within01(c.GPUShare), "gpu-share", "must be between 0 and 1"},
		{c.MaxQueue < 0, "max-queue", "must not be negative"},
		{c.Parallel < 0, "parallel", "must not be negative"},
		{!within01(f.ErrorRate), "error-rate", "must be between 0 and 1"},
		{f.MaxInFlight < 0, "rate-limit", "must not be negative"},
	} {
		if bad.is {
			return usagef("-%s%s %s", prefix, bad.flag, bad.want)
		}
	}
	return nil
}

// parseArgs reads `tpsbench <threads> [options]`. Options may come before
// or after the positional argument; -x and --x are the same.
// Help goes to stdout; errors come back as one line, without the flag
// package's usage dump.
func parseArgs(args []string, stdout io.Writer) (*config, error) {
	cfg := &config{simConfig: sim.DefaultConfig()}
	fs := flag.NewFlagSet("tpsbench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.StringVar(&cfg.baseURL, "base-url", defaultBaseURL, "OpenAI-compatible endpoint `URL` (up to /v1)")
	fs.StringVar(&cfg.apiKey, "api-key", "", "API `key` (default: $OPENAI_API_KEY, else \"ollama\"); never printed")
	fs.StringVar(&cfg.model, "model", defaultModel, "model `name`")
	fs.IntVar(&cfg.requestsPerThread, "requests-per-thread", 5, "requests each thread sends, one after another")
	fs.Float64Var(&cfg.timeout, "timeout", 120, "per-request timeout in `seconds`")
	fs.IntVar(&cfg.maxTokens, "max-tokens", 128, "generation cap, sent as max_tokens")
	fs.Float64Var(&cfg.temperature, "temperature", 0.2, "sampling temperature")
	fs.StringVar(&cfg.prompt, "prompt", defaultPrompt, "base user `prompt` (a random number is appended to each)")
	fs.StringVar(&cfg.system, "system", "", "optional system `prompt`")
	fs.StringVar(&cfg.encoding, "encoding", "cl100k_base", "tiktoken `encoding` for counting when usage is missing: "+strings.Join(encodings, ", "))
	fs.BoolVar(&cfg.forceTiktoken, "force-tiktoken", false, "ignore usage.completion_tokens and always count with tiktoken")
	fs.BoolVar(&cfg.crossCheck, "cross-check", false, "count the first 50 answers that have usage with tiktoken too, to compare (done anyway once tiktoken counts an answer without usage)")
	fs.BoolVar(&cfg.stream, "stream", false, "stream with SSE to also measure TTFT, TPOT, ITL and decode TPS")
	fs.BoolVar(&cfg.insecure, "insecure", false, "do not verify the server's TLS certificate (a warning says so)")
	fs.BoolVar(&cfg.noProxy, "no-proxy", false, "connect to the endpoint directly, ignoring HTTP_PROXY and HTTPS_PROXY (the report names a proxy it goes through)")
	fs.BoolVar(&cfg.sim, "sim", false, "benchmark the built-in simulated endpoint on 127.0.0.1 (no server needed)")
	addSimFlags(fs, "sim-", &cfg.simConfig)
	addLoadFlags(fs, &cfg.load)
	addFileFlags(fs, &cfg.out)
	fs.StringVar(&cfg.out.records, "records", "", "write one JSON line per request to `file` as each finishes (tpsbench report rebuilds the summary from it)")
	fs.BoolVar(&cfg.out.quiet, "quiet", false, "no progress line on stderr")
	fs.BoolVar(&cfg.gpu, "gpu", false, "sample this machine's GPUs (nvidia-smi, or AMD sysfs) during the run: power, energy, output tokens per joule")
	fs.DurationVar(&cfg.gpuIdle, "gpu-idle", 2*time.Second, "with -gpu: how long to measure the idle baseline before the run")
	fs.BoolVar(&cfg.noPreload, "no-preload", false, "Ollama: do not load the model before the run (to measure a cold start)")
	fs.BoolVar(&cfg.probe, "probe", false, "first probe the endpoint with a few tiny requests and print what it does (see tpsbench probe)")
	fs.StringVar(&cfg.metricsURL, "metrics-url", "", "scrape this Prometheus `URL` before and after the run and report the server's counters (with -probe: found by the probe)")
	fs.DurationVar(&cfg.grace, "grace", 5*time.Second, "after Ctrl-C, how long requests in flight may finish before they are cancelled")

	positional, err := parseInterleaved(fs, args, func() { printUsage(stdout, fs) })
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	switch {
	case len(positional) > 1:
		return nil, usagef("too many arguments: %s (only <threads> is positional)", strings.Join(positional[1:], " "))
	case len(positional) == 0 && len(cfg.load.sweepConcurrency) > 0:
		cfg.threads = slices.Max(cfg.load.sweepConcurrency) // the levels set the concurrency
	case len(positional) == 0:
		return nil, usagef("missing <threads>: run as tpsbench <threads> [options], e.g. tpsbench 8")
	default:
		threads, err := strconv.Atoi(positional[0])
		if err != nil {
			return nil, usagef("<threads> must be a whole number, got %q", positional[0])
		}
		cfg.threads = threads
	}
	if err := cfg.load.validate(set); err != nil {
		return nil, err
	}
	if !cfg.load.seedSet {
		cfg.load.seed = rand.Uint64()
	}
	if cfg.apiKey == "" {
		cfg.apiKey = os.Getenv("OPENAI_API_KEY")
	}
	if cfg.apiKey == "" {
		cfg.apiKey, cfg.apiKeyStub = "ollama", true
	}
	if cfg.sim && set["base-url"] {
		return nil, usagef("-sim and -base-url exclude each other: -sim benchmarks the built-in endpoint")
	}
	for name := range set {
		if strings.HasPrefix(name, "sim-") && !cfg.sim {
			return nil, usagef("-%s needs -sim", name)
		}
	}
	return cfg, cfg.validate()
}

// validate checks every value before any request is sent.
func (c *config) validate() error {
	if err := c.validateNumbers(); err != nil {
		return err
	}
	if err := c.validateModels(); err != nil {
		return err
	}
	if err := c.out.checkPaths(); err != nil {
		return err
	}
	if c.metricsURL != "" {
		if u, err := url.Parse(c.metricsURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usagef("-metrics-url must be an http:// or https:// URL, got %q", redactURL(c.metricsURL))
		}
	}
	if !c.sim {
		u, err := url.Parse(c.baseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usagef("-base-url must be an http:// or https:// URL such as %s, got %q", defaultBaseURL, redactURL(c.baseURL))
		}
	}
	if _, err := newTiktokenCounter(c.encoding); err != nil {
		return usagef("-encoding: %v", err)
	}
	return validateSim("sim-", c.simConfig)
}

// parseInterleaved parses fs's flags wherever they stand among the
// positional arguments (Go's flag package stops at the first positional),
// and returns those. -h calls help and returns flag.ErrHelp; any other
// error is a usageError.
func parseInterleaved(fs *flag.FlagSet, args []string, help func()) ([]string, error) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				help()
				return nil, err
			}
			return nil, &usageError{msg: err.Error()}
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// printCommandUsage prints a subcommand's usage, then its flags.
func printCommandUsage(w io.Writer, fs *flag.FlagSet, text string) {
	fmt.Fprintln(w, text+"\n\nOptions:")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

func printUsage(w io.Writer, fs *flag.FlagSet) {
	fs.SetOutput(w)
	defer fs.SetOutput(io.Discard)
	fmt.Fprint(w, `Usage: tpsbench <threads> [options]
       tpsbench sim [--addr 127.0.0.1:11434] [simulator options]
       tpsbench probe [options]                 what the endpoint does, with a few tiny requests
       tpsbench report FILE.jsonl... [options]  rebuild a report from -records files
       tpsbench compare BASE NEW [options]      compare two runs, with significance
       tpsbench selftest [options]              this machine's ceiling as a client

Sends <threads> concurrent chat-completion requests to an OpenAI-compatible
endpoint, -requests-per-thread each, and reports tokens per second and latency.

Options:
`)
	fs.PrintDefaults()
	fmt.Fprint(w, `
Examples:
  tpsbench 8 --sim                      # against the built-in simulated endpoint
  tpsbench 8                            # local Ollama, defaults
  tpsbench 16 --model qwen2.5:7b --requests-per-thread 10 --max-tokens 64 --stream
  tpsbench 64 --stream --rate 4 --duration 2m --warmup 8 --slo ttft=500ms,tpot=50ms
  tpsbench --stream --sweep-concurrency 1,2,4,8,16 --requests-per-thread 4 --input-tokens 512
`)
}

// pyFloat formats like Python's str(float): 120 -> "120.0", 2.5 -> "2.5".
// Not a number and the infinities read as Python writes them: nan, inf.
func pyFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 0):
		return strings.ToLower(strings.TrimPrefix(strconv.FormatFloat(f, 'g', -1, 64), "+"))
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// perModel names a model's own files: run.json becomes run.qwen2.5_7b.json.
func perModel(out outputs, model string) outputs {
	name := unsafeName.ReplaceAllString(model, "_")
	rename := func(path string) string {
		if path == "" || path == "-" {
			return path
		}
		ext := filepath.Ext(path)
		return strings.TrimSuffix(path, ext) + "." + name + ext
	}
	out.json, out.records, out.csv, out.html = rename(out.json), rename(out.records), rename(out.csv), rename(out.html)
	return out
}
