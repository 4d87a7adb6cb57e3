package sim

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

// With Models set, Ollama's own endpoints know those models only: the
// others are not found (404, in Ollama's error shape), as from Ollama.
func TestOllamaEndpointsKnowOnlyTheModels(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(New(Config{Models: []string{"m"}}))
	defer srv.Close()
	for _, tt := range []struct {
		path, body string
		status     int
		want       string
	}{
		{"/api/show", `{"model":"x"}`, 404, `{"error":"model 'x' not found"}`},
		{"/api/show", `{"model":"m"}`, 200, `"quantization_level":"Q4_K_M"`},
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
	if err := json.NewDecoder(resp.Body).Decode(&tags); err != nil || len(tags.Models) != 1 || tags.Models[0].Name != "m" {
		t.Errorf("/api/tags: %+v, %v; want the one model m", tags, err)
	}
}
