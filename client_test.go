package main

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tpsbench/tpsbench/internal/sim"
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
	// Both renderers: the JSON on stdout, the text on stderr.
	out, text := runExpect(t, 1, "1", "--base-url", url, "--api-key", key, "--requests-per-thread", "1", "--json", "-")
	if got.Load() != "Bearer "+key {
		t.Errorf("Authorization = %q; want the key sent as a bearer token", got.Load())
	}
	if strings.Contains(out+text, key) {
		t.Errorf("the API key appears in the output:\n%s%s", out, text)
	}
	doc := decodeSummary(t, out)
	if want := []ErrorCount{{"HTTP 401: Incorrect API key provided: [redacted]", 1}}; !slices.Equal(doc.Errors, want) || doc.Config.APIKey != "[redacted]" {
		t.Errorf("errors %v, key %q; want the server's message with the key redacted", doc.Errors, doc.Config.APIKey)
	}
	expectText(t, text, "  1 x HTTP 401: Incorrect API key provided: [redacted]\n")
}

// llama.cpp's server says Keep-Alive but drops idle connections. A request
// written on such a dead pooled connection, with nothing received, goes out
// again on a fresh one, and counts once.
func TestRetryOnDeadPooledConnection(t *testing.T) {
	t.Parallel()
	var requests atomic.Int32
	var mu sync.Mutex
	served := map[net.Conn]int{} // POSTs answered on each connection
	url := rawServer(t, func(conn net.Conn, _ *http.Request) {
		requests.Add(1)
		mu.Lock()
		served[conn]++
		n := served[conn]
		mu.Unlock()
		if n == 2 {
			conn.Close() // the second request on a connection: drop it unanswered
			return
		}
		body := `{"choices":[{"message":{"content":"hi"},"finish_reason":"stop"}],"usage":{"completion_tokens":1}}`
		fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nKeep-Alive: timeout=5\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	})
	doc, _ := runJSON(t, 0, "1", "--base-url", url, "--requests-per-thread", "3")
	// Requests 2 and 3 each met a dead pooled connection first.
	if r := doc.Requests; r.Sent != 3 || r.OK != 3 || r.Failed != 0 || r.Retried != 2 || requests.Load() != 5 {
		t.Errorf("requests %+v; server saw %d; want 3 ok, 2 of them retried (5 sent: 3 + 2 retries)", r, requests.Load())
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

	out, errOut := runExpect(t, 1, "2", "--base-url", url)
	want := "tpsbench: TLS with " + url + " failed: certificate not trusted: "
	if !strings.HasPrefix(errOut, want) || !strings.HasSuffix(errOut, " (--insecure skips the check)\n") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("self-signed certificate: stderr %q; want a one-line refusal naming TLS and --insecure", errOut)
	}
	if strings.Contains(out, "Results") {
		t.Errorf("a run that reached nothing printed a report:\n%s", out)
	}
	doc, text := runJSON(t, 0, "2", "--base-url", url, "--insecure", "--requests-per-thread", "1")
	if !strings.Contains(text, "\nWARNING: --insecure") || doc.Requests.OK != 2 {
		t.Errorf("--insecure: requests %+v:\n%s", doc.Requests, text)
	}
}

// https:// to a server that speaks plain HTTP is a TLS failure, said so in
// one line, not a server that is not running nor forty failures.
func TestTLSToPlainHTTPServer(t *testing.T) {
	t.Parallel()
	url := strings.Replace(serve(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, okAnswer) }), "http://", "https://", 1)
	_, errOut := runExpect(t, 1, "2", "--base-url", url)
	if want := "tpsbench: TLS with " + url + " failed: the server speaks plain HTTP (use http:// in --base-url)\n"; errOut != want {
		t.Errorf("stderr %q; want %q", errOut, want)
	}
}

// https:// to a server that answers in plain text without an HTTP status
// line as TLS sees it (Python's http.server answers a ClientHello with an
// HTML page and no status line) is a TLS failure too, said in one line.
func TestTLSToServerAnsweringPlainText(t *testing.T) {
	t.Parallel()
	for _, answer := range []string{
		"<!DOCTYPE HTML>\n<html lang=\"en\"><head><title>Error response</title></head><body><p>Error code: 400</p></body></html>\n",
		"HTTP/1.0 400 Bad request\r\nContent-Type: text/html\r\n\r\n<html>Bad request</html>\n",
	} {
		url := "https://" + answerFirstServer(t, answer) + "/v1"
		out, errOut := runExpect(t, 1, "2", "--base-url", url)
		if want := "tpsbench: TLS with " + url + " failed: "; !strings.HasPrefix(errOut, want) ||
			!strings.Contains(errOut, "use http:// in --base-url") || strings.Count(errOut, "\n") != 1 {
			t.Errorf("answer %.20q: stderr %q; want one line naming TLS and http://", answer, errOut)
		}
		if strings.Contains(out, "Results") {
			t.Errorf("answer %.20q: a run that reached nothing printed a report:\n%s", answer, out)
		}
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
	doc, _ := runJSON(t, 1, "1", "--base-url", url, "--api-key", "sk-secret-key", "--requests-per-thread", "2")
	want := []ErrorCount{{"HTTP 307: redirected to " + other.URL + "/v1/chat/completions (not followed: use it as --base-url)", 2}}
	if !slices.Equal(doc.Errors, want) {
		t.Errorf("errors %v; want %v", doc.Errors, want)
	}
	if elsewhere.Load() != 0 {
		t.Errorf("the other host got %d requests; want none", elsewhere.Load())
	}
}

// Every call a run makes to the endpoint (preflight, fingerprint, probe,
// metrics, the benchmark itself) goes through the one helper, so each
// carries the API key and every --header; a --metrics-url on another
// origin gets neither.
func TestEveryCallCarriesKeyAndHeaders(t *testing.T) {
	t.Parallel()
	type seen struct{ path, auth, gateway string }
	var mu sync.Mutex
	var calls, elsewhere []seen
	record := func(into *[]seen, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		*into = append(*into, seen{r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("X-Gateway")})
	}
	metricsText := "# TYPE vllm:generation_tokens_total counter\nvllm:generation_tokens_total 1\n"
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record(&calls, r)
		switch r.URL.Path {
		case "/api/version":
			io.WriteString(w, `{"version":"0.9.0"}`)
		case "/api/ps", "/api/tags":
			io.WriteString(w, `{"models":[]}`)
		case "/api/show", "/api/chat":
			io.WriteString(w, `{}`)
		case "/metrics":
			io.WriteString(w, metricsText)
		case "/v1/chat/completions":
			io.WriteString(w, okAnswer)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(endpoint.Close)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record(&elsewhere, r)
		io.WriteString(w, metricsText)
	}))
	t.Cleanup(other.Close)

	for _, metrics := range []string{endpoint.URL + "/metrics", other.URL + "/metrics"} {
		runExpect(t, 0, "2", "--requests", "2", "--base-url", endpoint.URL+"/v1", "--api-key", "sk-gateway-key",
			"--header", "X-Gateway: let-me-in", "--metrics-url", metrics, "--max-tokens", "1")
	}
	paths := map[string]bool{}
	for _, c := range calls {
		paths[c.path] = true
		if c.auth != "Bearer sk-gateway-key" || c.gateway != "let-me-in" {
			t.Errorf("%s: Authorization %q, X-Gateway %q; want the key and the header", c.path, c.auth, c.gateway)
		}
	}
	for _, p := range []string{"/api/version", "/api/ps", "/api/show", "/api/chat", "/metrics", "/v1/chat/completions"} {
		if !paths[p] {
			t.Errorf("no call to %s; calls: %v", p, calls)
		}
	}
	if len(elsewhere) != 2 {
		t.Errorf("%d scrapes of the other origin; want 2 (before and after)", len(elsewhere))
	}
	for _, c := range elsewhere {
		if c.auth != "" || c.gateway != "" {
			t.Errorf("another origin got Authorization %q, X-Gateway %q; want neither", c.auth, c.gateway)
		}
	}
}

// The origin check is on the URL as written: a port or a longer host name
// is another origin.
func TestSameOrigin(t *testing.T) {
	t.Parallel()
	c := newClient(clientSpec{baseURL: "http://user:pw@host:8000/v1", timeout: time.Second})
	for url, want := range map[string]bool{
		"http://user:pw@host:8000/v1/chat/completions": true,
		"http://user:pw@host:8000/metrics":             true,
		"http://user:pw@host:8000":                     true,
		"http://user:pw@host:8000?x=1":                 true,
		"http://user:pw@host:80000/metrics":            false,
		"http://user:pw@host:8000.evil.example/x":      false,
		"https://user:pw@host:8000/metrics":            false,
		"http://host:9090/metrics":                     false,
	} {
		if got := c.sameOrigin(url); got != want {
			t.Errorf("sameOrigin(%q) = %v; want %v", url, got, want)
		}
	}
}

// A query in --base-url (Azure's ?api-version=...) goes with every call,
// after a path built from the base URL's own: the benchmark's requests,
// either API, the probe's model list and requests, the fingerprint's GETs.
func TestBaseURLQueryKept(t *testing.T) {
	t.Parallel()
	type seen struct{ method, path, query string }
	var mu sync.Mutex
	var calls []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		calls = append(calls, seen{r.Method, r.URL.Path, r.URL.RawQuery})
		mu.Unlock()
		switch {
		case r.URL.Path == "/v1/models":
			io.WriteString(w, `{"object":"list","data":[{"id":"m","object":"model"}]}`)
		case r.Method == http.MethodPost && strings.Contains(string(body), `"stream":true`):
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, chunk("hi")+`data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"completion_tokens":1}}`+"\n\ndata: [DONE]\n\n")
		case r.Method == http.MethodPost:
			io.WriteString(w, `{"choices":[{"text":"hi","message":{"content":"hi"},"finish_reason":"stop"}],"usage":{"completion_tokens":1}}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	const query = "api-version=2024-02-01"
	for _, base := range []string{srv.URL + "/v1?" + query, srv.URL + "/v1/?" + query + "#fragment"} {
		runExpect(t, 0, "1", "--base-url", base, "--model", "m", "--requests", "1", "--probe")
		runExpect(t, 0, "1", "--base-url", base, "--model", "m", "--requests", "1", "--stream", "--api", "completions")
	}
	paths := map[string]bool{}
	for _, c := range calls {
		paths[c.method+" "+c.path] = true
		if c.query != query || strings.Contains(c.path, "?") || strings.Contains(c.path, "//") {
			t.Errorf("%s %s?%s; want the path built from /v1 and the query %s", c.method, c.path, c.query, query)
		}
	}
	for _, want := range []string{"POST /v1/chat/completions", "POST /v1/completions", "GET /v1/models", "GET /api/version"} {
		if !paths[want] {
			t.Errorf("no call %s; calls: %v", want, calls)
		}
	}
}

// A proxy from the environment (HTTP_PROXY) is named in the report's header
// and its fingerprint (and the probe's table), without its credentials; --no-proxy connects
// directly. 0.0.0.0 reaches this machine, yet is not a loopback name that
// net/http would never proxy. The runs are processes of their own: net/http
// reads the environment's proxy settings once per process.
func TestProxyNamedAndBypassed(t *testing.T) {
	t.Parallel()
	var direct, proxied atomic.Int32
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			direct.Add(1)
			io.WriteString(w, okAnswer)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(endpoint.Close)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.IsAbs() { // a request in proxy form
			proxied.Add(1)
			io.WriteString(w, okAnswer)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(proxy.Close)
	base := strings.Replace(endpoint.URL, "127.0.0.1", "0.0.0.0", 1) + "/v1"
	proxyURL := strings.Replace(proxy.URL, "http://", "http://puser:ppass-SECRET@", 1)
	env := []string{"HTTP_PROXY=" + proxyURL, "http_proxy=", "NO_PROXY=", "no_proxy=", "HTTPS_PROXY=", "https_proxy="}

	for _, tt := range []struct {
		name      string
		args      []string
		wantProxy string
		direct    int32
		proxied   int32
	}{
		{"through the proxy", nil, proxy.URL, 0, 1},
		{"--no-proxy", []string{"--no-proxy"}, "", 1, 1},
	} {
		path := testPath(t, "run.json")
		out, errOut, code := runChild(t, env, append([]string{"1", "--requests", "1", "--base-url", base, "--json", path}, tt.args...)...)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", tt.name, code, out, errOut)
		}
		var doc jsonSummary
		readJSON(t, path, &doc)
		all := out + errOut + string(readFile(t, path))
		noneOf(t, all, "puser", "ppass-SECRET")
		if tt.wantProxy != "" {
			expectText(t, out, "Proxy: "+tt.wantProxy+" (from HTTP_PROXY/HTTPS_PROXY", "; proxy "+tt.wantProxy+"\n")
		} else if strings.Contains(out, "Proxy") || strings.Contains(out, "proxy") {
			t.Errorf("%s: a proxy is named:\n%s", tt.name, out)
		}
		if doc.Fingerprint == nil || doc.Fingerprint.Proxy != tt.wantProxy {
			t.Errorf("%s: fingerprint %+v; want proxy %q", tt.name, doc.Fingerprint, tt.wantProxy)
		}
		if direct.Load() != tt.direct || proxied.Load() != tt.proxied {
			t.Errorf("%s: %d requests direct, %d through the proxy so far; want %d and %d", tt.name, direct.Load(), proxied.Load(), tt.direct, tt.proxied)
		}
	}
	out, errOut, code := runChild(t, env, "probe", "--base-url", base)
	if code != 0 || !strings.Contains(out, "Probe of "+base+" through proxy "+proxy.URL+",") || strings.Contains(out+errOut, "ppass-SECRET") {
		t.Errorf("probe: exit %d; want the proxy named, without its password:\n%s%s", code, out, errOut)
	}
}

// dialFailure is the error a dial returns when socket() or connect() fails
// with errno, as net.Dialer words it.
func dialFailure(call string, errno syscall.Errno) error {
	return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError(call, errno)}
}

// Resources this machine ran out of are named as the client's, not as an
// unreachable server.
func TestLocalShortagesNamed(t *testing.T) {
	t.Parallel()
	url := serve(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, okAnswer) })
	tests := []struct {
		err  error
		want string
	}{
		{dialFailure("socket", syscall.EMFILE), "client out of file descriptors: too many open files"},
		{dialFailure("socket", syscall.ENFILE), "client machine out of file descriptors: too many open files in system"},
		{dialFailure("connect", syscall.EADDRNOTAVAIL), "client out of local ports: cannot assign requested address"},
		{dialFailure("socket", syscall.ENOBUFS), "client out of socket buffers: no buffer space available"},
	}
	for _, tt := range tests {
		c := testClientAt(t, url, false, false)
		dialVia(c.Client, func(net.Conn, error) (net.Conn, error) { return nil, tt.err })
		rec := c.Do(t.Context(), 0, []byte(`{}`))
		if rec.FailKind != failLocal || rec.Err != tt.want {
			t.Errorf("%v: %s %q; want %s %q", tt.err, rec.FailKind, rec.Err, failLocal, tt.want)
		}
	}
}

// A local shortage fails its own request only: the run does not stop as
// if the server were unreachable, and the requests in flight go on.
func TestLocalShortageDoesNotStopRun(t *testing.T) {
	t.Parallel()
	cfg := &config{threads: 4, requestsPerThread: 4, maxTokens: 8}
	r, _ := simRunner(t, sim.DefaultConfig(), cfg)
	var dials atomic.Int32
	dialVia(r.client, func(conn net.Conn, err error) (net.Conn, error) {
		if dials.Add(1) == 1 { // the very first connection
			if conn != nil {
				conn.Close()
			}
			return nil, dialFailure("socket", syscall.EMFILE)
		}
		return conn, err
	})
	records, sent, err := r.runPhase(t.Context(), phaseRun{load: measuredPhase(cfg, loadLevel{concurrency: 4})})
	s := summarizeRecords(records, sloBounds{})
	if err != nil || sent != 16 || s.OK != 15 || s.Failed != 1 || s.Cancelled != 0 {
		t.Errorf("%d sent, %d ok, %d failed (%v), %d cancelled, %v; want 16 sent, 15 ok, the one without a descriptor failed", sent, s.OK, s.Failed, s.Errors, s.Cancelled, err)
	}
	if reason, stop := unreachableReason(records[:1]); stop {
		t.Errorf("a local shortage reads as an unreachable server: %s", reason)
	}
}
