package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tpsbench/tpsbench/internal/load"
)

// apiKind is the request shape tpsbench sends (--api).
type apiKind string

// API shapes tpsbench can send.
const (
	apiChat        apiKind = "chat"        // POST /chat/completions with messages
	apiCompletions apiKind = "completions" // POST /completions with a prompt (legacy)
	apiOllama      apiKind = "ollama"      // POST /api/chat at the server root: Ollama's native API
)

// loadConfig is how a run loads the server: how many requests, when they
// start, what they ask.
type loadConfig struct {
	requests         int           // total requests (0: threads x requests-per-thread)
	duration         time.Duration // send for this long instead of a count
	warmup           int           // requests sent first and left out of every figure
	rate             load.Rate     // open loop: requests/s (0: closed loop)
	burstiness       float64       // open loop: gamma shape of the gaps (1: Poisson)
	maxConcurrency   int           // open loop: in flight at most (0: no cap)
	sweepConcurrency []int
	sweepRate        []load.Rate
	seed             uint64
	seedSet          bool

	inputTokens, inputTokensStddev, prefixTokens int
	promptsFile                                  string

	api         apiKind
	headers     http.Header
	headerErr   error // a refused --header, worded without its value (which may be a secret)
	extraBody   map[string]any
	fixedOutput bool
	cold        bool // --cold-connections: open connections inside the measured window
	slo         sloBounds
}

// sloBounds are the --slo bounds; zero means no bound.
type sloBounds struct{ ttft, tpot, e2e time.Duration }

func (s sloBounds) set() bool { return s.ttft > 0 || s.tpot > 0 || s.e2e > 0 }

func (s sloBounds) String() string {
	var parts []string
	for _, b := range []struct {
		name string
		d    time.Duration
	}{{"ttft", s.ttft}, {"tpot", s.tpot}, {"e2e", s.e2e}} {
		if b.d > 0 {
			parts = append(parts, b.name+"<="+b.d.String())
		}
	}
	return strings.Join(parts, ", ")
}

func parseSLO(s string) (sloBounds, error) {
	var b sloBounds
	for _, part := range strings.Split(s, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return b, fmt.Errorf("%q is not name=duration (e.g. ttft=500ms)", part)
		}
		d, err := time.ParseDuration(value)
		if err != nil || d <= 0 {
			return b, fmt.Errorf("%s=%s: not a positive duration such as 500ms", name, value)
		}
		switch name {
		case "ttft":
			b.ttft = d
		case "tpot":
			b.tpot = d
		case "e2e":
			b.e2e = d
		default:
			return b, fmt.Errorf("unknown bound %q: use ttft, tpot or e2e", name)
		}
	}
	return b, nil
}

// addLoadFlags binds the load-shape flags to fs.
func addLoadFlags(fs *flag.FlagSet, l *loadConfig) {
	l.api, l.burstiness, l.headers = apiChat, 1, http.Header{}
	fs.IntVar(&l.requests, "requests", 0, "total requests to send (default: threads x -requests-per-thread)")
	fs.DurationVar(&l.duration, "duration", 0, "send requests for this long (e.g. 2m) instead of a count; in-flight ones then finish")
	fs.IntVar(&l.warmup, "warmup", 0, "send this many requests first and leave them out of every figure")
	fs.Func("rate", "open loop: start requests at this many per `second` on a random schedule, not waiting for earlier ones (inf: all at once)", func(s string) error {
		var err error
		l.rate, err = load.ParseRate(s)
		return err
	})
	fs.Float64Var(&l.burstiness, "burstiness", 1, "open loop: gamma shape of the gaps between arrivals (1: Poisson; lower: burstier)")
	fs.IntVar(&l.maxConcurrency, "max-concurrency", 0, "open loop: at most this many requests in flight; the rest wait, counted as client queue")
	fs.Func("sweep-concurrency", "run a closed loop at each of these `levels` in turn (e.g. 1,2,4,8) and end with one table", func(s string) error {
		var err error
		l.sweepConcurrency, err = parseLevels(s)
		return err
	})
	fs.Func("sweep-rate", "run an open loop at each of these `rates` (requests/s) in turn and end with one table", func(s string) error {
		var err error
		l.sweepRate, err = parseList(s, load.ParseRate)
		return err
	})
	fs.Func("seed", "fix arrivals, prompt choice and random suffixes to repeat a run (`number`); also shuffles -prompts-file", func(s string) error {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return fmt.Errorf("not a whole number from 0 to %d", uint64(math.MaxUint64))
		}
		l.seed, l.seedSet = n, true
		return nil
	})
	fs.IntVar(&l.inputTokens, "input-tokens", 0, "synthetic prompts of this many `tokens` (counted with -encoding), each different from its first token")
	fs.IntVar(&l.inputTokensStddev, "input-tokens-stddev", 0, "spread the synthetic prompt length normally by this many `tokens`")
	fs.IntVar(&l.prefixTokens, "prefix-tokens", 0, "start every synthetic prompt with the same this many `tokens` (to measure a prefix cache)")
	fs.StringVar(&l.promptsFile, "prompts-file", "", "read prompts from `file`: one per line, or JSONL with {\"prompt\":...} or {\"messages\":[...]}")
	fs.Func("api", "request shape: chat (/chat/completions), completions (the legacy /completions) or ollama (Ollama's native /api/chat, with server-side timings)", func(s string) error {
		switch a := apiKind(s); a {
		case apiChat, apiCompletions, apiOllama:
			l.api = a
			return nil
		}
		return fmt.Errorf("use %s, %s or %s", apiChat, apiCompletions, apiOllama)
	})
	// A refused header is kept for validate, not returned: the flag
	// package would quote the whole value, a secret maybe, in its error.
	fs.Func("header", "extra request header `'Name: value'` (repeatable), for gateways", func(s string) error {
		name, value, ok := strings.Cut(s, ":")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		switch {
		case l.headerErr != nil:
		case !ok || !validHeaderName(name):
			l.headerErr = usagef("-header: want 'Name: value' with a valid header name")
		case !validHeaderValue(value):
			l.headerErr = usagef("-header: the value of %s holds a control character (CR or LF)", name)
		default:
			l.headers.Add(name, value)
		}
		return nil
	})
	fs.Func("extra-body", "merge this JSON `object` into every request body (e.g. '{\"top_p\":0.9}'); keys set by other flags (model, messages, stream, max_tokens, temperature) are refused", func(s string) error {
		l.extraBody = nil
		if err := json.Unmarshal([]byte(s), &l.extraBody); err != nil || l.extraBody == nil {
			return errors.New("not a JSON object")
		}
		return nil
	})
	fs.BoolVar(&l.cold, "cold-connections", false, "open connections as requests need them, inside the measured window, as a cold client does (default: the pool is filled before the clock, and connect time is reported on its own)")
	fs.BoolVar(&l.fixedOutput, "fixed-output", false, "ask for exactly -max-tokens tokens (sends ignore_eos and min_tokens; the report says which servers honour them)")
	addSLOFlag(fs, &l.slo)
}

func parseList[T any](s string, parse func(string) (T, error)) ([]T, error) {
	var out []T
	for _, f := range strings.Split(s, ",") {
		v, err := parse(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("%q: %v", f, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// addSLOFlag binds --slo.
func addSLOFlag(fs *flag.FlagSet, slo *sloBounds) {
	fs.Func("slo", "count requests within these `bounds` for goodput, e.g. ttft=500ms,tpot=50ms,e2e=10s", func(s string) error {
		var err error
		*slo, err = parseSLO(s)
		return err
	})
}

// parseLevels reads a list of concurrency levels, each at least 1.
func parseLevels(s string) ([]int, error) {
	return parseList(s, func(f string) (int, error) {
		n, err := strconv.Atoi(f)
		switch {
		case err != nil:
			err = errors.New("not a whole number")
		case n < 1:
			err = errors.New("must be at least 1")
		case n > maxThreads:
			err = fmt.Errorf("must be at most %d", maxThreads)
		}
		return n, err
	})
}

// validate rejects contradictory or meaningless combinations; set holds the
// flags given on the command line.
func (l *loadConfig) validate(set map[string]bool) error {
	if l.headerErr != nil {
		return l.headerErr
	}
	both := func(a, b string) error {
		if set[a] && set[b] {
			return usagef("-%s and -%s exclude each other", a, b)
		}
		return nil
	}
	for _, pair := range [][2]string{
		{"rate", "sweep-concurrency"}, {"rate", "sweep-rate"}, {"sweep-concurrency", "sweep-rate"},
		{"duration", "requests"}, {"requests", "requests-per-thread"}, {"duration", "requests-per-thread"},
		{"prompts-file", "input-tokens"}, {"prompts-file", "prompt"}, {"input-tokens", "prompt"},
		{"max-concurrency", "sweep-concurrency"},
	} {
		if err := both(pair[0], pair[1]); err != nil {
			return err
		}
	}
	open := set["rate"] || set["sweep-rate"]
	switch {
	case l.requests < 0:
		return usagef("-requests must be at least 1")
	case set["requests"] && l.requests < 1:
		return usagef("-requests must be at least 1")
	case l.requests > maxRequests:
		return usagef("-requests must be at most %d", maxRequests)
	case set["duration"] && l.duration < minDuration:
		return usagef("-duration must be at least %s, e.g. 2m", minDuration)
	case l.warmup < 0:
		return usagef("-warmup must not be negative")
	case l.warmup > maxRequests:
		return usagef("-warmup must be at most %d", maxRequests)
	case (set["burstiness"] || set["max-concurrency"]) && !open:
		return usagef("-burstiness and -max-concurrency shape an open loop: give -rate or -sweep-rate")
	case !(l.burstiness >= minBurstiness && l.burstiness <= maxBurstiness):
		return usagef("-burstiness must be between %g and %g, got %s", minBurstiness, maxBurstiness, flagFloat(l.burstiness))
	case l.maxConcurrency < 0:
		return usagef("-max-concurrency must not be negative")
	case l.maxConcurrency > maxThreads:
		return usagef("-max-concurrency must be at most %d", maxThreads)
	case l.inputTokens < 0 || l.inputTokensStddev < 0 || l.prefixTokens < 0:
		return usagef("-input-tokens, -input-tokens-stddev and -prefix-tokens must not be negative")
	case l.inputTokens > maxInputTokens:
		return usagef("-input-tokens must be at most %d, above any context window today, got %d", maxInputTokens, l.inputTokens)
	case l.inputTokensStddev > maxInputTokens:
		return usagef("-input-tokens-stddev must be at most %d, got %d", maxInputTokens, l.inputTokensStddev)
	case (set["input-tokens-stddev"] || set["prefix-tokens"]) && l.inputTokens == 0:
		return usagef("-input-tokens-stddev and -prefix-tokens need -input-tokens")
	case l.prefixTokens >= l.inputTokens && l.inputTokens > 0:
		return usagef("-prefix-tokens must be less than -input-tokens")
	case l.fixedOutput && l.extraBody != nil && (l.extraBody["ignore_eos"] != nil || l.extraBody["min_tokens"] != nil):
		return usagef("-fixed-output and -extra-body both set ignore_eos or min_tokens: keep one")
	}
	return checkExtraBody(l.extraBody)
}

// ownedKeys are the body's keys that tpsbench sets from its own flags, or
// that would contradict them (a dot names a key inside an object).
// -extra-body may not set them, so that the report says what was sent.
var ownedKeys = []struct{ key, flag string }{
	{"model", "-model"},
	{"messages", "-prompt, -system or -prompts-file"},
	{"prompt", "-prompt or -prompts-file"},
	{"stream", "-stream"},
	{"max_tokens", "-max-tokens"},
	{"max_completion_tokens", "-max-tokens"},
	{"temperature", "-temperature"},
	{"options.num_predict", "-max-tokens"},
	{"options.temperature", "-temperature"},
}

// checkExtraBody refuses an -extra-body that sets a key tpsbench owns,
// even to null, naming the flag to use instead.
func checkExtraBody(extra map[string]any) error {
	for _, o := range ownedKeys {
		m, key := extra, o.key
		if outer, inner, nested := strings.Cut(o.key, "."); nested {
			m, _ = extra[outer].(map[string]any)
			key = inner
		}
		if _, set := m[key]; set {
			return usagef("-extra-body must not set %q: use %s, so that the report says what was sent", o.key, o.flag)
		}
	}
	return nil
}

// sweeping reports whether the run is a sweep.
func (l *loadConfig) sweeping() bool { return len(l.sweepConcurrency) > 0 || len(l.sweepRate) > 0 }

// validHeaderName: an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// validHeaderValue: no control characters but tab, so no CR/LF injection.
func validHeaderValue(s string) bool {
	for _, c := range []byte(s) {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
