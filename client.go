package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// maxErrorBody bounds how much of an error response is read for its message.
const maxErrorBody = 64 << 10

// Client sends requests to one OpenAI-compatible endpoint: the benchmark's
// chat completions, each turned into a Record, and every other call a run
// makes (probe, preflight, fingerprint, metrics), all through call. It is
// safe for concurrent use.
type Client struct {
	http      *http.Client
	baseURL   string // the endpoint, up to /v1, without its query
	query     string // the query of --base-url (Azure's api-version=...), sent with every call to the origin
	origin    string // scheme://host of the endpoint: credentials go nowhere else
	endpoint  string // .../chat/completions (or /completions, /api/chat), with the query
	apiKey    string
	secrets   secrets // the key and --header values, never shown
	proxy     string  // the proxy requests to the endpoint go through, shown without credentials; "" if none
	timeout   time.Duration
	maxTokens int  // asked of every request, kept in each Record
	fixed     bool // every request asks for exactly maxTokens (--fixed-output)
	native    bool // Ollama's native API (--api ollama): NDJSON streams
	stream    bool
	start     time.Time   // run start: Record times are offsets from it
	header    http.Header // of every benchmark request, built once
	auxHeader http.Header // of every other call
	sseHeader http.Header // of a streamed call that is not the benchmark's (the probe's)
	now       func() time.Time
	tokens    *tokenPolicy // what answer text to keep for counting; nil: none
	// arrived counts the token-bearing chunks read so far, across
	// requests, as they arrive: the progress line's tokens/s.
	arrived atomic.Int64
}

// clientSpec is all a Client needs to know, taken from the configuration
// once.
type clientSpec struct {
	baseURL   string // up to /v1
	api       apiKind
	apiKey    string
	keyIsStub bool        // apiKey is the placeholder sent when none was given: no secret
	headers   http.Header // --header, set on every call to the endpoint
	timeout   time.Duration
	maxTokens int
	fixed     bool // --fixed-output, as sent (not with --api ollama)
	stream    bool
	insecure  bool
	noProxy   bool         // connect directly, whatever HTTP_PROXY says
	pool      int          // connections to keep: the most requests in flight
	tokens    *tokenPolicy // the run's token policy, which rules what answer text is kept
}

// newClient builds the one Client of a run, its pool sized to the
// requests in flight.
func newClient(spec clientSpec) *Client {
	proxy := http.ProxyFromEnvironment
	if spec.noProxy {
		proxy = nil
	}
	base, query := splitQuery(spec.baseURL)
	c := &Client{
		http:      &http.Client{Transport: newTransport(spec.pool, spec.insecure, proxy), CheckRedirect: noRedirects},
		baseURL:   base,
		query:     query,
		origin:    originOf(base),
		endpoint:  withQuery(endpoint(base, spec.api), query),
		proxy:     proxyFor(proxy, endpoint(base, spec.api)),
		native:    spec.api == apiOllama,
		apiKey:    spec.apiKey,
		secrets:   newSecrets(spec.apiKey, spec.keyIsStub, spec.headers),
		timeout:   spec.timeout,
		maxTokens: spec.maxTokens,
		fixed:     spec.fixed,
		stream:    spec.stream,
		start:     time.Now(),
		now:       time.Now,
		tokens:    spec.tokens,
	}
	c.auxHeader = requestHeader(spec.apiKey, spec.headers, "application/json")
	c.sseHeader = requestHeader(spec.apiKey, spec.headers, "text/event-stream")
	c.header = c.auxHeader
	if spec.stream {
		c.header = c.sseHeader
	}
	return c
}

// endpoint is where requests go: under the /v1 base URL, or for Ollama's
// native API at the server root.
func endpoint(baseURL string, api apiKind) string {
	switch api {
	case apiCompletions:
		return strings.TrimRight(baseURL, "/") + "/completions"
	case apiOllama:
		return serverRoot(baseURL) + "/api/chat"
	}
	return strings.TrimRight(baseURL, "/") + "/chat/completions"
}

// serverRoot is the base URL without its /v1: where Ollama's native API,
// llama.cpp's /props, vLLM's /version and /metrics live.
func serverRoot(baseURL string) string {
	return strings.TrimSuffix(strings.TrimRight(baseURL, "/"), "/v1")
}

// splitQuery parts a base URL from its query (the fragment, never sent,
// is dropped), so that paths are built on the base and the query put
// back after them: /v1?api-version=x gives /v1/chat/completions?api-version=x.
func splitQuery(raw string) (base, query string) {
	raw, _, _ = strings.Cut(raw, "#")
	base, query, _ = strings.Cut(raw, "?")
	return base, query
}

// withQuery puts query on url, unless url has one of its own.
func withQuery(url, query string) string {
	if query == "" || strings.ContainsRune(url, '?') {
		return url
	}
	return url + "?" + query
}

// originOf is a URL's scheme://authority as written, or "" when it has
// none.
func originOf(raw string) string {
	_, rest, ok := strings.Cut(raw, "://")
	if !ok || rest == "" {
		return ""
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		return raw[:len(raw)-len(rest)+i]
	}
	return raw
}

// sameOrigin reports whether url is on the endpoint's origin.
func (c *Client) sameOrigin(url string) bool {
	return c.origin != "" && strings.HasPrefix(url, c.origin) &&
		(len(url) == len(c.origin) || strings.IndexByte("/?#", url[len(c.origin)]) >= 0)
}

// requestHeader is a header every call carries: one map clone per request
// instead of a canonicalizing Set per field.
func requestHeader(apiKey string, extra http.Header, accept string) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Accept", accept)
	if apiKey != "" {
		h.Set("Authorization", "Bearer "+apiKey)
	}
	for name, values := range extra {
		h[name] = values
	}
	// A nil Idempotency-Key is not sent, but marks the POST replayable:
	// when a pooled connection turns out dead before anything came back
	// (llama.cpp's server closes kept-alive connections), net/http sends
	// the request again on another connection instead of failing it.
	h["Idempotency-Key"] = nil
	return h
}

// call sends one request: every call tpsbench makes goes through here
// (the benchmark's own requests through newRequest, built before their
// t_send). The API key, every --header and the query of --base-url go with
// it when the URL is on the endpoint's origin, and never elsewhere (a
// --metrics-url on another host gets none). The call, the answer's body
// included, is bounded by bound, which closing the body ends; its errors,
// reading the body's too, say what happened in the user's words
// (callFailed).
func (c *Client) call(ctx context.Context, bound time.Duration, method, url string, body []byte, header http.Header) (*http.Response, error) {
	if c.sameOrigin(url) {
		url = withQuery(url, c.query)
	} else {
		header = otherOrigin
	}
	ctx, cancel := context.WithTimeout(ctx, bound)
	var connected atomic.Bool
	traced := httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { connected.Store(true) }})
	req, err := newRequest(traced, method, url, body, header)
	if err != nil {
		cancel()
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		err = c.callFailed(ctx, err, bound, connected.Load())
		cancel()
		return nil, err
	}
	failed := func(err error) error { return c.callFailed(ctx, err, bound, false) }
	resp.Body = &boundBody{ReadCloser: resp.Body, failed: failed, cancel: cancel}
	return resp, nil
}

// otherOrigin is the header of a call off the endpoint's origin: no key,
// no --header.
var otherOrigin = http.Header{"Accept": {"application/json"}}

// newRequest builds a request carrying a copy of header.
func newRequest(ctx context.Context, method, url string, body []byte, header http.Header) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	req.Header = header.Clone()
	return req, nil
}

// auxTimeout bounds a GET of a server's side endpoint (version, props,
// model list): a server without it must not hold the run up.
const auxTimeout = 3 * time.Second

// GetJSON GETs url and decodes its JSON into v (at most 4 MiB), within
// auxTimeout and the run's --timeout; any status but 200 is an error.
func (c *Client) GetJSON(ctx context.Context, url string, v any) error {
	status, err := c.fetchJSON(ctx, url, v, min(auxTimeout, c.timeout), 4<<20)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("HTTP %d", status)
	}
	return err
}

// fetchJSON GETs url within timeout, decodes the answer (at most limit
// bytes) only when its status is 200, and returns the status: 0 when no
// answer came.
func (c *Client) fetchJSON(ctx context.Context, url string, v any, timeout time.Duration, limit int64) (int, error) {
	resp, err := c.call(ctx, timeout, http.MethodGet, url, nil, c.auxHeader)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}
	return resp.StatusCode, json.NewDecoder(io.LimitReader(resp.Body, limit)).Decode(v)
}

// callJSON sends one call with body encoded as JSON (nil: no body) and
// the header given (auxHeader, or sseHeader for a stream), within bound.
func (c *Client) callJSON(ctx context.Context, bound time.Duration, method, url string, body any, header http.Header) (*http.Response, error) {
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("encoding the request body: %w", err)
		}
	}
	return c.call(ctx, bound, method, url, b, header)
}

// PostJSON POSTs body as JSON to url and decodes the answer into v (nil:
// ignore it), within the run's --timeout.
func (c *Client) PostJSON(ctx context.Context, url string, body, v any) error {
	resp, err := c.callJSON(ctx, c.timeout, http.MethodPost, url, body, c.auxHeader)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	switch {
	case resp.StatusCode != http.StatusOK:
		return &statusError{status: resp.StatusCode, text: c.refusal(resp, data)}
	case err != nil:
		return err
	case v != nil:
		return json.Unmarshal(data, v)
	}
	return nil
}

// statusError is a call the server answered with a status other than 200:
// the status to decide on, the line (redacted and escaped) to show.
type statusError struct {
	status int
	text   string
}

func (e *statusError) Error() string { return e.text }

// newTransport returns a Transport whose pool keeps one idle connection per
// worker, so connections are reused instead of re-dialled (Go's default
// keeps 2 per host). Compression is off so streams arrive as sent, and
// there is no overall timeout: a per-request context bounds each request.
// proxy picks a request's proxy (nil: none).
func newTransport(concurrency int, insecure bool, proxy func(*http.Request) (*url.URL, error)) *http.Transport {
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 proxy,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          concurrency + 16,
		MaxIdleConnsPerHost:   concurrency + 16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   30 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
		WriteBufferSize:       1 << 10, // requests are small; 10,000 connections add up
		TLSClientConfig:       &tls.Config{InsecureSkipVerify: insecure},
	}
}

// proxyFor is the proxy that a request to endpoint goes through, as proxy
// picks it (HTTP_PROXY, HTTPS_PROXY and NO_PROXY, read by net/http), shown
// without its user info: "" when there is none.
func proxyFor(proxy func(*http.Request) (*url.URL, error), endpoint string) string {
	u, err := url.Parse(endpoint)
	if proxy == nil || err != nil {
		return ""
	}
	p, err := proxy(&http.Request{URL: u})
	if err != nil || p == nil {
		return ""
	}
	p.User = nil
	return redactURL(p.String())
}

// noRedirects keeps requests, and the API key with them, at the endpoint
// under test: a redirect is reported, not followed.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func (c *Client) since(t time.Time) time.Duration { return t.Sub(c.start) }

// maxMessage is the length a server's message is cut to, in bytes.
const maxMessage = 200

// message is text that may hold a server's words (an error message, a
// transport error), as one line fit to show: secrets redacted, cut to
// maxMessage, control characters escaped.
func (c *Client) message(s string) string { return c.secrets.line(s, maxMessage) }

// text is a server's word (a version, a model name) fit to show whole:
// secrets redacted, control characters escaped.
func (c *Client) text(s string) string { return clean(c.secrets.redact(s)) }
