package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// What goes on the wire: headers, merged extra body, fixed output, the
// legacy API, prompts from a file.
func TestRequestShape(t *testing.T) {
	t.Parallel()
	url, seen := captureServer(t, `{"choices":[{"text":"hi","message":{"content":"hi"},"finish_reason":"stop"}],"usage":{"completion_tokens":1}}`)
	file := writeFile(t, testPath(t, "p.jsonl"), `{"messages":[{"role":"user","content":"from the file"}]}`)

	runExpect(t, 0, "1", "--base-url", url, "--requests", "1", "--header", "X-Team: perf", "--fixed-output",
		"--extra-body", `{"options":{"num_ctx":4096},"top_p":0.7}`, "--prompts-file", file)
	runExpect(t, 0, "1", "--base-url", url, "--requests", "1", "--api", "completions", "--prompt", "Once")
	reqs := seen()
	if len(reqs) != 2 {
		t.Fatalf("%d requests; want 2", len(reqs))
	}
	chat, legacy := reqs[0].body, reqs[1].body
	if reqs[0].path != "/v1/chat/completions" || reqs[0].header.Get("X-Team") != "perf" {
		t.Errorf("path %q, X-Team %q", reqs[0].path, reqs[0].header.Get("X-Team"))
	}
	msgs, _ := chat["messages"].([]any)
	if len(msgs) != 1 || msgs[0].(map[string]any)["content"] != "from the file" {
		t.Errorf("messages = %v; want the file's", chat["messages"])
	}
	if chat["ignore_eos"] != true || chat["min_tokens"] != float64(128) || chat["top_p"] != 0.7 ||
		chat["options"].(map[string]any)["num_ctx"] != float64(4096) || chat["max_tokens"] != float64(128) {
		t.Errorf("chat body = %v", chat)
	}
	if reqs[1].path != "/v1/completions" || !strings.HasPrefix(legacy["prompt"].(string), "Once ") || legacy["messages"] != nil {
		t.Errorf("legacy: path %q body %v", reqs[1].path, legacy)
	}
}

// The body builder renders the fixed part once; each body must still be
// the JSON of the whole request, the same as encoding it in one go.
func TestBodyBuilderMatchesWholeEncoding(t *testing.T) {
	t.Parallel()
	msgs := withSystem("be terse", `say "hi" \ and </script>`)
	for _, api := range []apiKind{apiChat, apiCompletions, apiOllama} {
		cfg := &config{model: "m", maxTokens: 7, temperature: 0.5, stream: true}
		cfg.load.api = api
		cfg.load.extraBody = map[string]any{"options": map[string]any{"num_ctx": 4096.0}, "top_p": 0.9}
		got, err := newBodyBuilder(cfg).build(msgs)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		if err := json.Unmarshal(got, &body); err != nil {
			t.Fatalf("%s: not JSON: %s", api, got)
		}
		if body["top_p"] != 0.9 || body["options"].(map[string]any)["num_ctx"] != 4096.0 {
			t.Errorf("%s: extra body not merged: %s", api, got)
		}
		switch api {
		case apiCompletions:
			if body["prompt"] != "be terse\n\n"+msgs[1].Content {
				t.Errorf("prompt = %q", body["prompt"])
			}
		default:
			m := body["messages"].([]any)
			if len(m) != 2 || m[1].(map[string]any)["content"] != msgs[1].Content {
				t.Errorf("%s: messages = %v", api, m)
			}
		}
	}
}

// --api ollama sends Ollama's native /api/chat body and reads its counts and
// timings.
func TestOllamaNativeRequest(t *testing.T) {
	t.Parallel()
	var path string
	var body string
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		path = r.URL.Path
		b, _ := io.ReadAll(r.Body)
		body = string(b)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write([]byte(`{"model":"m","message":{"role":"assistant","content":"hi there"},"done":true,"done_reason":"stop","prompt_eval_count":5,"prompt_eval_duration":1000000,"eval_count":2,"eval_duration":20000000,"load_duration":500000}`))
	})
	doc, _ := runJSON(t, 0, "1", "--base-url", url, "--api", "ollama", "--requests", "1", "--max-tokens", "7")
	if path != "/api/chat" || !strings.Contains(body, `"options":{"num_predict":7,"temperature":0.2}`) || !strings.Contains(body, `"stream":false`) {
		t.Errorf("path %q, body %s", path, body)
	}
	if tok := doc.Tokens; tok.Output != 2 || tok.Input == nil || *tok.Input != 5 || tok.FromUsage != 1 || tok.FromTiktoken != 0 {
		t.Errorf("tokens %+v; want 2 from eval_count, 5 from prompt_eval_count", tok)
	}
	// eval_count / eval_duration: 2 tokens in 20 ms.
	if srv := doc.ServerSide; srv == nil || srv.DecodeTPS == nil || srv.DecodeTPS.Mean != 100 {
		t.Errorf("server side %+v; want Ollama's own decode rate, 100 tokens/s", srv)
	}
}
