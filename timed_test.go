package main

import (
	"bufio"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The *.timed.txt fixtures are raw socket captures of real servers: one line
// per recv() with its time since the request was sent and the bytes, as a
// Python bytes repr. Replaying them read by read, with a clock that shows
// each read's capture time, checks that chunks are stamped when their bytes
// arrived, whatever the framing (Ollama sends its last content, finish,
// usage and [DONE] in one read).

var recvLine = regexp.MustCompile(`^\+\s*([0-9.]+)ms\s+\d+B\s+b(['"])(.*)['"]$`)

// readCapture returns the received parts and their arrival times.
func readCapture(t *testing.T, name string) (parts []string, times []time.Duration) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "fixtures", name))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		m := recvLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		msec, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, unrepr(t, m[3]))
		times = append(times, time.Duration(msec*float64(time.Millisecond)))
	}
	return parts, times
}

// unrepr decodes the inside of a Python bytes literal.
func unrepr(t *testing.T, s string) string {
	var out strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			out.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n':
			out.WriteByte('\n')
		case 'r':
			out.WriteByte('\r')
		case 't':
			out.WriteByte('\t')
		case 'x':
			v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				t.Fatalf("bad escape in %q", s)
			}
			out.WriteByte(byte(v))
			i += 2
		default: // \\ \' \"
			out.WriteByte(s[i])
		}
	}
	return out.String()
}

// contentEvents counts the events in one received part that carry a
// non-empty "content", by plain text search (independent of the client).
func contentEvents(part string) int {
	return strings.Count(part, `"content":"`) - strings.Count(part, `"content":""`)
}

func TestReplayTimedCaptures(t *testing.T) {
	for _, name := range []string{
		"ollama-b-stream-raw-timed-small.timed.txt",
		"llamacpp-b-stream-raw-timed-small.timed.txt",
	} {
		t.Run(name, func(t *testing.T) {
			parts, times := readCapture(t, name)
			var want []time.Duration
			for i, p := range parts {
				for range contentEvents(p) {
					want = append(want, times[i])
				}
			}
			base := time.Unix(1_800_000_000, 0)
			r := &stepReader{parts: slices.Clone(parts), times: slices.Clone(times)}
			clock := func() time.Time { return base.Add(r.now) }
			resp, err := readResponseFrom(r)
			if err != nil {
				t.Fatal(err)
			}
			c := testClient(t, true, false)
			c.start, c.now = base, clock
			rec := newRecord(0, true)
			rec.Send, rec.Hdr = 0, c.since(clock())
			c.readResponse(context.Background(), resp, &rec)
			c.settle(&rec)

			if !rec.OK || !rec.DoneSeen {
				t.Fatalf("ok=%v done=%v err=%q; want ok with [DONE]", rec.OK, rec.DoneSeen, rec.Err)
			}
			if !slices.Equal(rec.Chunks, want) {
				t.Errorf("chunk arrivals = %v\nwant %v", rec.Chunks, want)
			}
			if ttft, _ := rec.TTFT(); ttft != want[0] {
				t.Errorf("TTFT = %v; want %v (the read that carried the first token)", ttft, want[0])
			}
			if rec.OutputTokens != 12 || rec.TokenSource != "usage" {
				t.Errorf("tokens = %d from %s; want 12 from usage", rec.OutputTokens, rec.TokenSource)
			}
		})
	}
}

func readResponseFrom(r *stepReader) (*http.Response, error) {
	return http.ReadResponse(bufio.NewReader(r), nil)
}
