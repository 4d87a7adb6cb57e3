package main

import (
	"context"
	"runtime"
	"slices"
	"strings"

	"github.com/tpsbench/tpsbench/internal/ollama"

	"github.com/tpsbench/tpsbench/internal/host"
)

// fingerprint says what produced a run's numbers, so that a figure can be
// reproduced, and two runs compared knowing what differed.
type fingerprint struct {
	Tool          string       `json:"tool_version"`
	Server        string       `json:"server"` // Ollama, llama.cpp, vLLM, or unknown
	ServerVersion string       `json:"server_version,omitempty"`
	Model         string       `json:"model"`
	Ollama        *ollama.Info `json:"ollama,omitempty"`
	OS            string       `json:"client_os"`
	CPU           string       `json:"client_cpu"`
	Cores         int          `json:"client_cores"`
	GPUs          []string     `json:"gpus,omitempty"` // when the endpoint is on this machine
	// GPUsLooked: the endpoint is on this machine, so its GPUs were looked
	// for (GPUs empty: none found). Files from before it have only GPUs.
	GPUsLooked bool   `json:"gpus_looked_for,omitempty"`
	Proxy      string `json:"proxy,omitempty"` // the proxy requests went through (HTTP_PROXY), without credentials
}

// takeFingerprint asks the server what it is (where it answers: Ollama's
// /api/version, llama.cpp's /props, vLLM's /version) and looks at this
// machine; gpus lists local GPUs (nil to skip).
func takeFingerprint(ctx context.Context, cfg *config, c *Client, ollama *ollama.Info, gpus func() []string) fingerprint {
	fp := fingerprint{Tool: version(), Server: "unknown", Model: cfg.model, OS: runtime.GOOS + "/" + runtime.GOARCH,
		CPU: host.CPUModel(), Cores: runtime.NumCPU(), Ollama: ollama, Proxy: c.proxy}
	root := serverRoot(c.baseURL)
	switch {
	case cfg.sim:
		fp.Server, fp.ServerVersion = "tpsbench simulator", version()
	case ollama != nil:
		fp.Server, fp.ServerVersion = "Ollama", ollama.Version
	default:
		var props map[string]any
		var vllm struct {
			Version string `json:"version"`
		}
		switch {
		case c.GetJSON(ctx, root+"/props", &props) == nil && (props["build_info"] != nil || props["total_slots"] != nil):
			fp.Server = "llama.cpp"
			if b, ok := props["build_info"].(string); ok {
				fp.ServerVersion = c.text(b)
			}
		case c.GetJSON(ctx, root+"/version", &vllm) == nil && vllm.Version != "":
			fp.Server, fp.ServerVersion = "vLLM", c.text(vllm.Version)
		}
	}
	if gpus != nil && host.IsLocal(c.baseURL) {
		fp.GPUs, fp.GPUsLooked = gpus(), true
	}
	return fp
}

// fpDifference is one way two fingerprints differ.
type fpDifference struct{ what, a, b string }

// differences names what differs between two fingerprints that changes
// the numbers: model build, quantization, server version, GPU.
func (fp fingerprint) differences(other fingerprint) []fpDifference {
	var diffs []fpDifference
	add := func(what, a, b string) {
		if a != b {
			diffs = append(diffs, fpDifference{what, a, b})
		}
	}
	add("server", fp.Server+" "+fp.ServerVersion, other.Server+" "+other.ServerVersion)
	add("model", fp.Model, other.Model)
	if fp.Ollama != nil && other.Ollama != nil {
		add("model digest", fp.Ollama.Digest, other.Ollama.Digest)
		add("quantization", fp.Ollama.Quantization, other.Ollama.Quantization)
	}
	add("GPU", strings.Join(fp.GPUs, "; "), strings.Join(other.GPUs, "; "))
	add("proxy", fp.Proxy, other.Proxy)
	return diffs
}

// escaped is the fingerprint with its words escaped (clean), as read from
// a file; nil stays nil.
func (fp *fingerprint) escaped() *fingerprint {
	if fp == nil {
		return nil
	}
	c := *fp
	for _, s := range []*string{&c.Tool, &c.Server, &c.ServerVersion, &c.Model, &c.OS, &c.CPU, &c.Proxy} {
		*s = clean(*s)
	}
	c.GPUs = slices.Clone(c.GPUs)
	for i := range c.GPUs {
		c.GPUs[i] = clean(c.GPUs[i])
	}
	if c.Ollama != nil {
		o := *c.Ollama
		for _, s := range []*string{&o.Version, &o.Family, &o.ParameterSize, &o.Quantization, &o.Digest} {
			*s = clean(*s)
		}
		c.Ollama = &o
	}
	return &c
}
