package main

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// The JSON summary decodes into exactly the documented shape, with the key
// redacted and units in the names.
func TestJSONSummaryShape(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	cfg := &config{threads: 4, baseURL: "http://u:p@h/v1", model: "m", apiKey: "sk-secret", requestsPerThread: 3, timeout: 120, maxTokens: 16, stream: true, encoding: "cl100k_base"}
	cfg.load.api = apiChat
	done := &finishedRun{cfg: cfg, baseURL: cfg.baseURL, started: time.Unix(0, 0).UTC(), s: summarizeRecords(goldenRecords(), sloBounds{ttft: time.Second})}
	if err := renderJSON(&out, done); err != nil {
		t.Fatal(err)
	}
	doc := decodeSummary(t, out.String())
	if strings.Contains(out.String(), "sk-secret") || doc.Config.APIKey != "[redacted]" || strings.Contains(doc.Config.BaseURL, ":p@") {
		t.Errorf("secrets in the JSON:\n%s", out.String())
	}
	if doc.Requests.Sent != 12 || doc.Requests.OK != 8 || doc.TTFTMs == nil || doc.TTFTMs.CI95 == nil || doc.Goodput == nil || len(doc.Samples.TPS) != 8 {
		t.Errorf("figures missing: %s", out.String())
	}
	if !slices.Contains(doc.TTFTMs.Notes, "p99 rests on 8 samples (fewer than 100)") {
		t.Errorf("no p99 warning in %v", doc.TTFTMs.Notes)
	}
	// Golden, with the build's version masked.
	masked := regexp.MustCompile(`"version": "[^"]*"`).ReplaceAll(out.Bytes(), []byte(`"version": "VERSION"`))
	golden(t, "summary.golden.json", masked)
}
