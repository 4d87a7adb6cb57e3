package main

import "testing"

// The pool is filled before the clock: every measured request finds its
// connection open, and connect time is reported apart. --cold-connections
// opens them inside the measured window instead.
func TestConnectionsOpenedBeforeTheClock(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name           string
		flags          []string
		before, during int
	}{
		{"warm", nil, 4, 0},
		{"cold", []string{"--cold-connections"}, 0, 4},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc, text := runJSON(t, 0, withSim(slowSim, append([]string{"4", "--stream", "--requests", "8"}, tt.flags...)...)...)
			// The calls before the run (the preflight, the fingerprint) may
			// have left a connection in the pool already.
			if doc.ReadyConnections != tt.before || doc.PreConnections > tt.before || (tt.before > 0) != (doc.PreConnectMs != nil) ||
				doc.NewConnections > tt.during || (tt.during > 0) != (doc.NewConnections > 0) {
				t.Errorf("%d connections open before the clock (%d opened then, connect %v), %d opened during the run; want %d and up to %d",
					doc.ReadyConnections, doc.PreConnections, doc.PreConnectMs, doc.NewConnections, tt.before, tt.during)
			}
			if tt.before > 0 {
				expectText(t, text, "  Connections: 4 open before the clock (", "; during the run 0 opened, 8 reused\n")
			}
		})
	}
}
