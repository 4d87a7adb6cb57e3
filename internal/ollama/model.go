package ollama

// Model is one model as /api/ps and /api/tags list it.
type Model struct {
	Name          string  `json:"name"`
	Model         string  `json:"model"`
	Size          int64   `json:"size"`      // bytes; in /api/ps, in memory
	SizeVRAM      int64   `json:"size_vram"` // of Size, bytes in GPU memory (/api/ps)
	Digest        string  `json:"digest"`
	ContextLength int     `json:"context_length"` // /api/ps
	Details       Details `json:"details"`
}

// Details says what a model is, as /api/show, /api/ps and /api/tags give it.
type Details struct {
	Family            string `json:"family"`
	ParameterSize     string `json:"parameter_size"`
	QuantizationLevel string `json:"quantization_level"`
}

// Is reports whether m is the model a request names: by name or model,
// and a name without a tag means the tag "latest", as Ollama reads it.
func (m Model) Is(name string) bool {
	return m.Name == name || m.Model == name || m.Name == name+":latest"
}

// GPUShare is the share of the model in GPU memory (size_vram / size),
// from 0 (all on the CPU) to 1; -1 when the size is unknown.
func (m Model) GPUShare() float64 {
	if m.Size <= 0 {
		return -1
	}
	return float64(m.SizeVRAM) / float64(m.Size)
}

// Info is what a preflight learned of an Ollama server and the model to
// be measured. It is written into a run's fingerprint (JSON) and records
// files, so its JSON names must not change.
type Info struct {
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
