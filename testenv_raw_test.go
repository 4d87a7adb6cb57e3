package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"testing"
)

// More of the shared test environment (testenv_test.go): the program as a
// child process, servers that misbehave below what net/http's server does,
// and a Client's dialing seen or faulted.

// TestMain runs the tests, or, in a child process that mainCommand started,
// the program itself.
func TestMain(m *testing.M) {
	if os.Getenv("TPSBENCH_TEST_AS_MAIN") == "1" {
		main()
	}
	os.Exit(m.Run())
}

// mainCommand is the program, with args, as a child process: for what needs
// a process of its own (signals, children). The test binary plays it, and
// so do its own children (selftest's simulator).
func mainCommand(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "TPSBENCH_TEST_AS_MAIN=1")
	return cmd
}

// runChild runs the program in a process of its own, with env added to
// this one's environment, for what a process reads once (net/http reads
// the proxy settings of its environment once).
func runChild(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := mainCommand(args...)
	cmd.Env = append(cmd.Env, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
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
			}()
		}
	}()
	return "http://" + ln.Addr().String() + "/v1"
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
