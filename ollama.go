package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

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
	loadCut   bool          // the preload was interrupted (Ctrl-C)
	took      time.Duration // how long the preload took
	native    bool          // --api ollama: the server's own rates are measured
}

// ollamaPreflight returns nil when the endpoint is not Ollama, and a
// usage error when the run cannot work there (ollamaCheck). Every call
// goes through the run's Client, with its key and headers.
func ollamaPreflight(ctx context.Context, cfg *config, c *Client) (*preflight, error) {
	root := serverRoot(c.baseURL)
	version, err := ollamaCheck(ctx, cfg, c, []string{cfg.model})
	if version == "" || err != nil {
		return nil, err
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
	return pre, nil
}

// ollamaCheck returns Ollama's version, or "" when the endpoint is not
// Ollama. Against Ollama it refuses, before any request is sent, what would
// make every request fail with a 404: a base URL without /v1 (unless
// --api ollama), or a model the server does not have (Show answers 404, and
// /api/tags lacks it), saying what it has.
func ollamaCheck(ctx context.Context, cfg *config, c *Client, models []string) (string, error) {
	root := serverRoot(c.baseURL)
	version, err := ollama.Version(ctx, c, root)
	if err != nil {
		return "", nil
	}
	if u, err := url.Parse(c.baseURL); err == nil && cfg.load.api != apiOllama && !strings.HasSuffix(strings.TrimRight(u.Path, "/"), "/v1") {
		return version, usagef("the Ollama server at %s serves its OpenAI-compatible API under /v1: use --base-url %s (or --api ollama for its native API)",
			redactURL(c.baseURL), redactURL(withQuery(strings.TrimRight(c.baseURL, "/")+"/v1", c.query)))
	}
	var tags []ollama.Model
	var tagsErr error
	listed := false
	for _, model := range models {
		var answered *statusError
		if _, err := ollama.Show(ctx, c, root, model); !errors.As(err, &answered) || answered.status != http.StatusNotFound {
			continue // shown, or no answer to judge by: the run will tell
		}
		if !listed {
			tags, tagsErr = ollama.Tags(ctx, c, root)
			listed = true
		}
		if tagsErr == nil && !slices.ContainsFunc(tags, func(m ollama.Model) bool { return m.Is(model) }) {
			return version, missingModel(c.baseURL, model, tags)
		}
	}
	return version, nil
}

// missingModel says that the server lacks model, what it has (the first
// ten names), and how to get the model or use another.
func missingModel(baseURL, model string, has []ollama.Model) error {
	if len(has) == 0 {
		return usagef("the Ollama server at %s does not have the model %s; it has no model: run 'ollama pull %s'", redactURL(baseURL), model, model)
	}
	var names []string
	for _, m := range has[:min(len(has), 10)] {
		names = append(names, printable(m.Name))
	}
	if len(has) > 10 {
		names = append(names, fmt.Sprintf("and %d more", len(has)-10))
	}
	return usagef("the Ollama server at %s does not have the model %s; it has %s: run 'ollama pull %s', or use --model %s",
		redactURL(baseURL), model, strings.Join(names, ", "), model, names[0])
}

// printable is s as it is, or quoted when it holds a character a terminal
// would not print as such (a server's text is not trusted).
func printable(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}

// preload loads the model (a chat with no messages; keep_alive holds it
// for the run) and then reads where it sits.
func (pre *preflight) preload(ctx context.Context, c *Client, root string) {
	start := time.Now()
	err := ollama.Preload(ctx, c, root, pre.model)
	pre.took = time.Since(start)
	if err != nil {
		pre.loadErr, pre.loadCut = err, ctx.Err() != nil
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
