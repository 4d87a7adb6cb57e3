package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tpsbench/tpsbench/internal/sse"
	"github.com/tpsbench/tpsbench/internal/wire"
)

// The probe asks an endpoint a few tiny questions (4 to 8 tokens each)
// and says what it does, before a benchmark trusts it: is usage reported,
// which length cap is honoured, is the first chunk a role-only one, does one
// chunk carry several tokens, are there server-side timings, a /metrics
// endpoint, a cold start. A normal run sends no such request.

// probeRow is one line of the probe's table.
type probeRow struct {
	Check  string `json:"check"`
	Result string `json:"result"`
	Advice string `json:"advice,omitempty"`
}

// probeReport is what the probe found.
type probeReport struct {
	Endpoint   string     `json:"endpoint"`
	Model      string     `json:"model"`
	Rows       []probeRow `json:"checks"`
	MetricsURL string     `json:"metrics_url,omitempty"`
	metricsRaw string     // MetricsURL unredacted, to scrape
	redact     func(string) string
}

func (p *probeReport) add(check, result, advice string) {
	p.Rows = append(p.Rows, probeRow{check, p.redact(result), advice})
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

// request sends one of the probe's requests, body encoded as JSON.
func (p *prober) request(ctx context.Context, method, url string, body any) (*http.Response, error) {
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return nil, err
		}
	}
	return p.client.call(ctx, method, url, b, p.client.auxHeader)
}

func (p *prober) chatBody(model string, extra map[string]any) map[string]any {
	body := map[string]any{"model": model, "messages": []chatMessage{{Role: "user", Content: "Say hello in a few words."}}, "temperature": 0}
	for k, v := range extra {
		body[k] = v
	}
	return body
}

// streamSeen is what one probing stream showed.
type streamSeen struct {
	ttft         time.Duration
	tokenChunks  int
	roleOnlyHead bool
	completion   int    // the usage's completion_tokens; -1 if not given
	usageWhere   string // "own chunk", "finish chunk", "" (absent)
	reasoning    string // the reasoning field's name, if any
	timings      bool
	done         bool
}

// stream sends a streaming request and reads at most limit token-bearing
// chunks of the answer, decoding them as the benchmark does.
func (p *prober) stream(ctx context.Context, extra map[string]any, limit int) (streamSeen, error) {
	seen := streamSeen{completion: -1}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.timeoutDuration())
	defer cancel()
	body := p.chatBody(p.cfg.model, map[string]any{"stream": true, "stream_options": map[string]any{"include_usage": true}})
	for k, v := range extra {
		body[k] = v
	}
	start := time.Now()
	resp, err := p.request(ctx, http.MethodPost, p.base+"/chat/completions", body)
	if err != nil {
		return seen, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return seen, fmt.Errorf("HTTP %d: %s", resp.StatusCode, wire.ServerMessage(msg))
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
			return seen, fmt.Errorf("malformed chunk: %v", err)
		}
		if seen.reasoning == "" {
			seen.reasoning = chunk.Reasoning
		}
		if first && !chunk.Tokens && chunk.Choices > 0 && chunk.Role {
			seen.roleOnlyHead = true
		}
		if chunk.Tokens {
			if seen.tokenChunks == 0 {
				seen.ttft = events.At().Sub(start)
			}
			if seen.tokenChunks++; seen.tokenChunks >= limit {
				break
			}
		}
		if chunk.Usage.Present {
			seen.completion = chunk.Usage.Completion
			switch {
			case chunk.Choices == 0:
				seen.usageWhere = "own chunk"
			case chunk.Finish != "":
				seen.usageWhere = "finish chunk"
			default:
				seen.usageWhere = "every chunk"
			}
		}
		seen.timings = seen.timings || chunk.Server.Present
	}
	return seen, events.Err()
}

// run asks every question and fills the report; it fails only when the
// endpoint cannot be reached.
func (p *prober) run(ctx context.Context) (*probeReport, error) {
	rep := &probeReport{Endpoint: redactURL(p.base), Model: p.cfg.model, redact: p.client.redact}

	// Reachable, and the model listed?
	resp, err := p.request(ctx, http.MethodGet, p.base+"/models", nil)
	if err != nil {
		return nil, fmt.Errorf("cannot reach %s: %v", redactURL(p.base), rootCause(err))
	}
	var models struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	json.NewDecoder(io.LimitReader(resp.Body, maxWholeBody)).Decode(&models)
	resp.Body.Close()
	rep.add("reachable", fmt.Sprintf("yes (GET /models: HTTP %d)", resp.StatusCode), "")
	var ids []string
	for _, m := range models.Data {
		ids = append(ids, m.ID)
	}
	switch {
	case len(ids) == 0:
		rep.add("model listed", "no model list", "")
	case slices.Contains(ids, p.cfg.model) || slices.Contains(ids, p.cfg.model+":latest"):
		rep.add("model listed", "yes", "")
	default:
		rep.add("model listed", "no: the server lists "+strings.Join(ids, ", "), "check --model")
	}

	// Does an unknown name fail?
	resp, err = p.request(ctx, http.MethodPost, p.base+"/chat/completions", p.chatBody("tpsbench-probe-no-such-model", map[string]any{"max_tokens": 1}))
	if err == nil {
		io.Copy(io.Discard, io.LimitReader(resp.Body, maxWholeBody))
		resp.Body.Close()
		if resp.StatusCode/100 == 2 {
			rep.add("unknown model names", "accepted (HTTP 200)", "a typo in --model would go unnoticed: check the model name yourself")
		} else {
			rep.add("unknown model names", fmt.Sprintf("rejected (HTTP %d)", resp.StatusCode), "")
		}
	}

	// Usage and max_tokens, not streamed.
	resp, err = p.request(ctx, http.MethodPost, p.base+"/chat/completions", p.chatBody(p.cfg.model, map[string]any{"max_tokens": 4}))
	if err != nil {
		rep.add("answer (not streamed)", "failed: "+rootCause(err), "")
	} else {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, maxWholeBody))
		resp.Body.Close()
		var answer wire.Chunk
		wire.Decode(data, &answer, nil)
		switch n := answer.Usage.Completion; {
		case resp.StatusCode/100 != 2:
			rep.add("answer (not streamed)", fmt.Sprintf("HTTP %d: %s", resp.StatusCode, wire.ServerMessage(data)), "check --model and --base-url")
		case n < 0:
			rep.add("usage (not streamed)", "missing", "output tokens will be counted with tiktoken (an estimate)")
		default:
			rep.add("usage (not streamed)", "reported", "")
			if n <= 4 {
				rep.add("max_tokens", fmt.Sprintf("honoured (asked 4, got %d)", n), "")
			} else {
				rep.add("max_tokens", fmt.Sprintf("ignored (asked 4, got %d)", n), "answers will be longer than --max-tokens")
			}
		}
	}

	// The stream: usage, role-only head, reasoning, chunks per token, [DONE].
	first, err := p.stream(ctx, map[string]any{"max_tokens": 8}, 1<<20)
	if err != nil {
		rep.add("stream", "failed: "+err.Error(), "")
	} else {
		switch first.usageWhere {
		case "":
			rep.add("usage (streamed)", "missing, even with stream_options.include_usage", "output tokens will be counted with tiktoken (an estimate)")
		case "own chunk":
			rep.add("usage (streamed)", "on its own chunk with empty choices (as OpenAI, vLLM and Ollama send it)", "")
		case "finish chunk":
			rep.add("usage (streamed)", "on the finish chunk (as llama.cpp's server sends it)", "")
		default:
			rep.add("usage (streamed)", "on every chunk (the last one counts)", "")
		}
		if first.roleOnlyHead {
			rep.add("first chunk", "role only, no token (tpsbench does not stamp TTFT on it)", "")
		} else {
			rep.add("first chunk", "carries a token", "")
		}
		if first.reasoning != "" {
			rep.add("reasoning field", first.reasoning, "TTFT counts reasoning tokens; TTFO is the first answer token")
		} else {
			rep.add("reasoning field", "none seen", "")
		}
		if n := first.completion; n > 0 && first.tokenChunks > 0 {
			per := float64(n) / float64(first.tokenChunks)
			advice := ""
			if per > 1.1 {
				advice = "several tokens per chunk: ITL is per chunk and coarse"
			}
			rep.add("tokens per chunk", fmt.Sprintf("%.1f (%d tokens in %d chunks)", per, n, first.tokenChunks), advice)
		}
		if first.done {
			rep.add("[DONE]", "sent", "")
		} else {
			rep.add("[DONE]", "missing", "streams end on finish_reason instead")
		}
		if first.timings {
			rep.add("server timings", "llama.cpp's timings object", "the report shows the server's decode rate beside the client's")
		}
	}

	// max_completion_tokens: read a few chunks, then hang up.
	if mc, err := p.stream(ctx, map[string]any{"max_completion_tokens": 4}, 24); err == nil {
		if mc.tokenChunks > 4 {
			rep.add("max_completion_tokens", fmt.Sprintf("ignored (asked 4, got %d+ chunks)", mc.tokenChunks), "tpsbench sends max_tokens, which it honours")
		} else {
			rep.add("max_completion_tokens", "honoured", "")
		}
	}

	// Cold start: the first answer's TTFT against the next ones.
	if err == nil && first.ttft > 0 {
		var later []float64
		for range 2 {
			if s, err := p.stream(ctx, map[string]any{"max_tokens": 4}, 1<<20); err == nil && s.ttft > 0 {
				later = append(later, float64(s.ttft))
			}
		}
		if len(later) > 0 {
			median := time.Duration(median(later))
			if first.ttft > 3*median && first.ttft-median > 100*time.Millisecond {
				rep.add("cold start", fmt.Sprintf("first TTFT %s, then %s", first.ttft.Round(time.Millisecond), median.Round(time.Millisecond)), "the model was loading: use --warmup")
			} else {
				rep.add("cold start", fmt.Sprintf("no (first TTFT %s, then %s)", first.ttft.Round(time.Millisecond), median.Round(time.Millisecond)), "")
			}
		}
	}

	// Ollama's native API and a Prometheus endpoint at the server root.
	if v := p.getJSON(ctx, p.root+"/api/version"); v["version"] != nil {
		rep.add("Ollama", fmt.Sprintf("version %v", v["version"]), "--api ollama gives the server's own eval rate and load time")
	}
	if resp, err := p.request(ctx, http.MethodGet, p.root+"/metrics", nil); err == nil {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK && bytes.Contains(b, []byte("# TYPE")) {
			rep.metricsRaw = p.root + "/metrics"
			rep.MetricsURL = redactURL(rep.metricsRaw)
			rep.add("Prometheus /metrics", "found at "+rep.MetricsURL, "--metrics-url (or --probe) adds the server's counters to the report")
		} else {
			rep.add("Prometheus /metrics", "none", "")
		}
	}
	return rep, nil
}

func (p *prober) getJSON(ctx context.Context, url string) map[string]any {
	resp, err := p.request(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var m map[string]any
	if resp.StatusCode == http.StatusOK {
		json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&m)
	}
	return m
}

func writeProbe(w io.Writer, rep *probeReport) {
	fmt.Fprintf(w, "Probe of %s, model %s:\n", rep.Endpoint, rep.Model)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range rep.Rows {
		if r.Advice != "" {
			fmt.Fprintf(tw, "  %s\t%s\t-> %s\n", r.Check, r.Result, r.Advice)
		} else {
			fmt.Fprintf(tw, "  %s\t%s\t\n", r.Check, r.Result)
		}
	}
	tw.Flush()
}
