package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"
)

// Text that tpsbench did not write (a server's error message, version or
// model name, a records file's contents) is shown with its control
// characters escaped, the way strconv.Quote writes them: an escape
// sequence in it cannot retitle or clear the terminal, a newline cannot
// forge a line of the report, a bidi override cannot reorder it, and no
// character XML forbids reaches the HTML report.

// unsafeRune reports whether r must not be shown as it is: C0 controls,
// DEL, C1 controls, bidi controls, XML's non-characters, and the
// replacement rune decoding gives a byte that is not UTF-8.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true // bidi marks, embeddings, overrides and isolates
	case r == 0xfffe, r == 0xffff:
		return true
	}
	return false
}

// escapeRune is how r is shown when unsafe: \x1b, \u202e.
func escapeRune(r rune) string {
	if r < 0x80 {
		return fmt.Sprintf(`\x%02x`, r)
	}
	return fmt.Sprintf(`\u%04x`, r)
}

// clean returns s with every unsafe character escaped, newlines and tabs
// too: the text of one field, shown on one line. A byte that is not UTF-8
// is shown as \xNN. s comes back as it is when there is nothing to escape.
func clean(s string) string {
	return escapeText(s, false)
}

// escapeText escapes s; with layout, newlines and tabs are kept.
func escapeText(s string, layout bool) string {
	i := 0
	for i < len(s) {
		shown, size := shownAt(s[i:], layout)
		if len(shown) != size {
			break
		}
		i += size
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		shown, size := shownAt(s[i:], layout)
		b.WriteString(shown)
		i += size
	}
	return b.String()
}

// shownAt is how the character that starts s is shown, and its length in
// s; with layout, newlines and tabs are shown as they are.
func shownAt(s string, layout bool) (shown string, size int) {
	r, size := utf8.DecodeRuneInString(s)
	switch {
	case r == utf8.RuneError && size == 1:
		return fmt.Sprintf(`\x%02x`, s[0]), 1
	case unsafeRune(r) && !(layout && (r == '\n' || r == '\t')):
		return escapeRune(r), size
	}
	return s[:size], size
}

// safeWriter is the last guard between the program's text and the
// terminal: it escapes every unsafe character but newline and tab in what
// is written through it. A character split across two writes is held back
// until the next one completes it (or Flush shows its bytes escaped). It
// is safe for concurrent use, as the writer beneath may be.
type safeWriter struct {
	mu      sync.Mutex
	w       io.Writer
	pending []byte // the start of a character split across writes
}

func newSafeWriter(w io.Writer) *safeWriter { return &safeWriter{w: w} }

// Unwrap is the writer underneath, for the progress line's own escape
// sequences (it writes nothing but its figures).
func (s *safeWriter) Unwrap() io.Writer { return s.w }

func (s *safeWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	data := p
	if len(s.pending) > 0 {
		data = append(s.pending, p...)
		s.pending = nil
	}
	if n := incompleteTail(data); n > 0 {
		s.pending = append([]byte(nil), data[len(data)-n:]...)
		data = data[:len(data)-n]
	}
	if len(data) == 0 {
		return len(p), nil // held back whole: an empty write may block a pipe
	}
	if _, err := io.WriteString(s.w, escapeText(string(data), true)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes what is held back, escaped: nothing will complete it.
func (s *safeWriter) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) == 0 {
		return nil
	}
	held := s.pending
	s.pending = nil
	_, err := io.WriteString(s.w, escapeText(string(held), true))
	return err
}

// incompleteTail is the length of a UTF-8 character's start at the end of
// b that more bytes could complete, or 0.
func incompleteTail(b []byte) int {
	for n := 1; n <= min(3, len(b)); n++ {
		c := b[len(b)-n]
		if c < 0x80 {
			return 0 // ASCII: nothing pending
		}
		if c >= 0xc0 { // a leading byte: does it want more than it has?
			if want := leadLength(c); want > n {
				return n
			}
			return 0
		}
	}
	return 0
}

// leadLength is how many bytes a character starting with c takes.
func leadLength(c byte) int {
	switch {
	case c >= 0xf0:
		return 4
	case c >= 0xe0:
		return 3
	}
	return 2
}

// csvCell is a cell of the --csv file: cleaned, and neutralised when a
// spreadsheet would read it as a formula (it starts with = + - @, a tab or
// a carriage return): a leading ' makes it text. Numbers are left as they
// are.
func csvCell(s string) string {
	s = clean(s)
	if s == "" || !strings.ContainsRune("=+-@\t\r", rune(s[0])) || isNumber(s) {
		return s
	}
	return "'" + s
}

// isNumber reports whether s is a plain decimal number, such as -1 or
// -0.25.
func isNumber(s string) bool {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	digits, dot := 0, false
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}
