package wire

import (
	"strings"
	"testing"
)

func TestServerMessage(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ body, want string }{
		{`{"error":{"message":"Incorrect API key","type":"auth"}}`, "Incorrect API key"},
		{`{"error":"model 'x' not found"}`, "model 'x' not found"},
		{`{"error":{"code":500}}`, `{"code":500}`},
		{`{"message":"busy"}`, "busy"},
		{`{"detail":[{"loc":"body"}]}`, "[map[loc:body]]"},
		{`{"error":null,"message":"m"}`, "m"},
		{"Service\n  Unavailable", "Service\n  Unavailable"},
		{"", ""},
	} {
		if got := ServerMessage([]byte(tt.body)); got != tt.want {
			t.Errorf("ServerMessage(%q) = %q; want %q", tt.body, got, tt.want)
		}
	}
	// Whole: the caller redacts secrets before it cuts.
	if got := ServerMessage([]byte(strings.Repeat("x", 300))); got != strings.Repeat("x", 300) {
		t.Errorf("long body: %q", got)
	}
}

func TestOneLine(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		max  int
		want string
	}{
		{" a\n\tb  c ", 10, "a b c"},
		{"abcdef", 3, "abc..."},
		{"aé", 2, "a..."}, // never cuts a character in half
	} {
		if got := OneLine(tt.in, tt.max); got != tt.want {
			t.Errorf("OneLine(%q, %d) = %q; want %q", tt.in, tt.max, got, tt.want)
		}
	}
}
