package main

import (
	"testing"
	"time"

	"github.com/tpsbench/tpsbench/internal/sim"
)

// The test environment: how tests build what a run builds, the way a run
// builds it.

// replayClient is a Client for replaying recorded responses, not for
// sending, with the token policy a run settles its Records with.
type replayClient struct {
	*Client
	tokens *tokenPolicy
}

func (c *replayClient) settle(rec *Record) { c.tokens.settle(rec) }

// testClient returns a replayClient; force is --force-tiktoken.
func testClient(t testing.TB, stream, force bool) *replayClient {
	t.Helper()
	counter, err := newTiktokenCounter("cl100k_base")
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(clientSpec{baseURL: "http://127.0.0.1:1/v1", apiKey: "sk-test-secret", timeout: time.Minute, stream: stream})
	return &replayClient{Client: c, tokens: &tokenPolicy{counter: counter, force: force}}
}

// testRunner returns a runner for cfg against baseURL, wired as a run
// wires it: its plan's bodies and token policy, its configured Client.
func testRunner(t testing.TB, cfg *config, baseURL string) *runner {
	t.Helper()
	if cfg.load.api == "" {
		cfg.load.api = apiChat
	}
	p, err := newPlan(cfg)
	if err != nil {
		t.Fatal(err)
	}
	client := newClient(cfg.clientSpec(baseURL))
	t.Cleanup(client.http.CloseIdleConnections)
	return &runner{client: client, tokens: p.tokens, body: p.body}
}

// simRunner starts a simulator and returns a runner against it.
func simRunner(t *testing.T, simCfg sim.Config, cfg *config) *runner {
	t.Helper()
	running, err := sim.New(simCfg).Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { running.Close() })
	cfg.model, cfg.apiKey, cfg.encoding, cfg.prompt = "m", "k", "cl100k_base", "hi"
	if cfg.timeout == 0 {
		cfg.timeout = 30
	}
	return testRunner(t, cfg, running.BaseURL)
}
