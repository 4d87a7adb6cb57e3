package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"time"
)

// Connections opened before the clock: a client that opens its
// connections inside the measured window charges the connect (and, at a
// thousand streams, the pile-up of a thousand handshakes) to the server's
// TTFT. So the pool is filled first, one connection per request that may
// be in flight, and their connect time is reported on its own;
// --cold-connections measures a cold client instead.

// openConnections opens n connections to the endpoint and leaves them in
// the Client's pool: n GETs of the model list held open together (each
// answer is read only once all have theirs), so none reuses another's
// connection. It returns how many connections answered (the pool holds
// them: some may have been open already, from the calls before the run)
// and the connect time of each it opened; a server that refuses or closes
// some leaves fewer, which the run then opens as it goes.
func (c *Client) openConnections(ctx context.Context, n int) (int, []time.Duration) {
	var mu sync.Mutex
	var connects []time.Duration
	ready := 0
	var answered, done sync.WaitGroup
	answered.Add(n)
	release := make(chan struct{})
	for range n {
		done.Go(func() {
			var trace connTrace
			traced := httptrace.WithClientTrace(ctx, trace.hooks(c.now))
			resp, err := c.call(traced, min(auxTimeout, c.timeout), http.MethodGet, strings.TrimRight(c.baseURL, "/")+"/models", nil, c.auxHeader)
			answered.Done()
			<-release
			if err != nil {
				return
			}
			io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
			resp.Body.Close()
			trace.mu.Lock()
			opened, connect := trace.conns > 0 && !trace.reused, trace.connect
			trace.mu.Unlock()
			mu.Lock()
			ready++
			if opened {
				connects = append(connects, connect)
			}
			mu.Unlock()
		})
	}
	answered.Wait()
	close(release)
	done.Wait()
	return ready, connects
}
