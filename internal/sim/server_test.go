package sim

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestErrorsAndRoutes(t *testing.T) {
	t.Parallel()
	s := New(Config{})
	srv := httptest.NewServer(s)
	defer srv.Close()
	for _, tt := range []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"POST", "/v1/chat/completions", `{"model":"m","messages":[`, 400, `"type":"invalid_request_error"`},
		{"POST", "/v1/chat/completions", `{"model":"m","messages":[]}`, 400, "messages must not be empty"},
		{"GET", "/v1/chat/completions", "", 405, "use POST"},
		{"POST", "/v1/chat/completion", "{}", 404, "no such path"},
		{"GET", "/v1/models", "", 200, `"object":"list"`},
	} {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.Contains(string(b), tt.want) {
			t.Errorf("%s %s: %d %s; want %d with %q", tt.method, tt.path, resp.StatusCode, b, tt.status, tt.want)
		}
	}
}
