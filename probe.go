package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/tpsbench/tpsbench/internal/ollama"
	"github.com/tpsbench/tpsbench/internal/sse"
	"github.com/tpsbench/tpsbench/internal/wire"
)

// The probe asks an endpoint a few tiny questions (4 to 8 tokens each)
// and finds out what it does, before a benchmark trusts it: is usage
// reported, which length cap is honoured, is the first chunk a role-only
// one, does one chunk carry several tokens, are there server-side timings,
// a /metrics endpoint, a cold start. A normal run sends no such request.
// This file only asks; reportprobe.go words what it found.

// The probe's questions and their sizes.
const (
	probeAsked       = 4  // max_tokens or max_completion_tokens of the small questions
	probeStreamCap   = 8  // max_tokens of the first stream
	probeChunkLimit  = 24 // chunks read of the max_completion_tokens stream before hanging up
	probeWarmStreams = 2  // streams after the first, to tell a cold start
	probeNoSuchModel = "tpsbench-probe-no-such-model"
	probeUnlimited   = 1 << 20 // chunk limit of a stream read to its end
	probeMaxAuxBody  = 1 << 20 // bytes read of /metrics and /api/version
)

// usagePlace is where a stream carried its usage object.
type usagePlace int

const (
	usageAbsent      usagePlace = iota // no usage, even with stream_options.include_usage
	usageOwnChunk                      // a chunk of its own with empty choices (OpenAI, vLLM, Ollama)
	usageFinishChunk                   // the chunk with finish_reason (llama.cpp's server)
	usageEveryChunk                    // on token-bearing chunks too (the last one counts)
)

// streamSeen is what one probing stream showed.
type streamSeen struct {
	ttft         time.Duration
	tokenChunks  int
	roleOnlyHead bool
	completion   int        // the usage's completion_tokens; -1 if not given
	usage        usagePlace // where the (last) usage object came
	reasoning    string     // the reasoning field's name, if any
	timings      bool
	done         bool
	whole        bool // the answer came whole (application/json): the server ignores "stream"
}

// plainAnswer is what the non-streamed question got.
type plainAnswer struct {
	err        error  // the request failed
	status     int    // its HTTP status
	message    string // for a status other than 2xx, the answer's line: "HTTP 404: the server's message", where a redirect pointed
	completion int    // the usage's completion_tokens; -1 if not given
}

// probeFacts is everything the probe found, as data.
type probeFacts struct {
	base          string   // the probed .../v1, unredacted
	proxy         string   // the proxy the requests went through, shown without credentials; "" if none
	model         string   // the model asked for
	modelsStatus  int      // HTTP status of GET /models
	models        []string // the ids GET /models listed
	unknownStatus int      // HTTP status of a request naming no such model; 0 if it got no answer
	plain         plainAnswer
	stream        streamSeen    // the first stream (max_tokens 8)
	streamErr     error         // why the first stream failed, if it did
	maxCompletion *streamSeen   // the max_completion_tokens stream; nil if it failed
	warmTTFT      time.Duration // median TTFT of the streams after the first; 0 if not measured
	ollama        bool          // GET /api/version answered with a version
	ollamaVersion string
	metricsAsked  bool   // GET /metrics got an answer
	metricsURL    string // the Prometheus endpoint, unredacted; "" if none was found
}

// prober sends the probe's requests, through the run's one Client.
type prober struct {
	cfg    *config
	client *Client
	base   string // .../v1
	root   string // the server root
}

func newProber(cfg *config, client *Client) *prober {
	return &prober{cfg: cfg, client: client, base: strings.TrimRight(client.baseURL, "/"), root: serverRoot(client.baseURL)}
}

// ask asks every question, in order, and returns what it found; it fails
// only when the endpoint cannot be reached.
func (p *prober) ask(ctx context.Context) (*probeFacts, error) {
	f := &probeFacts{base: p.base, proxy: p.client.proxy, model: p.cfg.model}
	var err error
	if f.modelsStatus, f.models, err = p.listModels(ctx); err != nil {
		return nil, err
	}
	f.unknownStatus = p.unknownModel(ctx)
	f.plain = p.plainAnswer(ctx)
	f.stream, f.streamErr = p.stream(ctx, map[string]any{"max_tokens": probeStreamCap}, probeUnlimited)
	if mc, err := p.stream(ctx, map[string]any{"max_completion_tokens": probeAsked}, probeChunkLimit); err == nil {
		f.maxCompletion = &mc
	}
	if f.streamErr == nil && f.stream.ttft > 0 {
		f.warmTTFT = p.warmTTFT(ctx)
	}
	f.ollamaVersion, f.ollama = p.ollamaVersion(ctx)
	f.metricsAsked, f.metricsURL = p.metrics(ctx)
	return f, nil
}

// reply is the answer to one of the probe's requests.
type reply struct {
	status  int // 0: no answer came
	body    []byte
	refusal string // for a status other than 2xx, its line fit to show (Client.refusal)
}

// exchange sends one of the probe's requests, body encoded as JSON, and
// reads at most limit bytes of the answer, all within --timeout. Its error
// (no answer, or a body cut short) is worded for the user.
func (p *prober) exchange(ctx context.Context, method, url string, body any, limit int64) (reply, error) {
	resp, err := p.client.callJSON(ctx, p.client.timeout, method, url, body, p.client.auxHeader)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	r := reply{status: resp.StatusCode, body: data}
	if r.status/100 != 2 {
		r.refusal = p.client.refusal(resp, data)
	}
	return r, err
}

func (p *prober) chatBody(model string, extra map[string]any) map[string]any {
	body := map[string]any{"model": model, "messages": []chatMessage{{Role: "user", Content: "Say hello in a few words."}}, "temperature": 0}
	for k, v := range extra {
		body[k] = v
	}
	return body
}

// listModels asks GET /models: is the endpoint reachable, and which model
// ids does it list?
func (p *prober) listModels(ctx context.Context) (int, []string, error) {
	var models struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	status, err := p.client.fetchJSON(ctx, p.base+"/models", &models, p.client.timeout, maxWholeBody)
	if status == 0 {
		if failed := (*callError)(nil); errors.As(err, &failed) && failed.kind == failConnect {
			return 0, nil, unreachableError(p.base, failed.text) // as a run says it
		}
		return 0, nil, fmt.Errorf("GET %s/models: %w", redactURL(p.base), err)
	}
	var ids []string
	for _, m := range models.Data {
		ids = append(ids, m.ID)
	}
	return status, ids, nil
}

// unknownModel asks for a model no server has: the answer's HTTP status,
// or 0 when there was none.
func (p *prober) unknownModel(ctx context.Context) int {
	r, _ := p.exchange(ctx, http.MethodPost, p.base+"/chat/completions", p.chatBody(probeNoSuchModel, map[string]any{"max_tokens": 1}), maxWholeBody)
	return r.status
}

// plainAnswer asks for a short answer, not streamed: is usage reported, is
// max_tokens honoured?
func (p *prober) plainAnswer(ctx context.Context) plainAnswer {
	r, err := p.exchange(ctx, http.MethodPost, p.base+"/chat/completions", p.chatBody(p.cfg.model, map[string]any{"max_tokens": probeAsked}), maxWholeBody)
	if err != nil {
		return plainAnswer{err: err, completion: -1}
	}
	var answer wire.Chunk
	wire.Decode(r.body, &answer, nil)
	return plainAnswer{status: r.status, message: r.refusal, completion: answer.Usage.Completion}
}

// stream sends a streaming request and reads at most limit token-bearing
// chunks of the answer, decoding them as the benchmark does, within
// --timeout. Its error is one line fit to show, in the user's words.
func (p *prober) stream(ctx context.Context, extra map[string]any, limit int) (seen streamSeen, err error) {
	seen = streamSeen{completion: -1}
	body := p.chatBody(p.cfg.model, map[string]any{"stream": true, "stream_options": map[string]any{"include_usage": true}})
	for k, v := range extra {
		body[k] = v
	}
	start := time.Now()
	resp, err := p.client.callJSON(ctx, p.client.timeout, http.MethodPost, p.base+"/chat/completions", body, p.client.sseHeader)
	if err != nil {
		return seen, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return seen, errors.New(p.client.refusal(resp, msg))
	}
	if mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mediaType == "application/json" {
		return seen, seen.wholeAnswer(resp.Body) // as the benchmark reads it (Client.readResponse)
	}
	events := sse.NewReader(resp.Body, time.Now)
	var chunk wire.Chunk
	var text []byte
	for first := true; events.Next(); first = false {
		data := events.Data()
		if string(bytes.TrimSpace(data)) == "[DONE]" {
			seen.done = true
			break
		}
		if text, err = wire.Decode(data, &chunk, text[:0]); err != nil {
			return seen, errors.New(p.client.message("malformed chunk: " + err.Error()))
		}
		if seen.note(&chunk, first, events.At().Sub(start), limit) {
			break
		}
	}
	return seen, events.Err()
}

// wholeAnswer notes an answer that came whole, not streamed: its usage.
func (s *streamSeen) wholeAnswer(body io.Reader) error {
	data, err := io.ReadAll(io.LimitReader(body, maxWholeBody))
	if err != nil {
		return err
	}
	var answer wire.Chunk
	if _, err := wire.Decode(data, &answer, nil); err != nil {
		return fmt.Errorf("malformed answer: %v", err)
	}
	s.whole, s.completion, s.timings = true, answer.Usage.Completion, answer.Server.Present
	return nil
}

// note adds one decoded chunk, arrived after since, to what the stream
// showed; it reports true, and stops noting, at the limit-th token-bearing
// chunk.
func (s *streamSeen) note(chunk *wire.Chunk, first bool, since time.Duration, limit int) bool {
	if s.reasoning == "" {
		s.reasoning = chunk.Reasoning
	}
	if first && !chunk.Tokens && chunk.Choices > 0 && chunk.Role {
		s.roleOnlyHead = true
	}
	if chunk.Tokens {
		if s.tokenChunks == 0 {
			s.ttft = since
		}
		if s.tokenChunks++; s.tokenChunks >= limit {
			return true
		}
	}
	if chunk.Usage.Present {
		s.completion = chunk.Usage.Completion
		switch {
		case chunk.Choices == 0:
			s.usage = usageOwnChunk
		case chunk.Finish != "":
			s.usage = usageFinishChunk
		default:
			s.usage = usageEveryChunk
		}
	}
	s.timings = s.timings || chunk.Server.Present
	return false
}

// warmTTFT streams a few more short answers and returns their median TTFT,
// or 0 when none gave one.
func (p *prober) warmTTFT(ctx context.Context) time.Duration {
	var later []float64
	for range probeWarmStreams {
		if s, err := p.stream(ctx, map[string]any{"max_tokens": probeAsked}, probeUnlimited); err == nil && s.ttft > 0 {
			later = append(later, float64(s.ttft))
		}
	}
	if len(later) == 0 {
		return 0
	}
	return time.Duration(median(later))
}

// ollamaVersion asks Ollama's native API at the server root for its version.
func (p *prober) ollamaVersion(ctx context.Context) (string, bool) {
	v, err := ollama.Version(ctx, p.client, p.root)
	return v, err == nil
}

// metrics looks for a Prometheus endpoint at the server root: whether
// GET /metrics got an answer, and its URL if it is one.
func (p *prober) metrics(ctx context.Context) (bool, string) {
	url := p.root + "/metrics"
	r, _ := p.exchange(ctx, http.MethodGet, url, nil, probeMaxAuxBody)
	if r.status == 0 {
		return false, ""
	}
	if r.status == http.StatusOK && bytes.Contains(r.body, []byte("# TYPE")) {
		return true, url
	}
	return true, ""
}
