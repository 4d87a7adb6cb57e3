package wire

import (
	"fmt"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonScanner is the single-pass JSON reader under Decode: it walks a
// document once, hands over the fields asked for as raw slices of the input,
// and checks the syntax of everything it skips, so that it accepts exactly
// what encoding/json accepts.

// maxJSONDepth mirrors encoding/json's nesting limit.
const maxJSONDepth = 10000

// jsonScanner walks one JSON document.
type jsonScanner struct {
	data    []byte
	pos     int
	depth   int
	discard bool // collect no text (DecodeMeta)
}

type jsonSyntaxError struct {
	msg string
	at  int
}

func (e *jsonSyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON: %s at offset %d", e.msg, e.at)
}

func (s *jsonScanner) fail(msg string) error {
	if s.pos >= len(s.data) {
		return &jsonSyntaxError{msg: "unexpected end of JSON input", at: s.pos}
	}
	return &jsonSyntaxError{msg: msg, at: s.pos}
}

func (s *jsonScanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (s *jsonScanner) peek() byte {
	s.ws()
	if s.pos >= len(s.data) {
		return 0
	}
	return s.data[s.pos]
}

func (s *jsonScanner) literal(word string) bool {
	if len(s.data)-s.pos >= len(word) && string(s.data[s.pos:s.pos+len(word)]) == word {
		s.pos += len(word)
		return true
	}
	return false
}

// null consumes a null if one comes next.
func (s *jsonScanner) null() bool {
	return s.peek() == 'n' && s.literal("null")
}

// str reads a string and returns its raw (still escaped) contents and
// whether it holds escapes.
func (s *jsonScanner) str() (raw []byte, escaped bool, err error) {
	if s.peek() != '"' {
		return nil, false, s.fail("expected a string")
	}
	s.pos++
	start := s.pos
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			raw = s.data[start:s.pos]
			s.pos++
			return raw, escaped, nil
		case c == '\\':
			escaped = true
			s.pos++
			if s.pos >= len(s.data) {
				return nil, false, s.fail("")
			}
			switch s.data[s.pos] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.pos++
			case 'u':
				s.pos++
				for range 4 {
					if s.pos >= len(s.data) || !isHex(s.data[s.pos]) {
						return nil, false, s.fail("invalid \\u escape in string")
					}
					s.pos++
				}
			default:
				return nil, false, s.fail("invalid escape in string")
			}
		case c < 0x20:
			return nil, false, s.fail("control character in string")
		default:
			s.pos++
		}
	}
	return nil, false, s.fail("")
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// optString reads a string or null; null reads as empty.
func (s *jsonScanner) optString() (raw []byte, escaped bool, err error) {
	if s.null() {
		return nil, false, nil
	}
	return s.str()
}

// number reads a JSON number and returns its text.
func (s *jsonScanner) number() ([]byte, error) {
	s.ws()
	start := s.pos
	if s.pos < len(s.data) && s.data[s.pos] == '-' {
		s.pos++
	}
	switch {
	case s.pos < len(s.data) && s.data[s.pos] == '0':
		s.pos++
	case s.pos < len(s.data) && '1' <= s.data[s.pos] && s.data[s.pos] <= '9':
		s.digits()
	default:
		return nil, s.fail("invalid number")
	}
	if s.pos < len(s.data) && s.data[s.pos] == '.' {
		s.pos++
		if s.digits() == 0 {
			return nil, s.fail("invalid number")
		}
	}
	if s.pos < len(s.data) && (s.data[s.pos] == 'e' || s.data[s.pos] == 'E') {
		s.pos++
		if s.pos < len(s.data) && (s.data[s.pos] == '+' || s.data[s.pos] == '-') {
			s.pos++
		}
		if s.digits() == 0 {
			return nil, s.fail("invalid number")
		}
	}
	return s.data[start:s.pos], nil
}

func (s *jsonScanner) digits() int {
	n := 0
	for s.pos < len(s.data) && '0' <= s.data[s.pos] && s.data[s.pos] <= '9' {
		s.pos++
		n++
	}
	return n
}

// optNumber reads a number, parsed by parse (what names the kind wanted in
// the error), or a null, which it reports instead of a value.
func optNumber[T any](s *jsonScanner, parse func(string) (T, error), what string) (v T, null bool, err error) {
	if s.null() {
		return v, true, nil
	}
	at := s.pos
	text, err := s.number()
	if err != nil {
		return v, false, err
	}
	if v, err = parse(string(text)); err != nil {
		return v, false, &jsonSyntaxError{msg: what, at: at}
	}
	return v, false, nil
}

// optInt reads an integer or null (-1).
func (s *jsonScanner) optInt() (int, error) {
	n, null, err := optNumber(s, strconv.Atoi, "expected an integer")
	if null {
		return -1, nil
	}
	return n, err
}

// object calls field for each key; field must consume the value.
func (s *jsonScanner) object(field func(key []byte) error) error {
	if s.peek() != '{' {
		return s.fail("expected an object")
	}
	if s.depth++; s.depth > maxJSONDepth {
		return s.fail("exceeded max depth")
	}
	s.pos++
	if s.peek() == '}' {
		s.pos++
		s.depth--
		return nil
	}
	for {
		if s.peek() != '"' {
			return s.fail("expected a string as object key")
		}
		key, escaped, err := s.str()
		if err != nil {
			return err
		}
		if escaped {
			key = appendUnescaped(nil, key)
		}
		if s.peek() != ':' {
			return s.fail("expected ':' after object key")
		}
		s.pos++
		if err := field(key); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			s.depth--
			return nil
		default:
			return s.fail("expected ',' or '}' after object value")
		}
	}
}

// array calls elem for each element; elem must consume it.
func (s *jsonScanner) array(elem func() error) error {
	if s.peek() != '[' {
		return s.fail("expected an array")
	}
	if s.depth++; s.depth > maxJSONDepth {
		return s.fail("exceeded max depth")
	}
	s.pos++
	if s.peek() == ']' {
		s.pos++
		s.depth--
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			s.depth--
			return nil
		default:
			return s.fail("expected ',' or ']' after array element")
		}
	}
}

// skip consumes any value, checking its syntax; it reports whether the
// value was a non-empty array, for tool_calls.
func (s *jsonScanner) skip() (nonEmptyArray bool, err error) {
	switch c := s.peek(); {
	case c == '{':
		return false, s.object(func([]byte) error { _, err := s.skip(); return err })
	case c == '[':
		n := 0
		err := s.array(func() error { n++; _, err := s.skip(); return err })
		return n > 0, err
	case c == '"':
		_, _, err := s.str()
		return false, err
	case c == 't' && s.literal("true"), c == 'f' && s.literal("false"), c == 'n' && s.literal("null"):
		return false, nil
	default:
		_, err := s.number()
		return false, err
	}
}

// equalKey matches object keys case-insensitively, as encoding/json does.
func equalKey(key []byte, name string) bool {
	if len(key) != len(name) {
		return false
	}
	for i := range len(key) {
		c := key[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != name[i] {
			return false
		}
	}
	return true
}

// appendUnescaped appends the raw contents of a JSON string, its escapes
// resolved as encoding/json resolves them (a lone surrogate is U+FFFD), to
// dst: no copy of its own, however long the string. raw is as str found
// it: every escape complete and valid.
func appendUnescaped(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			end := i + 1
			for end < len(raw) && raw[end] != '\\' {
				end++
			}
			dst, i = append(dst, raw[i:end]...), end
			continue
		}
		switch e := raw[i+1]; e {
		case 'u':
			r := hex4(raw[i+2 : i+6])
			i += 6
			if utf16.IsSurrogate(r) {
				if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					if dec := utf16.DecodeRune(r, hex4(raw[i+2:i+6])); dec != unicode.ReplacementChar {
						dst, i = utf8.AppendRune(dst, dec), i+6
						continue
					}
				}
				r = unicode.ReplacementChar
			}
			dst = utf8.AppendRune(dst, r)
			continue
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		default: // '"', '\\', '/'
			dst = append(dst, e)
		}
		i += 2
	}
	return dst
}

// hex4 is the value of four hex digits.
func hex4(h []byte) rune {
	var r rune
	for _, c := range h {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// jsonString is one string field's raw value. Like encoding/json decoding
// into a string, a null leaves the value as it was.
type jsonString struct {
	raw     []byte
	escaped bool
	set     bool // a string (not null) was read
}

func (j *jsonString) read(s *jsonScanner) error {
	if s.null() {
		return nil
	}
	raw, escaped, err := s.str()
	if err == nil {
		*j = jsonString{raw: raw, escaped: escaped, set: true}
	}
	return err
}

// decoded returns the string's contents with escapes resolved.
func (j *jsonString) decoded() []byte {
	if j.escaped {
		return appendUnescaped(nil, j.raw)
	}
	return j.raw
}

// appendTo appends the string's contents, escapes resolved, to dst.
func (j *jsonString) appendTo(dst []byte) []byte {
	if j.escaped {
		return appendUnescaped(dst, j.raw)
	}
	return append(dst, j.raw...)
}
