package main

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// What tpsbench sends but never shows: the API key and the --header values
// that may be credentials. Servers echo what they were sent ("Incorrect
// API key provided: sk-..."), so every text that comes from a server is
// redacted before it is cut to length, shown or written (the README's
// "Security notes" state the rules).

// redacted replaces a secret wherever it is hidden.
const redacted = "[redacted]"

// shortSecret is the length under which a secret is hidden only where it
// stands as a word of its own: replacing a two-letter key inside every
// word would make the text unreadable.
const shortSecret = 4

// plainHeaders are the --header names whose values are not secret (with
// every Accept-*): they describe the request, never the caller.
var plainHeaders = []string{"Accept", "Cache-Control", "Connection", "Content-Type", "Pragma", "User-Agent"}

// plainHeader reports whether the value of the header name is no secret.
func plainHeader(name string) bool {
	name = http.CanonicalHeaderKey(name)
	return slices.Contains(plainHeaders, name) || strings.HasPrefix(name, "Accept-")
}

// secrets are the values never shown, longest first (a header's
// "Bearer sk-..." before its "sk-...").
type secrets struct{ values []string }

// newSecrets gathers the secrets of a run: the API key unless it is the
// placeholder tpsbench sends when none was given, and the value of every
// --header but the plain ones, with its credentials alone when the value
// names a scheme first ("Bearer sk-...", "Basic ...").
func newSecrets(apiKey string, placeholder bool, headers http.Header) secrets {
	var s secrets
	add := func(v string) {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(s.values, v) {
			s.values = append(s.values, v)
		}
	}
	if !placeholder {
		add(apiKey)
	}
	for name, values := range headers {
		if plainHeader(name) {
			continue
		}
		for _, v := range values {
			add(v)
			if _, credentials, ok := strings.Cut(strings.TrimSpace(v), " "); ok {
				add(credentials)
			}
		}
	}
	slices.SortFunc(s.values, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return s
}

// redact hides every secret in text: everywhere it occurs when it is
// shortSecret bytes or more, else where it stands as a word of its own.
func (s secrets) redact(text string) string {
	for _, v := range s.values {
		if len(v) >= shortSecret {
			text = strings.ReplaceAll(text, v, redacted)
		} else {
			text = replaceWord(text, v)
		}
	}
	return text
}

// replaceWord replaces v in text where neither neighbour is a letter or
// a digit.
func replaceWord(text, v string) string {
	var b strings.Builder
	rest := text
	for {
		i := strings.Index(rest, v)
		if i < 0 {
			break
		}
		before, after := rest[:i], rest[i+len(v):]
		if wordEnd(before, true) || wordEnd(after, false) {
			b.WriteString(rest[:i+len(v)])
		} else {
			b.WriteString(before + redacted)
		}
		rest = after
	}
	if b.Len() == 0 {
		return text
	}
	return b.String() + rest
}

// wordEnd reports whether s ends (last) or starts (!last) with a letter or
// a digit.
func wordEnd(s string, last bool) bool {
	var r rune
	if last {
		r, _ = utf8.DecodeLastRuneInString(s)
	} else {
		r, _ = utf8.DecodeRuneInString(s)
	}
	return s != "" && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// line turns a server's text into one line of at most limit bytes (then
// "..."): secrets redacted, whitespace collapsed, unsafe characters
// escaped. The text is redacted whole before it is cut, so no cut leaves
// the start of a secret; and the start of a secret that the text itself
// ends with at the cut (the server cut it) is redacted too, from
// min(shortSecret, half the secret) bytes on.
func (s secrets) line(text string, limit int) string {
	text = s.redact(strings.Join(strings.Fields(s.redact(text)), " "))
	width, cut := 0, 0
	for cut < len(text) {
		shown, size := shownAt(text[cut:], false)
		if width+len(shown) > limit {
			break
		}
		width += len(shown)
		cut += size
	}
	if cut == len(text) {
		return clean(text)
	}
	// A cut inside a [redacted] keeps it whole.
	for i := max(0, cut-len(redacted)+1); i < cut; i++ {
		if strings.HasPrefix(text[i:], redacted) {
			cut = i + len(redacted)
			break
		}
	}
	return clean(s.redactTail(text[:cut])) + "..."
}

// redactTail redacts the start of a secret that text ends with.
func (s secrets) redactTail(text string) string {
	for _, v := range s.values {
		least := min(shortSecret, (len(v)+1)/2)
		for n := min(len(v)-1, len(text)); n >= least; n-- {
			if strings.HasSuffix(text, v[:n]) && (len(v) >= shortSecret || !wordEnd(text[:len(text)-n], true)) {
				return text[:len(text)-n] + redacted
			}
		}
	}
	return text
}

// redactURL is a URL fit to show: the user info and the value of every
// query parameter and of the fragment hidden, any of which may be a token
// (?key=sk-..., https://token@host/). A URL that does not parse keeps its
// scheme, host and path at most.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		if i := strings.IndexAny(s, "?#"); i >= 0 {
			s = s[:i] + "?" + redacted
		}
		if scheme, rest, ok := strings.Cut(s, "://"); ok {
			if at := strings.LastIndex(rest[:max(0, strings.IndexByte(rest+"/", '/'))], "@"); at >= 0 {
				s = scheme + "://" + redacted + "@" + rest[at+1:]
			}
		}
		return clean(s)
	}
	if u.User != nil {
		if _, hasPassword := u.User.Password(); hasPassword {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		} else {
			u.User = url.User("xxxxx") // a lone user name is a token as often as not
		}
	}
	shown := u.String()
	if u.RawQuery != "" || u.Fragment != "" {
		u.RawQuery, u.Fragment, u.RawFragment = "", "", ""
		shown = u.String() + redactQuery(s)
	}
	return clean(shown)
}

// redactQuery is the query and fragment of raw with every value hidden:
// ?key=[redacted]&x=[redacted]#[redacted].
func redactQuery(raw string) string {
	var out string
	rest := raw
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest, out = rest[:i], "#"+redacted
	}
	_, query, ok := strings.Cut(rest, "?")
	if !ok {
		return out
	}
	params := strings.FieldsFunc(query, func(r rune) bool { return r == '&' || r == ';' })
	for i, p := range params {
		name, _, hasValue := strings.Cut(p, "=")
		if hasValue {
			params[i] = name + "=" + redacted
		} else {
			params[i] = redacted // a bare value: ?sk-...
		}
	}
	return "?" + strings.Join(params, "&") + out
}
