// Package sse reads the framing of a streamed answer: Server-Sent Events
// (the OpenAI-compatible APIs) or newline-delimited JSON (Ollama's native
// API). It stamps each event with the arrival time of its bytes, and
// allocates nothing per event once its buffers have grown.
package sse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"
)

// MaxLine bounds one line. Real chunks are a few hundred bytes; a limit far
// above any of them (unlike bufio.Scanner's 64 KiB) keeps a broken server
// from eating the client's memory.
const MaxLine = 16 << 20

// MaxStream bounds one streamed answer (about a million tokens): the body
// is not kept, but each token's timestamp and text are.
const MaxStream = 256 << 20

var (
	// ErrLineTooLong means a line went past MaxLine.
	ErrLineTooLong = fmt.Errorf("SSE line longer than %d MiB", MaxLine>>20)
	// ErrTooLarge bounds the memory one endless answer can take (MaxStream).
	ErrTooLarge = fmt.Errorf("answer larger than %d MiB", MaxStream>>20)
	// ErrTruncated means the body ended in the middle of a line.
	ErrTruncated = errors.New("stream ended in the middle of an event")
)

// Reader reads events from a response body, Scanner-style:
//
//	for r.Next() { use(r.Data(), r.At()) }
//	if err := r.Err(); err != nil { ... }
//
// It follows the WHATWG framing that OpenAI-compatible servers use: lines end
// in LF or CRLF; "data:" fields (one optional space after the colon) are
// joined with "\n"; a blank line ends an event; comment lines (":" keep-alives)
// and the event, id and retry fields are skipped. Events without data are not
// reported. Pending data at a clean end of the body is reported as a last
// event, since some servers omit the final blank line. An NDJSON Reader (see
// NewNDJSONReader) reports every non-empty line as one event.
//
// At reports when the bytes that completed an event's data arrived: the time
// of the Read that delivered them, taken as that Read returned, before any
// decoding. The reader only calls Read when no complete line is buffered, so
// every line it finds came with the latest Read.
type Reader struct {
	r      io.Reader
	now    func() time.Time
	buf    []byte
	start  int // buf[start:end] is read but not yet parsed
	end    int
	readAt time.Time // when the latest Read returned bytes

	data    []byte // the current event's data (owned, reused)
	hasData bool
	at      time.Time
	eof     bool
	err     error

	ndjson     bool  // newline-delimited JSON (Ollama's native API): every line is an event
	emptyReads int   // consecutive Reads that returned nothing
	total      int64 // bytes read
	limit      int64 // most bytes to read (MaxStream)
}

// NewReader returns a Reader of the Server-Sent Events in r; now stamps
// each Read's arrival.
func NewReader(r io.Reader, now func() time.Time) *Reader {
	return &Reader{r: r, now: now, buf: make([]byte, 1024), limit: MaxStream}
}

// NewNDJSONReader returns a Reader of newline-delimited JSON (Ollama's
// native stream): every non-empty line is an event.
func NewNDJSONReader(r io.Reader, now func() time.Time) *Reader {
	s := NewReader(r, now)
	s.ndjson = true
	return s
}

// Next advances to the next event that carries data. It returns false at the
// end of the body or on an error (see Err).
func (s *Reader) Next() bool {
	s.data = s.data[:0]
	s.hasData = false
	for {
		line, ok := s.line()
		if !ok {
			// End of body: report data still pending, as if a blank line had
			// followed it.
			return s.hasData && s.err == nil
		}
		if s.ndjson {
			if len(line) == 0 {
				continue
			}
			s.data = append(s.data, line...)
			s.at = s.readAt
			return true
		}
		if len(line) == 0 {
			if s.hasData {
				return true
			}
			continue
		}
		if line[0] == ':' {
			continue // comment or keep-alive
		}
		name, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			name, value = line[:i], line[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		if string(name) != "data" {
			continue // event, id, retry and unknown fields carry nothing we use
		}
		if s.hasData {
			s.data = append(s.data, '\n')
		}
		s.data = append(s.data, value...)
		s.hasData = true
		s.at = s.readAt
	}
}

// Data returns the current event's data; it is valid until the next call to
// Next.
func (s *Reader) Data() []byte { return s.data }

// At returns when the current event's data arrived.
func (s *Reader) At() time.Time { return s.at }

// Err returns the error that ended the stream, or nil at a clean end.
func (s *Reader) Err() error { return s.err }

// line returns the next line without its line ending. The slice aliases the
// read buffer and is valid until the next call.
func (s *Reader) line() ([]byte, bool) {
	for {
		if i := bytes.IndexByte(s.buf[s.start:s.end], '\n'); i >= 0 {
			line := s.buf[s.start : s.start+i]
			s.start += i + 1
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
			return line, true
		}
		if s.eof || s.err != nil {
			if s.start < s.end && s.err == nil {
				s.err = ErrTruncated
			}
			return nil, false
		}
		s.fill()
	}
}

// fill reads once more from the body, making room first.
func (s *Reader) fill() {
	if s.start > 0 {
		s.end = copy(s.buf, s.buf[s.start:s.end])
		s.start = 0
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= MaxLine {
			s.err = ErrLineTooLong
			return
		}
		bigger := make([]byte, 2*len(s.buf))
		copy(bigger, s.buf[:s.end])
		s.buf = bigger
	}
	n, err := s.r.Read(s.buf[s.end:])
	if n > 0 {
		s.readAt = s.now()
		s.end += n
		s.emptyReads = 0
		if s.total += int64(n); s.total > s.limit && err == nil {
			err = ErrTooLarge
		}
	} else if err == nil {
		if s.emptyReads++; s.emptyReads >= 100 {
			err = io.ErrNoProgress
		}
	}
	switch {
	case err == io.EOF:
		s.eof = true
	case err != nil:
		s.err = err
	}
}
