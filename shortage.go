package main

import (
	"errors"
	"syscall"
)

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

// fdMargin is the open files a run needs beside its connections: standard
// streams, output files, the scrapes, Go's own (the network poller).
const fdMargin = 64

// checkOpenFiles refuses, before anything is sent, a concurrency this
// process cannot hold connections for: every request in flight holds a
// file descriptor, two with the simulator in this process (its end of the
// connection too). limit is the process's limit (0: unknown, no check).
// The limit is not raised here: Go already raises the soft limit to the
// hard one as it starts, and only root can raise the hard one.
func checkOpenFiles(inflight int, sim bool, limit uint64) error {
	need := uint64(inflight)
	if sim {
		need *= 2
	}
	need += fdMargin
	if limit == 0 || need <= limit {
		return nil
	}
	return usagef("%d requests in flight need about %d open files, but this process may open %d: raise the limit (ulimit -n %d) or lower the concurrency", inflight, need, limit, need)
}

// inflightMost is the most requests a run has in flight at once: the
// threads (the highest sweep level), the open loop's cap, never more than
// the requests there are.
func (c *config) inflightMost() int {
	n := c.clientSpec("").pool
	if total := c.total(); total > 0 && !c.load.sweeping() {
		n = min(n, total)
	}
	return n
}
