package main

import (
	"context"
	"fmt"
	"runtime"
	"strings"

	"github.com/tpsbench/tpsbench/internal/host"
)

// fingerprint says what produced a run's numbers, so that a figure can be
// reproduced, and two runs compared knowing what differed.
type fingerprint struct {
	Tool          string      `json:"tool_version"`
	Server        string      `json:"server"` // Ollama, llama.cpp, vLLM, or unknown
	ServerVersion string      `json:"server_version,omitempty"`
	Model         string      `json:"model"`
	Ollama        *ollamaInfo `json:"ollama,omitempty"`
	OS            string      `json:"client_os"`
	CPU           string      `json:"client_cpu"`
	Cores         int         `json:"client_cores"`
	GPUs          []string    `json:"gpus,omitempty"` // when the endpoint is on this machine
}

// takeFingerprint asks the server what it is (where it answers: Ollama's
// /api/version, llama.cpp's /props, vLLM's /version) and looks at this
// machine; gpus lists local GPUs (nil to skip).
func takeFingerprint(ctx context.Context, cfg *config, c *Client, ollama *ollamaInfo, gpus func() []string) fingerprint {
	fp := fingerprint{Tool: version(), Server: "unknown", Model: cfg.model, OS: runtime.GOOS + "/" + runtime.GOARCH,
		CPU: host.CPUModel(), Cores: runtime.NumCPU(), Ollama: ollama}
	root := serverRoot(cfg.baseURL)
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
		case getJSON(ctx, c.http, root+"/props", &props) && (props["build_info"] != nil || props["total_slots"] != nil):
			fp.Server = "llama.cpp"
			if b, ok := props["build_info"].(string); ok {
				fp.ServerVersion = b
			}
		case getJSON(ctx, c.http, root+"/version", &vllm) && vllm.Version != "":
			fp.Server, fp.ServerVersion = "vLLM", vllm.Version
		}
	}
	if gpus != nil && host.IsLocal(cfg.baseURL) {
		fp.GPUs = gpus()
	}
	return fp
}

func (fp fingerprint) String() string {
	server := fp.Server
	if fp.ServerVersion != "" {
		server += " " + fp.ServerVersion
	}
	model := fp.Model
	if fp.Ollama != nil {
		model += " (" + fp.Ollama.describeModel() + ")"
	}
	gpus := "not looked for (remote endpoint)"
	switch {
	case fp.GPUs != nil && len(fp.GPUs) == 0:
		gpus = "none found"
	case len(fp.GPUs) > 0:
		gpus = strings.Join(fp.GPUs, "; ")
	}
	return fmt.Sprintf("tpsbench %s; server %s; model %s; client %s, %s x%d; GPU %s", fp.Tool, server, model, fp.OS, fp.CPU, fp.Cores, gpus)
}

// differences names what differs between two fingerprints that changes
// the numbers: model build, quantization, server version, GPU.
func (fp fingerprint) differences(other fingerprint) []string {
	var diffs []string
	add := func(what, a, b string) {
		if a != b {
			diffs = append(diffs, fmt.Sprintf("%s (%q vs %q)", what, a, b))
		}
	}
	add("server", fp.Server+" "+fp.ServerVersion, other.Server+" "+other.ServerVersion)
	add("model", fp.Model, other.Model)
	if fp.Ollama != nil && other.Ollama != nil {
		add("model digest", fp.Ollama.Digest, other.Ollama.Digest)
		add("quantization", fp.Ollama.Quantization, other.Ollama.Quantization)
	}
	add("GPU", strings.Join(fp.GPUs, "; "), strings.Join(other.GPUs, "; "))
	return diffs
}
