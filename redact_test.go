package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// noneOf reports every one of secrets that text holds.
func noneOf(t *testing.T, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%q appears in the output:\n%s", s, text)
		}
	}
}

// A key that a server's message echoes across the 200-byte cut is redacted
// before the cut: not even its start is shown, by the benchmark (whole or
// streamed answers) or by the probe.
func TestKeyAcrossTheCutNeverShown(t *testing.T) {
	t.Parallel()
	const key = "QZXW-straddling-secret-42"
	echo := func(r *http.Request) string {
		return strings.Repeat("x", 195) + " " + strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ") + " is not valid"
	}
	status := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		fmt.Fprintf(w, `{"error":{"message":%q}}`, echo(r))
	})
	inStream := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "data: {\"error\":{\"message\":%q}}\n\n", echo(r))
	})
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"status", []string{"--base-url", status}},
		{"stream", []string{"--base-url", inStream, "--stream"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			all := runEveryOutput(t, 1, append([]string{"1", "--requests", "1", "--api-key", key}, tt.args...)...)
			noneOf(t, all, key[:4])
			expectText(t, all, "[redacted]")
		})
	}
	out, errOut := runExpect(t, 0, "probe", "--base-url", status, "--api-key", key)
	noneOf(t, out+errOut, key[:4])
}

// A redirect says where it pointed, without the credentials a Location may
// carry in its query, fragment or user info.
func TestRedirectLocationRedacted(t *testing.T) {
	t.Parallel()
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "https://user:pw-SECRET-1@elsewhere.example/v1/chat/completions?key=sk-SECRET-2&v=2#tok-SECRET-3")
		w.WriteHeader(http.StatusTemporaryRedirect)
	})
	all := runEveryOutput(t, 1, "1", "--requests", "1", "--base-url", url)
	noneOf(t, all, "SECRET")
	expectText(t, all, "HTTP 307: redirected to https://user:xxxxx@elsewhere.example/v1/chat/completions?key=[redacted]&v=[redacted]#[redacted]")
}

// --header values are secrets too (Azure's api-key, a bearer token passed
// as a header), except plain ones such as User-Agent; and a key shorter
// than 4 characters is redacted where it stands as a word.
func TestHeaderValuesAndShortKeysRedacted(t *testing.T) {
	t.Parallel()
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		fmt.Fprintf(w, `{"error":{"message":"bad api-key %s, token %s, key %s, from %s"}}`, r.Header.Get("Api-Key"),
			strings.TrimPrefix(r.Header.Get("X-Gateway-Auth"), "Bearer "), strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), r.Header.Get("User-Agent"))
	})
	all := runEveryOutput(t, 1, "1", "--requests", "1", "--base-url", url, "--api-key", "k9",
		"--header", "api-key: AZURE-SECRET", "--header", "X-Gateway-Auth: Bearer GW-SECRET", "--header", "User-Agent: bench-agent/1")
	noneOf(t, all, "SECRET", "k9")
	var doc jsonSummary
	readJSON(t, testPath(t, "out.json"), &doc)
	want := "HTTP 401: bad api-key [redacted], token [redacted], key [redacted], from bench-agent/1"
	if len(doc.Errors) != 1 || doc.Errors[0].Reason != want {
		t.Errorf("errors = %v; want %q", doc.Errors, want)
	}
}

// A --header value that is refused is not repeated in the usage error.
func TestRefusedHeaderValueNotEchoed(t *testing.T) {
	t.Parallel()
	_, errOut := runExpect(t, 2, "1", "--header", "api-key: HDR-SECRET\r\nX: y")
	noneOf(t, errOut, "HDR-SECRET")
	expectText(t, errOut, "api-key")
}

// The rules of redaction, one case each.
func TestSecretsLine(t *testing.T) {
	t.Parallel()
	long := newSecrets("sk-0123456789abcdef", false, http.Header{"Api-Key": {"azure-secret"}, "Authorization": {"Bearer tok-XYZ"}, "Accept": {"text/plain"}})
	for _, tt := range []struct {
		name string
		s    secrets
		in   string
		max  int
		want string
	}{
		{"key", long, "bad key sk-0123456789abcdef.", 200, "bad key [redacted]."},
		{"key across the cut", long, "bad key sk-0123456789abcdef and more", 12, "bad key [redacted]..."},
		{"start of a key at the cut", long, "bad key sk-0123 and more", 15, "bad key [redacted]..."},
		{"start of a key too short to tell", long, "bad key sk-0123 and more", 10, "bad key sk..."},
		{"header value", long, "api-key azure-secret", 200, "api-key [redacted]"},
		{"credentials of a header value", long, "token tok-XYZ", 200, "token [redacted]"},
		{"plain header", long, "accepts text/plain", 200, "accepts text/plain"},
		{"whitespace collapsed", long, "a\n\t b", 200, "a b"},
		{"control characters", long, "\x1b]0;title\x07 \x1b[2J", 200, `\x1b]0;title\x07 \x1b[2J`},
		{"cut never splits an escape", long, "ab\x1b", 5, "ab..."},
		{"short key as a word", newSecrets("k9", false, nil), "key k9, not ak9 or k9b", 200, "key [redacted], not ak9 or k9b"},
		{"short key at the cut", newSecrets("k9z", false, nil), "key k9 more", 6, "key [redacted]..."},
		{"placeholder key", newSecrets("ollama", true, nil), "ollama says no", 200, "ollama says no"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.s.line(tt.in, tt.max); got != tt.want {
				t.Errorf("line(%q, %d) = %q; want %q", tt.in, tt.max, got, tt.want)
			}
		})
	}
}

// URLs are shown without credentials.
func TestRedactURL(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"http://localhost:11434/v1", "http://localhost:11434/v1"},
		{"http://user:pw@h/v1", "http://user:xxxxx@h/v1"},
		{"https://token@h/v1", "https://xxxxx@h/v1"},
		{"https://h/v1?api-version=2024-02-01&key=sk-1", "https://h/v1?api-version=[redacted]&key=[redacted]"},
		{"/v1/chat?sk-bare#frag", "/v1/chat?[redacted]#[redacted]"},
		{"http://u:p@h/v1\x1b[2J?key=sk-2", `http://[redacted]@h/v1\x1b[2J?[redacted]`},
		{"http://h/\x1b]0;t\x07", `http://h/\x1b]0;t\x07`},
	} {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// Which --header values are secret, and the API key unless it is the
// placeholder.
func TestNewSecrets(t *testing.T) {
	t.Parallel()
	s := newSecrets("sk-1", false, http.Header{"Authorization": {"Basic dXNlcjpwdw=="}, "User-Agent": {"ua"},
		"Content-Type": {"application/json"}, "X-Api-Key": {" k "}})
	want := []string{"Basic dXNlcjpwdw==", "dXNlcjpwdw==", "sk-1", "k"}
	if fmt.Sprint(s.values) != fmt.Sprint(want) {
		t.Errorf("secrets = %q; want %q", s.values, want)
	}
	if s := newSecrets("ollama", true, nil); len(s.values) != 0 {
		t.Errorf("the placeholder key is a secret: %q", s.values)
	}
}
