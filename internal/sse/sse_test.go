package sse

import (
	"errors"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/tpsbench/tpsbench/internal/testkit"
)

// readAll collects every event's data.
func readAll(r io.Reader) ([]string, error) {
	s := NewReader(r, time.Now)
	var events []string
	for s.Next() {
		events = append(events, string(s.Data()))
	}
	return events, s.Err()
}

func TestSSEReader(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 200_000) // far past bufio.Scanner's 64 KiB
	tests := []struct {
		name string
		in   string
		want []string
		err  error
	}{
		{"one event", "data: {\"a\":1}\n\n", []string{`{"a":1}`}, nil},
		{"no space after colon", "data:{\"a\":1}\n\n", []string{`{"a":1}`}, nil},
		{"only one space dropped", "data:  x\n\n", []string{" x"}, nil},
		{"CRLF", "data: a\r\n\r\ndata: b\r\n\r\n", []string{"a", "b"}, nil},
		{"comments and keep-alives", ": ping\n\n:\ndata: a\n: mid\n\n", []string{"a"}, nil},
		{"event id retry ignored", "event: message\nid: 7\nretry: 100\ndata: a\n\n", []string{"a"}, nil},
		{"multi-line data joined", "data: a\ndata: b\n\n", []string{"a\nb"}, nil},
		{"blank lines without data", "\n\n\n\ndata: a\n\n\n", []string{"a"}, nil},
		{"several events in one read", "data: a\n\ndata: b\n\ndata: [DONE]\n\n", []string{"a", "b", "[DONE]"}, nil},
		{"no trailing blank line", "data: a\n\ndata: b\n", []string{"a", "b"}, nil},
		{"cut mid-line", "data: a\n\ndata: {\"b\"", []string{"a"}, ErrTruncated},
		{"field without colon", "data\n\n", []string{""}, nil},
		{"unknown field", "foo: bar\ndata: a\n\n", []string{"a"}, nil},
		{"very long line", "data: " + long + "\n\n", []string{long}, nil},
		{"empty body", "", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, how := range []struct {
				name string
				wrap func(io.Reader) io.Reader
			}{
				{"whole", func(r io.Reader) io.Reader { return r }},
				{"byte by byte", iotest.OneByteReader},
			} {
				got, err := readAll(how.wrap(strings.NewReader(tt.in)))
				if !slices.Equal(got, tt.want) || !errors.Is(err, tt.err) {
					t.Errorf("%s: parse(%.60q) = %.80q, %v; want %.80q, %v", how.name, tt.in, got, err, tt.want, tt.err)
				}
			}
		})
	}
}

func TestSSEReaderReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader("data: a\n\ndata: b"), iotest.ErrReader(boom))
	got, err := readAll(r)
	if !slices.Equal(got, []string{"a"}) || !errors.Is(err, boom) {
		t.Errorf("got %q, %v; want [a], %v", got, err, boom)
	}
}

// An event's time is when the read that completed it returned, however the
// events are split across reads.
func TestSSEReaderStampsArrival(t *testing.T) {
	t.Parallel()
	base := time.Unix(1000, 0)
	r := testkit.NewStepReader(
		[]string{"data: a\n\nda", "ta: b\n", "\ndata: c\n\ndata: d\n\n"},
		[]time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 30 * time.Millisecond},
	)
	s := NewReader(r, r.Clock(base))
	var got []time.Duration
	for s.Next() {
		got = append(got, s.At().Sub(base))
	}
	want := []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 30 * time.Millisecond, 30 * time.Millisecond}
	if !slices.Equal(got, want) || s.Err() != nil {
		t.Errorf("arrival times = %v, %v; want %v", got, s.Err(), want)
	}
}

func TestSSEReaderLineLimit(t *testing.T) {
	t.Parallel()
	huge := io.MultiReader(strings.NewReader("data: "), io.LimitReader(infiniteX{}, MaxLine+1))
	_, err := readAll(huge)
	if !errors.Is(err, ErrLineTooLong) {
		t.Errorf("err = %v; want %v", err, ErrLineTooLong)
	}
}

// An endless stream of small events is cut at the size limit.
func TestSSEReaderSizeLimit(t *testing.T) {
	t.Parallel()
	events := strings.Repeat("data: {\"x\":1}\n\n", 1000)
	s := NewReader(strings.NewReader(events), time.Now)
	s.limit = 4000
	n := 0
	for s.Next() {
		n++
	}
	if !errors.Is(s.Err(), ErrTooLarge) || n > (4000+4096)/15 { // one read past the limit
		t.Errorf("%d events, err %v; want at most %d, then %v", n, s.Err(), (4000+4096)/15, ErrTooLarge)
	}
}

type infiniteX struct{}

func (infiniteX) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

// FuzzSSEReader: the reader never panics, never reports more events than
// there are data lines, and a [DONE] event's data is exactly that.
func FuzzSSEReader(f *testing.F) {
	// The recorded answers of the fixtures (shared with package main's tests).
	for _, body := range testkit.RecordedBodies(f, filepath.Join("..", "..", "testdata", "fixtures", "*stream*.http")) {
		f.Add(body)
	}
	f.Add([]byte("data: a\r\n\r\n: c\ndata:b\ndata: c\n\ndata: [DONE]\n\n"))
	f.Add([]byte("data: {\"error\":{\"message\":\"x\"}}\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		maxEvents := strings.Count(string(in), "data")
		s := NewReader(iotest.HalfReader(strings.NewReader(string(in))), time.Now)
		n := 0
		for s.Next() {
			n++
			if n > maxEvents {
				t.Fatalf("%d events from %d data fields", n, maxEvents)
			}
		}
	})
}

// An NDJSON reader reports every non-empty line, stamped like an event.
func TestNDJSONReader(t *testing.T) {
	t.Parallel()
	base := time.Unix(1000, 0)
	r := testkit.NewStepReader(
		[]string{"{\"a\":1}\n\n{\"b\"", ":2}\r\n{\"c\":3}\n"},
		[]time.Duration{10 * time.Millisecond, 20 * time.Millisecond},
	)
	s := NewNDJSONReader(r, r.Clock(base))
	var got []string
	var at []time.Duration
	for s.Next() {
		got = append(got, string(s.Data()))
		at = append(at, s.At().Sub(base))
	}
	want := []string{`{"a":1}`, `{"b":2}`, `{"c":3}`}
	wantAt := []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond}
	if !slices.Equal(got, want) || !slices.Equal(at, wantAt) || s.Err() != nil {
		t.Errorf("lines %q at %v, %v; want %q at %v", got, at, s.Err(), want, wantAt)
	}
	// "data:" means nothing in NDJSON, and a cut line is an error too.
	s = NewNDJSONReader(strings.NewReader("data: x\n{\"d\""), time.Now)
	got = got[:0]
	for s.Next() {
		got = append(got, string(s.Data()))
	}
	if !slices.Equal(got, []string{"data: x"}) || !errors.Is(s.Err(), ErrTruncated) {
		t.Errorf("got %q, %v; want [data: x], %v", got, s.Err(), ErrTruncated)
	}
}
