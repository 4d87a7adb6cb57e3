package main

import (
	"context"
	"time"

	"github.com/tpsbench/tpsbench/internal/ollama"
)

// The Ollama preflight: when the endpoint is Ollama (its /api/version
// answers), learn which model build is served and where it sits (GPU or
// CPU), and load it before the run so no measured request pays for that.
// Against any other server it costs one GET that fails quietly.

// preflight is what the preflight learned and did.
type preflight struct {
	model     string
	info      *ollama.Info
	preloaded bool          // the model was loaded before the run
	loadErr   error         // the preload failed (already redacted)
	took      time.Duration // how long the preload took
	native    bool          // --api ollama: the server's own rates are measured
}

// ollamaPreflight returns nil when the endpoint is not Ollama. Every call
// goes through the run's Client, with its key and headers.
func ollamaPreflight(ctx context.Context, cfg *config, c *Client) *preflight {
	root := serverRoot(c.baseURL)
	version, err := ollama.Version(ctx, c, root)
	if err != nil {
		return nil
	}
	pre := &preflight{model: cfg.model, info: &ollama.Info{Version: c.text(version), GPUShare: -1}, native: cfg.load.api == apiOllama}
	info := pre.info
	running, _ := ollama.Running(ctx, c, root) // a failed call: nothing known to be loaded
	for _, m := range running {
		if m.Is(cfg.model) {
			info.Loaded, info.ContextLength, info.Digest = true, m.ContextLength, c.text(m.Digest)
			if m.Size > 0 {
				info.GPUShare = m.GPUShare()
			}
		}
	}
	if d, err := ollama.Show(ctx, c, root, cfg.model); err == nil {
		info.Family, info.ParameterSize, info.Quantization = c.text(d.Family), c.text(d.ParameterSize), c.text(d.QuantizationLevel)
	}
	if info.Digest == "" {
		tags, _ := ollama.Tags(ctx, c, root)
		for _, m := range tags {
			if m.Is(cfg.model) {
				info.Digest = c.text(m.Digest)
			}
		}
	}
	if !cfg.noPreload {
		pre.preload(ctx, c, root)
	}
	return pre
}

// preload loads the model (a chat with no messages; keep_alive holds it
// for the run) and then reads where it sits.
func (pre *preflight) preload(ctx context.Context, c *Client, root string) {
	start := time.Now()
	err := ollama.Preload(ctx, c, root, pre.model)
	pre.took = time.Since(start)
	if err != nil {
		pre.loadErr = err
		return
	}
	pre.preloaded = true
	pre.info.PreloadS = pre.took.Seconds()
	after, _ := ollama.Running(ctx, c, root)
	for _, m := range after {
		if m.Is(pre.model) && m.Size > 0 {
			pre.info.GPUShare, pre.info.ContextLength = m.GPUShare(), m.ContextLength
		}
	}
}
