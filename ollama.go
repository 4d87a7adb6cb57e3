package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/tpsbench/tpsbench/internal/ollama"
)

// The Ollama preflight: when the endpoint is Ollama (its /api/version
// answers), say which model build is served and where it sits (GPU or
// CPU), and load it before the run so no measured request pays for that.
// Against any other server it costs one GET that fails quietly.

// serverRoot is the base URL without its /v1.
func serverRoot(baseURL string) string {
	return strings.TrimSuffix(strings.TrimRight(baseURL, "/"), "/v1")
}

// getJSON GETs url into v; it reports whether that worked.
func getJSON(ctx context.Context, client *http.Client, url string, v any) bool {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second) // a server without the endpoint must not hold the run up
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	return resp.StatusCode == http.StatusOK && json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(v) == nil
}

func postJSON(ctx context.Context, c *Client, url string, body, v any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(string(b)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.apiKey)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s", rootCause(err))
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, serverMessage(data))
	}
	if v != nil {
		return json.Unmarshal(data, v)
	}
	return nil
}

// ollamaCaller lets package ollama call the server through getJSON and
// postJSON.
type ollamaCaller struct{ c *Client }

// GetJSON GETs url into v with getJSON.
func (o ollamaCaller) GetJSON(ctx context.Context, url string, v any) error {
	if !getJSON(ctx, o.c.http, url, v) {
		return fmt.Errorf("GET %s: no JSON answer", url)
	}
	return nil
}

// PostJSON POSTs body to url with postJSON, reading the answer into v.
func (o ollamaCaller) PostJSON(ctx context.Context, url string, body, v any) error {
	return postJSON(ctx, o.c, url, body, v)
}

// ollamaPreflight returns nil when the endpoint is not Ollama.
func ollamaPreflight(ctx context.Context, cfg *config, c *Client, w io.Writer) *ollama.Info {
	root, call := serverRoot(cfg.baseURL), ollamaCaller{c}
	version, err := ollama.Version(ctx, call, root)
	if err != nil {
		return nil
	}
	info := &ollama.Info{Version: version, GPUShare: -1}
	running, _ := ollama.Running(ctx, call, root) // a failed call: nothing known to be loaded
	for _, m := range running {
		if m.Is(cfg.model) {
			info.Loaded, info.ContextLength, info.Digest = true, m.ContextLength, m.Digest
			if m.Size > 0 {
				info.GPUShare = m.GPUShare()
			}
		}
	}
	if d, err := ollama.Show(ctx, call, root, cfg.model); err == nil {
		info.Family, info.ParameterSize, info.Quantization = d.Family, d.ParameterSize, d.QuantizationLevel
	}
	if info.Digest == "" {
		tags, _ := ollama.Tags(ctx, call, root)
		for _, m := range tags {
			if m.Is(cfg.model) {
				info.Digest = m.Digest
			}
		}
	}

	state := "not loaded"
	if info.Loaded {
		state = "loaded"
	}
	fmt.Fprintf(w, "Ollama %s: model %s (%s), %s\n", info.Version, cfg.model, describeOllama(info), state)
	if !cfg.noPreload {
		start := time.Now()
		// A chat with no messages loads the model; keep_alive holds it for the run.
		err := ollama.Preload(ctx, call, root, cfg.model)
		took := time.Since(start)
		if err != nil {
			fmt.Fprintf(w, "Model load: failed (%s); measured requests may pay for it\n", c.redact(err.Error()))
		} else {
			info.PreloadS = took.Seconds()
			fmt.Fprintf(w, "Model load: %.2f s before the run (no measured request pays it; --no-preload to measure a cold start)\n", took.Seconds())
			after, _ := ollama.Running(ctx, call, root)
			for _, m := range after {
				if m.Is(cfg.model) && m.Size > 0 {
					info.GPUShare, info.ContextLength = m.GPUShare(), m.ContextLength
				}
			}
		}
	}
	if info.GPUShare >= 0 && info.GPUShare < 0.99 {
		fmt.Fprintf(w, "Advice: %.0f%% of the model is in CPU memory (size_vram / size): it runs partly on the CPU, slower than on the GPU alone\n", 100*(1-info.GPUShare))
	}
	if cfg.load.api != apiOllama {
		fmt.Fprintln(w, "Advice: /v1 gives no server-side rates; --api ollama adds Ollama's own eval rate and load time")
	}
	return info
}
