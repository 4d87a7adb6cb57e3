package sim

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

// With Models set, Ollama's own endpoints agree with the chats: /api/tags
// lists those models, /api/show and the preload know them (a name without
// a tag meaning ":latest") and answer any other 404, in Ollama's error
// shape, as Ollama does.
func TestOllamaEndpointsKnowOnlyTheModels(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(New(Config{Models: []string{"m:latest", "q:7b"}}))
	defer srv.Close()
	for _, tt := range []struct {
		path, body string
		status     int
		want       string
	}{
		{"/api/show", `{"model":"x"}`, 404, `{"error":"model 'x' not found"}`},
		{"/api/show", `{"model":"m"}`, 200, `"quantization_level":"Q4_K_M"`},
		{"/api/show", `{"model":"q:7b"}`, 200, `"family":"llama"`},
		{"/api/show", `{"model":"llama3.1:8b"}`, 404, `{"error":"model 'llama3.1:8b' not found"}`},
		{"/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"a"}],"max_tokens":1}`, 200, `"content"`},
		{"/api/chat", `{"model":"x","messages":[]}`, 404, `{"error":"model 'x' not found"}`},
		{"/api/chat", `{"model":"m","messages":[]}`, 200, `"done_reason":"load"`},
	} {
		resp, body := send(t, srv, tt.path, tt.body)
		if resp.StatusCode != tt.status || !strings.Contains(body, tt.want) {
			t.Errorf("%s %s: %d %s; want %d with %q", tt.path, tt.body, resp.StatusCode, body, tt.status, tt.want)
		}
	}
	resp, err := srv.Client().Get(srv.URL + "/api/tags")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tags struct {
		Models []struct{ Name string } `json:"models"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tags); err != nil || len(tags.Models) != 2 || tags.Models[0].Name != "m:latest" || tags.Models[1].Name != "q:7b" {
		t.Errorf("/api/tags: %+v, %v; want m:latest and q:7b", tags, err)
	}
}
