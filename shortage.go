package main

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
