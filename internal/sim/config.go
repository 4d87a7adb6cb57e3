package sim

import "time"

// Style names the wire shape the simulator imitates.
type Style string

// The shapes recorded from real servers (see testdata/fixtures at the repository root).
const (
	// StyleOllama repeats the role on every chunk, ends with an empty-content
	// finish chunk, sends usage as its own chunk only when asked, and sends
	// no headers until the first token exists.
	StyleOllama Style = "ollama"
	// StyleLlamaCpp sends headers at once, no role, and puts usage and
	// timings on the finish chunk whether or not usage was asked for.
	StyleLlamaCpp Style = "llamacpp"
	// StyleOpenAI sends a role-only first chunk, the finish reason on its own
	// chunk, "usage":null on every chunk and a usage chunk when asked.
	StyleOpenAI Style = "openai"
)

// Styles lists the valid styles.
var Styles = []Style{StyleOllama, StyleLlamaCpp, StyleOpenAI}

// Config sets how the simulated model behaves.
type Config struct {
	TTFT         time.Duration // time from receiving a request to its first token
	TokenRate    float64       // tokens per second after the first; <= 0 means no delay
	OutputTokens int           // tokens per answer, capped by max_tokens; 0 means max_tokens
	MaxTokens    int           // answer length when a request sets no max_tokens
	Jitter       float64       // relative jitter (0..1) on TTFT and on every gap
	Style        Style
	Seed         uint64
	NoUsage      bool // never report usage (clients must count tokens themselves)
	// FlushEachToken sends every token in its own write even when the next
	// is already due (by default tokens that are due go out together).
	FlushEachToken bool
	Record         bool // keep a timeline of every request (see Requests)
	Faults         Faults
	// Parallel is how many answers the simulated server generates at once
	// (like OLLAMA_NUM_PARALLEL); later requests queue, silently, and their
	// time to first token grows. 0: no limit.
	Parallel int
	// Models, when set, are the only model names served; others get 404
	// as from Ollama (by default any name is accepted, as llama.cpp does).
	Models []string
	// TokensPerChunk puts this many tokens in each stream chunk, as servers
	// with speculative or multi-step decoding do (0 or 1: one).
	TokensPerChunk int
	// HonourMaxCompletionTokens reads max_completion_tokens as OpenAI does;
	// llama.cpp's server and Ollama ignore it, and so does the simulator by
	// default.
	HonourMaxCompletionTokens bool
	// Metrics serves Prometheus counters at /metrics, named as llama.cpp's
	// server names them.
	Metrics bool
	// LoadTime is how long loading the model takes: the first request (and
	// every ReloadEvery-th, as when options change) waits for it, as with
	// Ollama. 0: always loaded.
	LoadTime    time.Duration
	ReloadEvery int
	// GPUShare is the share of the model in GPU memory that /api/ps reports
	// (Ollama's size_vram / size); 0 means all of it.
	GPUShare float64
	// MaxQueue refuses, with Ollama's 503 "server busy", requests that find
	// this many already waiting for one of the Parallel slots. 0: no limit.
	MaxQueue int
}

// DefaultConfig looks like a small local model: about 150 ms to the first
// token, then about 40 tokens per second, answers as long as max_tokens.
func DefaultConfig() Config {
	return Config{
		TTFT:      150 * time.Millisecond,
		TokenRate: 40,
		MaxTokens: 256,
		Jitter:    0.1,
		Style:     StyleOllama,
		Seed:      1,
		Faults:    NoFaults(),
	}
}
