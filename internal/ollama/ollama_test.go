package ollama

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tpsbench/tpsbench/internal/testkit"
)

// caller is a plain Caller over net/http, as a program would supply.
type caller struct{}

func (caller) GetJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	return do(req, v)
}

func (caller) PostJSON(ctx context.Context, url string, body, v any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	return do(req, v)
}

func do(req *http.Request, v any) error {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, data)
	}
	if v == nil {
		return nil
	}
	return json.Unmarshal(data, v)
}

// replay answers each "METHOD /path" with a response recorded from Ollama
// (testdata/*.http, see testdata/INDEX.md) or with a handler; any other
// path gets 404, as from a server that is not Ollama. It returns the
// server's root URL.
func replay(t *testing.T, routes map[string]any) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch route := routes[r.Method+" "+r.URL.Path].(type) {
		case string:
			testkit.Replay(t, w, filepath.Join("testdata", route))
		case http.HandlerFunc:
			route(w, r)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestVersion(t *testing.T) {
	t.Parallel()
	root := replay(t, map[string]any{"GET /api/version": "ollama-api-version.http"})
	if v, err := Version(context.Background(), caller{}, root); v != "0.24.0" || err != nil {
		t.Errorf("Version = %q, %v; want 0.24.0", v, err)
	}
	// Not Ollama: no /api/version, or one that names no version.
	other := replay(t, map[string]any{"GET /api/version": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, `{"version":""}`)
	})})
	for _, root := range []string{replay(t, nil), other} {
		if v, err := Version(context.Background(), caller{}, root); v != "" || err == nil {
			t.Errorf("Version of a server that is not Ollama = %q, %v; want an error", v, err)
		}
	}
}

func TestRunningAndTags(t *testing.T) {
	t.Parallel()
	root := replay(t, map[string]any{"GET /api/ps": "ollama-x-api-ps.http", "GET /api/tags": "ollama-api-tags.http"})
	running, err := Running(context.Background(), caller{}, root)
	if err != nil || len(running) != 2 {
		t.Fatalf("Running = %+v, %v; want the two recorded models", running, err)
	}
	tiny := running[1]
	want := Model{Name: "tiny:latest", Model: "tiny:latest", Size: 36115456, SizeVRAM: 0, ContextLength: 4096,
		Digest:  "bed9e169805247c8d3c3196d44f1c245fdec8a3aab41bcac8862c80a2b5f25a3",
		Details: Details{Family: "llama", ParameterSize: "17.86M", QuantizationLevel: "F16"}}
	if tiny != want {
		t.Errorf("running[1] = %+v; want %+v", tiny, want)
	}
	if g := tiny.GPUShare(); g != 0 {
		t.Errorf("GPUShare = %v; want 0 (size_vram 0: all on the CPU)", g)
	}
	tags, err := Tags(context.Background(), caller{}, root)
	if err != nil || len(tags) != 2 || tags[0].Name != "small:latest" || tags[0].Digest != running[0].Digest || tags[0].Details.ParameterSize != "200.83M" {
		t.Errorf("Tags = %+v, %v; want the two recorded models", tags, err)
	}
	if _, err := Running(context.Background(), caller{}, replay(t, nil)); err == nil {
		t.Error("Running without /api/ps: no error")
	}
}

func TestShow(t *testing.T) {
	t.Parallel()
	var asked string
	// Not recorded: the shape of Ollama's API documentation, cut short.
	show := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req map[string]any
		json.NewDecoder(r.Body).Decode(&req)
		asked, _ = req["model"].(string)
		io.WriteString(w, `{"modelfile":"FROM tiny","parameters":"","template":"{{ .Prompt }}","details":{"parent_model":"","format":"gguf",`+
			`"family":"llama","families":["llama"],"parameter_size":"17.86M","quantization_level":"F16"},"model_info":{"general.architecture":"llama"}}`)
	})
	root := replay(t, map[string]any{"POST /api/show": show})
	d, err := Show(context.Background(), caller{}, root, "tiny")
	if want := (Details{Family: "llama", ParameterSize: "17.86M", QuantizationLevel: "F16"}); d != want || err != nil || asked != "tiny" {
		t.Errorf("Show = %+v, %v (asked for %q); want %+v for tiny", d, err, asked, want)
	}
	if d, err := Show(context.Background(), caller{}, replay(t, nil), "tiny"); err == nil || d != (Details{}) {
		t.Errorf("Show without /api/show = %+v, %v; want no details and an error", d, err)
	}
}

// A preload is a chat with an empty list of messages, held for an hour; a
// model the server does not have fails with the server's own message.
func TestPreload(t *testing.T) {
	t.Parallel()
	var body map[string]any
	// Not recorded: Ollama's documented answer to a load-only chat.
	chat := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("preload body: %v", err)
		}
		io.WriteString(w, `{"model":"tiny","created_at":"2026-11-27T21:36:11Z","message":{"role":"assistant","content":""},"done_reason":"load","done":true}`)
	})
	root := replay(t, map[string]any{"POST /api/chat": chat})
	if err := Preload(context.Background(), caller{}, root, "tiny"); err != nil {
		t.Fatal(err)
	}
	if msgs, ok := body["messages"].([]any); !ok || len(msgs) != 0 || body["model"] != "tiny" || body["keep_alive"] != "1h" || len(body) != 3 {
		t.Errorf("preload body = %v; want model tiny, messages [], keep_alive 1h", body)
	}
	unknown := replay(t, map[string]any{"POST /api/chat": "ollama-i3-api-chat-unknown-model.http"})
	if err := Preload(context.Background(), caller{}, unknown, "no-such-model"); err == nil || !strings.Contains(err.Error(), "model 'no-such-model' not found") {
		t.Errorf("Preload of an unknown model: %v; want the server's message", err)
	}
}

func TestModelIs(t *testing.T) {
	t.Parallel()
	m := Model{Name: "tiny:latest", Model: "tiny:latest"}
	for name, want := range map[string]bool{"tiny": true, "tiny:latest": true, "tiny:q8": false, "small": false, "": false} {
		if m.Is(name) != want {
			t.Errorf("%+v.Is(%q) = %v; want %v", m, name, !want, want)
		}
	}
	if !(Model{Name: "x", Model: "registry/x:7b"}).Is("registry/x:7b") {
		t.Error("a model is not matched by its model field")
	}
}

func TestGPUShare(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		size, vram int64
		want       float64
	}{{100, 100, 1}, {100, 75, 0.75}, {100, 0, 0}, {0, 0, -1}} {
		if g := (Model{Size: tt.size, SizeVRAM: tt.vram}).GPUShare(); g != tt.want {
			t.Errorf("size %d, size_vram %d: GPUShare = %v; want %v", tt.size, tt.vram, g, tt.want)
		}
	}
}

// Info's JSON names are part of the fingerprint written into result files.
func TestInfoJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(Info{Version: "0.24.0", Loaded: true, GPUShare: 0.75, ContextLength: 4096, Family: "llama",
		ParameterSize: "8.0B", Quantization: "Q4_K_M", Digest: "5117a7a8f0d1", PreloadS: 0.25})
	want := `{"version":"0.24.0","loaded_before_run":true,"gpu_share":0.75,"context_length":4096,"family":"llama",` +
		`"parameter_size":"8.0B","quantization":"Q4_K_M","digest":"5117a7a8f0d1","preload_s":0.25}`
	if string(b) != want || err != nil {
		t.Errorf("Info JSON = %s, %v; want %s", b, err, want)
	}
	if b, _ := json.Marshal(Info{GPUShare: -1}); string(b) != `{"version":"","loaded_before_run":false,"gpu_share":-1}` {
		t.Errorf("empty Info JSON = %s", b)
	}
}
