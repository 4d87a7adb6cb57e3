package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// hostile is server text that would retitle and clear a terminal, reorder
// a line, and break an XML document.
const hostile = "\x1b]0;pwned\x07\x1b[2J\u009b31m\u202eevil\x00nul\x7f"

// rawControls are hostile's characters that must never be written raw.
var rawControls = []string{"\x1b", "\x07", "\u009b", "\u202e", "\x00", "\x7f"}

// jsonText is s as a JSON string.
func jsonText(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// routes starts a server that answers each "METHOD /path" with its
// handler, and 404 otherwise; it returns the base URL, up to /v1.
func routes(t *testing.T, answers map[string]http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, ok := answers[r.Method+" "+r.URL.Path]; ok {
			h(w, r)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

// Control characters in anything a server says (an error message, a
// version, a model's details, an answer's id) are escaped in every output:
// the terminal, --json, --csv, --html (still well-formed XML) and
// --records; the probe's table too.
func TestServerTextEscaped(t *testing.T) {
	t.Parallel()
	ok := answer(200, "", okAnswer)
	for _, tt := range []struct {
		name  string
		paths map[string]http.HandlerFunc
		code  int
		probe bool
	}{
		{"error body", map[string]http.HandlerFunc{"POST /v1/chat/completions": answer(500, "", hostile)}, 1, true},
		{"error object", map[string]http.HandlerFunc{"POST /v1/chat/completions": answer(400, "", `{"error":{"message":`+jsonText(hostile)+`}}`)}, 1, false},
		{"answer id and finish reason", map[string]http.HandlerFunc{"POST /v1/chat/completions": answer(200, "",
			`{"id":`+jsonText(hostile)+`,"choices":[{"message":{"content":"hi"},"finish_reason":`+jsonText(hostile)+`}],"usage":{"completion_tokens":1}}`)}, 0, false},
		{"vLLM version", map[string]http.HandlerFunc{"POST /v1/chat/completions": ok, "GET /version": answer(200, "", `{"version":`+jsonText(hostile)+`}`)}, 0, false},
		{"llama.cpp props", map[string]http.HandlerFunc{"POST /v1/chat/completions": ok, "GET /props": answer(200, "", `{"total_slots":1,"build_info":`+jsonText(hostile)+`}`)}, 0, false},
		{"Ollama", map[string]http.HandlerFunc{"POST /v1/chat/completions": ok,
			"GET /api/version": answer(200, "", `{"version":`+jsonText(hostile)+`}`),
			"GET /api/ps":      answer(200, "", `{"models":[{"name":"llama3.1:8b","model":"llama3.1:8b","digest":`+jsonText(hostile)+`}]}`),
			"POST /api/show":   answer(200, "", `{"details":{"family":`+jsonText(hostile)+`,"parameter_size":"8B","quantization_level":`+jsonText(hostile)+`}}`),
			"POST /api/chat":   answer(500, "", hostile)}, 0, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url := routes(t, tt.paths)
			all := runEveryOutput(t, tt.code, "1", "--requests", "1", "--base-url", url)
			noneOf(t, all, rawControls...)
			expectText(t, all, `\x1b]0;pwned\x07`)
			wellFormed(t, readFile(t, testPath(t, "out.html")))
			if tt.probe {
				out, errOut := runExpect(t, 0, "probe", "--base-url", url)
				noneOf(t, out+errOut, rawControls...)
			}
		})
	}
}

// wellFormed stops the test unless doc parses as XML.
func wellFormed(t *testing.T, doc []byte) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(doc))
	for {
		_, err := dec.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed: %v", err)
		}
	}
}

// A records file is text from elsewhere too: report escapes what it holds.
func TestReportEscapesRecordsText(t *testing.T) {
	t.Parallel()
	start := `"run_start":"2025-01-01T00:00:00Z"`
	path := writeFile(t, testPath(t, "hostile.jsonl"), strings.Join([]string{
		`{` + start + `,"tpsbench_records":"1","fingerprint":{"tool_version":"x","server":"vLLM","server_version":` + jsonText(hostile) + `,"model":"m","client_os":"linux","client_cpu":"c","client_cores":1}}`,
		`{` + start + `,"index":0,"stream":false,"ok":false,"fail_kind":"http","error":` + jsonText("HTTP 500: "+hostile) + `,"send_ms":1,"done_ms":2,"output_tokens":0}`,
		`{` + start + `,"index":1,"stream":false,"ok":true,"send_ms":1,"done_ms":3,"output_tokens":1,"finish_reason":` + jsonText(hostile) + `}`,
	}, "\n")+"\n")
	out, errOut := runExpect(t, 0, "report", path, "--json", testPath(t, "r.json"), "--html", testPath(t, "r.html"), "--csv", testPath(t, "r.csv"))
	all := out + errOut + string(readFile(t, testPath(t, "r.json"))) + string(readFile(t, testPath(t, "r.html"))) + string(readFile(t, testPath(t, "r.csv")))
	noneOf(t, all, rawControls...)
	expectText(t, out, `HTTP 500: \x1b]0;pwned\x07`)
}

// A cell a spreadsheet would run as a formula is neutralised in --csv.
func TestCSVFormulaNeutralised(t *testing.T) {
	t.Parallel()
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"id":"=HYPERLINK(\"http://evil.example\")","choices":[{"message":{"content":"hi"},"finish_reason":"@SUM(1+1)"}],"usage":{"completion_tokens":1}}`)
	})
	path := testPath(t, "out.csv")
	runExpect(t, 0, "1", "--requests", "1", "--base-url", url, "--csv", path)
	rows, err := csv.NewReader(bytes.NewReader(readFile(t, path))).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("csv: %v, %d rows", err, len(rows))
	}
	got := map[string]string{}
	for i, name := range rows[0] {
		got[name] = rows[1][i]
	}
	if got["response_id"] != `'=HYPERLINK("http://evil.example")` || got["finish_reason"] != "'@SUM(1+1)" {
		t.Errorf("response_id %q, finish_reason %q; want both neutralised with a leading '", got["response_id"], got["finish_reason"])
	}
}

func TestClean(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"plain text, é and 中文", "plain text, é and 中文"},
		{"a\x1b[2Jb", `a\x1b[2Jb`},
		{"tab\tnew\nline\r", `tab\x09new\x0aline\x0d`},
		{"nul\x00 del\x7f", `nul\x00 del\x7f`},
		{"c1 \u009b bidi \u202e \u2066 \u200f", `c1 \u009b bidi \u202e \u2066 \u200f`},
		{"not utf-8 \xff", `not utf-8 \xff`},
		{"xml \ufffe\uffff", `xml \ufffe\uffff`},
		{`already \x1b`, `already \x1b`},
	} {
		if got := clean(tt.in); got != tt.want {
			t.Errorf("clean(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// The terminal's last guard keeps newlines, tabs and characters split
// across writes, and escapes the rest.
func TestSafeWriter(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	w := newSafeWriter(&b)
	text := "line\tone\n\x1b]0;t\x07 é 中 \u202e\n"
	for i := range len(text) { // one byte a write: every character split
		if n, err := w.Write([]byte{text[i]}); n != 1 || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	w.Write([]byte("\xe4\xb8")) // a character cut short at the end
	w.Flush()
	if want := "line\tone\n" + `\x1b]0;t\x07 é 中 \u202e` + "\n" + `\xe4\xb8`; b.String() != want {
		t.Errorf("wrote %q; want %q", b.String(), want)
	}
}

func TestCSVCell(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"", ""}, {"stop", "stop"}, {"-1", "-1"}, {"-0.25", "-0.25"}, {"12", "12"},
		{"=1+1", "'=1+1"}, {"+cmd", "'+cmd"}, {"-2+3", "'-2+3"}, {"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", `\x09x`}, {"a\x1bb", `a\x1bb`},
	} {
		if got := csvCell(tt.in); got != tt.want {
			t.Errorf("csvCell(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
