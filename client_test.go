package main

import (
	"bufio"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// The API key is sent, but never printed, even when the server echoes it.
func TestAPIKeyNeverPrinted(t *testing.T) {
	t.Parallel()
	const key = "sk-very-secret-key-123"
	var got atomic.Value
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Get("Authorization"))
		w.WriteHeader(401)
		fmt.Fprintf(w, `{"error":{"message":"Incorrect API key provided: %s"}}`, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	})
	out, errOut := runExpect(t, 1, "1", "--base-url", url, "--api-key", key, "--requests-per-thread", "1")
	if got.Load() != "Bearer "+key {
		t.Errorf("Authorization = %q; want the key sent as a bearer token", got.Load())
	}
	if strings.Contains(out+errOut, key) {
		t.Errorf("the API key appears in the output:\n%s%s", out, errOut)
	}
	if !strings.Contains(out, "HTTP 401: Incorrect API key provided: [redacted]") {
		t.Errorf("want the server's message with the key redacted:\n%s", out)
	}
}

// llama.cpp's server says Keep-Alive but drops idle connections. A request
// written on such a dead pooled connection, with nothing received, goes out
// again on a fresh one, and counts once.
func TestRetryOnDeadPooledConnection(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var requests atomic.Int32
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				br := bufio.NewReader(conn)
				for served := 0; ; served++ {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					io.Copy(io.Discard, req.Body)
					if req.Method != http.MethodPost { // the fingerprint's GETs
						io.WriteString(conn, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
						served--
						continue
					}
					requests.Add(1)
					if served == 1 {
						return // the second request on a connection: drop it unanswered
					}
					body := `{"choices":[{"message":{"content":"hi"},"finish_reason":"stop"}],"usage":{"completion_tokens":1}}`
					fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nKeep-Alive: timeout=5\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
				}
			}()
		}
	}()
	out, errOut, code := runCLI(t, "1", "--base-url", "http://"+ln.Addr().String()+"/v1", "--requests-per-thread", "3")
	if code != 0 || !strings.Contains(out, "Samples: 3 ok / 0 failed (total 3)\n") {
		t.Fatalf("exit %d; want 3 ok:\n%s%s", code, out, errOut)
	}
	// Requests 2 and 3 each met a dead pooled connection first.
	if !strings.Contains(out, "Retried: 2 sent again") || requests.Load() != 5 {
		t.Errorf("server saw %d requests; want 5 (3 + 2 retries) and the report to say so:\n%s", requests.Load(), out)
	}
}

// TLS certificates are verified unless --insecure, which the report flags.
func TestTLSVerification(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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
