package main

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// The HTML report is well-formed, self-contained, and has one SVG per chart.
func TestHTMLReport(t *testing.T) {
	t.Parallel()
	run := runAndRebuild(t, "--html", "r.html", withSim(fastSim, "--stream", "--sweep-concurrency", "1,2", "--requests-per-thread", "3")...)
	for _, p := range []string{run.live, run.rebuilt} {
		b := readFile(t, p)
		dec := xml.NewDecoder(bytes.NewReader(b))
		svgs := 0
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s is not well-formed: %v", p, err)
			}
			if el, ok := tok.(xml.StartElement); ok && el.Name.Local == "svg" {
				svgs++
			}
		}
		// TPS histogram; TTFT, TPOT, E2E CDFs; ITL; in flight; tokens/s; sweep.
		if svgs != 8 {
			t.Errorf("%s: %d charts; want 8", p, svgs)
		}
		if s := string(b); strings.Contains(s, "<script") || strings.Contains(s, "src=") || strings.Contains(s, "href=") {
			t.Errorf("%s loads something from outside", p)
		}
	}
}
