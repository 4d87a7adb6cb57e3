package main

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TLS certificates are verified unless --insecure, which the report flags.
func TestTLSVerification(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, okAnswer)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are expected
	srv.StartTLS()
	defer srv.Close()
	url := srv.URL + "/v1"

	_, errOut, code := runCLI(t, "2", "--base-url", url)
	if code != 1 || !strings.Contains(errOut, "cannot reach "+url+": TLS certificate not trusted") || !strings.Contains(errOut, "--insecure") {
		t.Errorf("self-signed certificate: exit %d, stderr %q; want a one-line refusal naming --insecure", code, errOut)
	}
	out, _, code := runCLI(t, "2", "--base-url", url, "--insecure", "--requests-per-thread", "1")
	if code != 0 || !strings.Contains(out, "WARNING: --insecure") || !strings.Contains(out, "Samples: 2 ok") {
		t.Errorf("--insecure: exit %d:\n%s", code, out)
	}
}

// A redirect is reported, never followed: the key stays with the endpoint.
func TestRedirectNotFollowed(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		io.WriteString(w, okAnswer)
	}))
	defer other.Close()
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	})
	out, _, code := runCLI(t, "1", "--base-url", url, "--api-key", "sk-secret-key", "--requests-per-thread", "2")
	if code != 1 || !strings.Contains(out, "2 x HTTP 307: redirected to "+other.URL+"/v1/chat/completions (not followed") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if elsewhere.Load() != 0 {
		t.Errorf("the other host got %d requests; want none", elsewhere.Load())
	}
}
