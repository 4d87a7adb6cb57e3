package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/tpsbench/tpsbench/internal/sse"
	"github.com/tpsbench/tpsbench/internal/wire"
)

// How a request or a call failed, in the user's words: one classification
// (classify) for the benchmark's requests, whose Records it fills
// (failTransport), and for every call around a run, the probe, the
// preflight, the fingerprint and the metrics scrapes (callError).

// classify returns the class of err, which ended a request or a call
// within ctx, and its words: one line fit to show. bound is the timeout
// ctx was given.
func (c *Client) classify(ctx context.Context, err error, bound time.Duration) (failKind, string) {
	var opErr *net.OpError
	var certErr *tls.CertificateVerificationError
	var recordErr tls.RecordHeaderError
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return failTimeout, fmt.Sprintf("timeout after %s", bound)
	case ctx.Err() != nil:
		return failCancelled, "cancelled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return failConnect, "connection refused"
	case localShortage(err) != "":
		return failLocal, localShortage(err) + ": " + rootCause(err)
	case errors.Is(err, http.ErrSchemeMismatch):
		return failConnect, "TLS failed: the server speaks plain HTTP (use http:// in --base-url)"
	case errors.As(err, &recordErr):
		// The server's first bytes are no TLS record: an HTTP server that
		// answered without a status line (Python's http.server), or any
		// other protocol.
		return failConnect, "TLS failed: the server answered in something other than TLS (plain HTTP? use http:// in --base-url)"
	case errors.As(err, &certErr):
		return failConnect, c.message("TLS certificate not trusted: " + rootCause(err) + " (--insecure skips the check)")
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return failConnect, c.message("cannot connect: " + rootCause(err))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, sse.ErrTruncated):
		return failNetwork, "connection closed by the server"
	case errors.Is(err, sse.ErrLineTooLong), errors.Is(err, sse.ErrTooLarge):
		return failMalformed, err.Error()
	}
	return failNetwork, c.message(rootCause(err))
}

// failTransport fails rec for an error from the connection or the body;
// prefix says where the request was (reading its body, cut mid-answer),
// for every class but a connection never made and a cancel.
func (c *Client) failTransport(ctx context.Context, rec *Record, err error, prefix string) {
	kind, text := c.classify(ctx, err, c.timeout)
	if kind != failConnect && kind != failCancelled {
		text = prefix + text
	}
	rec.fail(kind, text)
}

// callError is how a call around the run failed (no answer, or an answer
// cut short), classified as a request's failure is: its class, and its
// words (callFailed).
type callError struct {
	kind failKind
	text string // one line fit to show
}

func (e *callError) Error() string { return e.text }

// callFailed classifies err, which ended a call within ctx, bounded by
// bound. waiting says the connection was made and the answer not yet
// begun: a bound that runs out then is the server's silence.
func (c *Client) callFailed(ctx context.Context, err error, bound time.Duration, waiting bool) error {
	kind, text := c.classify(ctx, err, bound)
	switch {
	case kind == failCancelled:
		text = "interrupted"
	case kind == failTimeout && waiting:
		text = fmt.Sprintf("no answer within %s", bound)
	}
	return &callError{kind: kind, text: text}
}

// boundBody is the body of a call's answer: a read that fails says why in
// the user's words (callFailed), and closing the body ends the call's
// bound.
type boundBody struct {
	io.ReadCloser
	failed func(error) error
	cancel context.CancelFunc
}

func (b *boundBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = b.failed(err)
	}
	return n, err
}

func (b *boundBody) Close() error {
	defer b.cancel()
	return b.ReadCloser.Close()
}

// refusal words an answer whose status is not 2xx, in one line fit to
// show: where a redirect pointed (not followed, its query's values
// hidden), or the server's message.
func (c *Client) refusal(resp *http.Response, body []byte) string {
	if loc := resp.Header.Get("Location"); resp.StatusCode/100 == 3 && loc != "" {
		return fmt.Sprintf("HTTP %d: redirected to %s (not followed: use it as --base-url)", resp.StatusCode, c.message(redactURL(loc)))
	}
	return c.message(fmt.Sprintf("HTTP %d: %s", resp.StatusCode, wire.ServerMessage(body)))
}

// rootCause drops the "Post URL:" wrapping of url.Error and the dial details
// of net.OpError, which repeat what the report already says. The text is
// whole: it may hold a server's bytes, so it goes through message (or
// secrets.line) before it is shown.
func rootCause(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}

// unreachableReason reports whether no request got through because none could
// connect, and why.
func unreachableReason(records []Record) (string, bool) {
	reason := ""
	for _, r := range records {
		switch r.FailKind {
		case failConnect:
			if reason == "" {
				reason = r.Err
			}
		case failCancelled:
		default:
			return "", false
		}
	}
	return reason, reason != ""
}

// unreachableError says in one line why no request got through: TLS (the
// server is there), or no connection at all.
func unreachableError(baseURL, reason string) error {
	if tls, ok := strings.CutPrefix(reason, "TLS "); ok {
		return fmt.Errorf("TLS with %s failed: %s", redactURL(baseURL), strings.TrimPrefix(tls, "failed: "))
	}
	return fmt.Errorf("cannot reach %s: %s; is the server running?", redactURL(baseURL), reason)
}

// localShortage names what this machine ran out of, when err says it did
// (too many open files, no local port left...): the request failed here,
// not at the server, so it is counted as that request's failure and never
// as an unreachable server. It returns "" for any other error.
func localShortage(err error) string {
	switch {
	case errors.Is(err, syscall.EMFILE):
		return "client out of file descriptors"
	case errors.Is(err, syscall.ENFILE):
		return "client machine out of file descriptors"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "client out of local ports"
	case errors.Is(err, syscall.ENOBUFS), errors.Is(err, syscall.ENOMEM):
		return "client out of socket buffers"
	}
	return ""
}
