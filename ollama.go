package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/tpsbench/tpsbench/internal/wire"
)

// The Ollama preflight: when the endpoint is Ollama (its /api/version
// answers), say which model build is served and where it sits (GPU or
// CPU), and load it before the run so no measured request pays for that.
// Against any other server it costs one GET that fails quietly.

// ollamaInfo is what the preflight learned.
type ollamaInfo struct {
	Version       string  `json:"version"`
	Loaded        bool    `json:"loaded_before_run"`
	GPUShare      float64 `json:"gpu_share"` // size_vram / size; -1 unknown
	ContextLength int     `json:"context_length,omitempty"`
	Family        string  `json:"family,omitempty"`
	ParameterSize string  `json:"parameter_size,omitempty"`
	Quantization  string  `json:"quantization,omitempty"`
	Digest        string  `json:"digest,omitempty"`
	PreloadS      float64 `json:"preload_s,omitempty"` // how long the preload took
}

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
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, wire.ServerMessage(data))
	}
	if v != nil {
		return json.Unmarshal(data, v)
	}
	return nil
}

type ollamaModel struct {
	Name          string `json:"name"`
	Model         string `json:"model"`
	Size          int64  `json:"size"`
	SizeVRAM      int64  `json:"size_vram"`
	Digest        string `json:"digest"`
	ContextLength int    `json:"context_length"`
	Details       struct {
		Family            string `json:"family"`
		ParameterSize     string `json:"parameter_size"`
		QuantizationLevel string `json:"quantization_level"`
	} `json:"details"`
}

func (m ollamaModel) is(name string) bool {
	return m.Name == name || m.Model == name || m.Name == name+":latest"
}

// ollamaPreflight returns nil when the endpoint is not Ollama.
func ollamaPreflight(ctx context.Context, cfg *config, c *Client, w io.Writer) *ollamaInfo {
	root := serverRoot(cfg.baseURL)
	var version struct {
		Version string `json:"version"`
	}
	if !getJSON(ctx, c.http, root+"/api/version", &version) || version.Version == "" {
		return nil
	}
	info := &ollamaInfo{Version: version.Version, GPUShare: -1}
	var ps struct {
		Models []ollamaModel `json:"models"`
	}
	getJSON(ctx, c.http, root+"/api/ps", &ps)
	for _, m := range ps.Models {
		if m.is(cfg.model) {
			info.Loaded, info.ContextLength, info.Digest = true, m.ContextLength, m.Digest
			if m.Size > 0 {
				info.GPUShare = float64(m.SizeVRAM) / float64(m.Size)
			}
		}
	}
	var show struct {
		Details struct {
			Family            string `json:"family"`
			ParameterSize     string `json:"parameter_size"`
			QuantizationLevel string `json:"quantization_level"`
		} `json:"details"`
	}
	if postJSON(ctx, c, root+"/api/show", map[string]any{"model": cfg.model}, &show) == nil {
		info.Family, info.ParameterSize, info.Quantization = show.Details.Family, show.Details.ParameterSize, show.Details.QuantizationLevel
	}
	if info.Digest == "" {
		var tags struct {
			Models []ollamaModel `json:"models"`
		}
		getJSON(ctx, c.http, root+"/api/tags", &tags)
		for _, m := range tags.Models {
			if m.is(cfg.model) {
				info.Digest = m.Digest
			}
		}
	}

	state := "not loaded"
	if info.Loaded {
		state = "loaded"
	}
	fmt.Fprintf(w, "Ollama %s: model %s (%s), %s\n", info.Version, cfg.model, info.describeModel(), state)
	if !cfg.noPreload {
		start := time.Now()
		var reply struct {
			LoadDuration int64 `json:"load_duration"`
		}
		// A chat with no messages loads the model; keep_alive holds it for the run.
		err := postJSON(ctx, c, root+"/api/chat", map[string]any{"model": cfg.model, "messages": []any{}, "keep_alive": "1h"}, &reply)
		took := time.Since(start)
		if err != nil {
			fmt.Fprintf(w, "Model load: failed (%s); measured requests may pay for it\n", c.redact(err.Error()))
		} else {
			info.PreloadS = took.Seconds()
			fmt.Fprintf(w, "Model load: %.2f s before the run (no measured request pays it; --no-preload to measure a cold start)\n", took.Seconds())
			var after struct {
				Models []ollamaModel `json:"models"`
			}
			getJSON(ctx, c.http, root+"/api/ps", &after)
			for _, m := range after.Models {
				if m.is(cfg.model) && m.Size > 0 {
					info.GPUShare, info.ContextLength = float64(m.SizeVRAM)/float64(m.Size), m.ContextLength
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

func (o *ollamaInfo) describeModel() string {
	var parts []string
	for _, p := range []string{o.Family, o.ParameterSize, o.Quantization} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if o.Digest != "" {
		parts = append(parts, "digest "+o.Digest[:min(12, len(o.Digest))])
	}
	if len(parts) == 0 {
		return "no details"
	}
	return strings.Join(parts, ", ")
}
