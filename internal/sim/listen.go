package sim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Running is a simulator serving on a TCP address.
type Running struct {
	// BaseURL is the OpenAI-style base URL, e.g. http://127.0.0.1:41234/v1.
	BaseURL string
	srv     *http.Server
	done    chan struct{} // closed when Serve returns
	err     error         // what Serve returned
}

// Listen serves s on addr ("127.0.0.1:0" for an ephemeral port) until Close.
func (s *Server) Listen(addr string) (*Running, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("simulator: %w", err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	r := &Running{
		BaseURL: "http://" + ln.Addr().String() + "/v1",
		srv:     srv,
		done:    make(chan struct{}),
	}
	go func() {
		r.err = srv.Serve(ln)
		close(r.done)
	}()
	return r, nil
}

// Wait blocks until the server stops serving, or ctx ends.
func (r *Running) Wait(ctx context.Context) error {
	select {
	case <-r.done:
		if errors.Is(r.err, http.ErrServerClosed) {
			return nil
		}
		return r.err
	case <-ctx.Done():
		return nil
	}
}

// Close stops the server at once, cutting any answer still being sent.
func (r *Running) Close() error {
	err := r.srv.Close()
	<-r.done
	return err
}
