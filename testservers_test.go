package main

// More of the shared test environment (testenv_test.go): servers to run
// against, from a handler to a raw listener that misbehaves below what
// net/http's server does, and a Client's dialing seen or faulted.

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tpsbench/tpsbench/internal/testkit"
)

// serve starts an httptest server whose handler answers the POSTs; other
// requests (the fingerprint's GETs of /api/version, /props, /version) get
// 404, as from a server that has no such endpoint.
func serve(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

// capturedRequest is what a capture server saw of one request.
type capturedRequest struct {
	path   string
	header http.Header
	body   map[string]any
}

// captureServer answers every POST with answer and keeps what it saw;
// seen returns the requests in the order they came.
func captureServer(t *testing.T, answer string) (url string, seen func() []capturedRequest) {
	t.Helper()
	var mu sync.Mutex
	var got []capturedRequest
	url = serve(t, func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		got = append(got, capturedRequest{r.URL.Path, r.Header.Clone(), body})
		mu.Unlock()
		io.WriteString(w, answer)
	})
	return url, func() []capturedRequest {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}
}

// okAnswer is a whole non-streamed answer of one token.
const okAnswer = `{"choices":[{"message":{"content":"hi"},"finish_reason":"stop"}],"usage":{"completion_tokens":1}}`

// chunk is one streamed chunk (an SSE event) carrying content.
func chunk(content string) string {
	return `data: {"id":"x","choices":[{"index":0,"delta":{"content":"` + content + `"},"finish_reason":null}]}` + "\n\n"
}

// fixtureServer is a fake server that answers "METHOD /path" (with " stream"
// for a streamed request, " unknown" for the probe's unknown model) with the
// recorded response named in routes, and 404 otherwise.
func fixtureServer(t *testing.T, routes map[string]string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		key := r.Method + " " + r.URL.Path
		if strings.Contains(string(body), `"stream":true`) {
			key += " stream"
		}
		if strings.Contains(string(body), "no-such-model") {
			key += " unknown"
		}
		name, ok := routes[key]
		if !ok {
			http.NotFound(w, r)
			return
		}
		testkit.Replay(t, w, fixturePath(name))
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

// stallServer answers "METHOD /path" with the body in answers; any other
// request gets its headers read and then nothing until the client gives
// up, and is announced on the channel returned.
func stallServer(t *testing.T, answers map[string]string) (root string, stalled <-chan string) {
	t.Helper()
	c := make(chan string, 64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Method + " " + r.URL.Path
		if body, ok := answers[key]; ok {
			io.WriteString(w, body)
			return
		}
		io.Copy(io.Discard, r.Body) // so that the client's hanging up ends r's context
		select {
		case c <- key:
		default:
		}
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return srv.URL, c
}

// rawServer is a loopback listener speaking HTTP/1.1 by hand, for what
// net/http's server will not do (end a connection with an RST, drop a
// chunked body's last chunk): each POST goes to respond with its
// connection, which respond may end as it likes; any other request gets
// 404. It returns the base URL (.../v1).
func rawServer(t *testing.T, respond func(conn net.Conn, req *http.Request)) string {
	t.Helper()
	return "http://" + listenLoopback(t, func(conn net.Conn) {
		br := bufio.NewReader(conn)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			io.Copy(io.Discard, req.Body)
			if req.Method != http.MethodPost {
				io.WriteString(conn, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
				continue
			}
			respond(conn, req)
		}
	}) + "/v1"
}

// listenLoopback accepts connections on a loopback port until the test
// ends, each served by serve in its own goroutine and closed after it; it
// returns the host:port.
func listenLoopback(t *testing.T, serve func(conn net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				serve(conn)
			}()
		}
	}()
	return ln.Addr().String()
}

// dialVia makes c's transport dial through wrap: a test's view of, or
// fault in, each connection.
func dialVia(c *Client, wrap func(net.Conn, error) (net.Conn, error)) {
	tr := c.http.Transport.(*http.Transport)
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return wrap(dial(ctx, network, addr))
	}
}

// answerFirstServer is a loopback listener that reads what a client sends
// first (a TLS ClientHello, say: a record header and its length), then
// writes answer and closes the connection: a server that does not speak
// what the client does. It returns the host:port.
func answerFirstServer(t *testing.T, answer string) string {
	t.Helper()
	return listenLoopback(t, func(conn net.Conn) {
		head := make([]byte, 5)
		if _, err := io.ReadFull(conn, head); err != nil {
			return
		}
		io.CopyN(io.Discard, conn, int64(head[3])<<8|int64(head[4]))
		io.WriteString(conn, answer)
	})
}
