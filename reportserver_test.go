package main

import (
	"strings"
	"testing"
)

// Beside the server's decode rate, the client's says why it is missing: a
// streamed run whose answers came in one chunk is not "not streamed".
func TestServerSideSaysWhyClientFigureMissing(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		streamed bool
		want     string
	}{
		{false, "(client decode TPS median=n/a (not streamed))"},
		{true, "(client decode TPS median=n/a (needs 2+ tokens arriving apart))"},
	} {
		s := Summary{ServerAnswers: 2, Streamed: tt.streamed, ServerDecodeTPS: Dist{N: 2, Mean: 40, Median: 40}}
		var b strings.Builder
		writeServerSide(&b, s)
		if !strings.Contains(b.String(), tt.want) {
			t.Errorf("streamed %v:\n%s\nwant %q", tt.streamed, b.String(), tt.want)
		}
	}
}
