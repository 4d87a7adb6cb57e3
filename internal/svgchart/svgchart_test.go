package svgchart

import (
	"encoding/xml"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestNiceTicks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lo, hi float64
		n      int
		want   []float64
	}{
		{0, 10, 5, []float64{0, 2, 4, 6, 8, 10}},
		{0, 1, 5, []float64{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1}},
		{0, 105, 5, []float64{0, 50, 100}},
		{0, 7, 5, []float64{0, 2, 4, 6}},
		{3, 7, 6, []float64{3, 4, 5, 6, 7}},
		{-5, 5, 4, []float64{-5, 0, 5}},
		{128, 262, 6, []float64{150, 200, 250}},
		{0.02, 0.04, 6, []float64{0.02, 0.025, 0.030000000000000002, 0.035, 0.04}},
		{5, 5, 5, []float64{5, 5.2, 5.4, 5.6000000000000005, 5.800000000000001, 6.000000000000001}}, // an empty range widens to lo..lo+1
		{0, 2e6, 5, []float64{0, 500000, 1e6, 1.5e6, 2e6}},
	}
	for _, tt := range tests {
		if got := niceTicks(tt.lo, tt.hi, tt.n); !slices.Equal(got, tt.want) {
			t.Errorf("niceTicks(%g, %g, %d) = %v; want %v", tt.lo, tt.hi, tt.n, got, tt.want)
		}
	}
}

func TestTickLabel(t *testing.T) {
	t.Parallel()
	for v, want := range map[float64]string{
		0: "0", 0.025: "0.025", 0.5: "0.5", 1: "1.0", 2.5: "2.5", 9.99: "10.0", 10: "10", 1234: "1234",
		99999: "99999", 1e5: "100k", 2.5e6: "2500k", -3: "-3.0", -20: "-20", -2e5: "-200k",
	} {
		if got := tickLabel(v); got != want {
			t.Errorf("tickLabel(%g) = %q; want %q", v, got, want)
		}
	}
}

func TestHistogram(t *testing.T) {
	t.Parallel()
	xs := []float64{1, 2, 2, 3, 10, 10, 10}
	c := Histogram("TPS", "tokens/s", xs)
	if c.Title != "TPS" || c.XLabel != "tokens/s" || c.YLabel != "requests" || len(c.Series) != 1 {
		t.Fatalf("chart %+v", c)
	}
	s := c.Series[0]
	if s.Style != Bars || len(s.Points) != 20 {
		t.Fatalf("series %+v; want 20 bars", s)
	}
	total := 0.0
	for _, p := range s.Points {
		total += p.Y
	}
	// Bins 0.45 wide from 1: 1 in the first, the 2s in the third, the 10s in the last.
	if total != float64(len(xs)) || s.Points[0].Y != 1 || s.Points[2].Y != 2 || s.Points[19].Y != 3 || math.Abs(s.Points[0].X-1.225) > 1e-9 {
		t.Errorf("bars %+v", s.Points)
	}
	one := Histogram("t", "x", []float64{4, 4}).Series[0].Points
	if one[0].Y != 2 || math.Abs(one[0].X-4.025) > 1e-9 {
		t.Errorf("one value: bars %+v; want both in the first bin of 4..5", one)
	}
}

func TestCDF(t *testing.T) {
	t.Parallel()
	c := CDF("CDF of TTFT (ms)", "TTFT (ms)", []float64{3, 1, 2, 4})
	want := []Point{{1, 0.25}, {2, 0.5}, {3, 0.75}, {4, 1}, {4, 1}}
	if s := c.Series[0]; s.Style != Line || !slices.Equal(s.Points, want) || c.YLabel != "fraction of requests" {
		t.Errorf("CDF %+v; want points %v", c, want)
	}
	many := make([]float64, 5000)
	for i := range many {
		many[i] = float64(len(many) - i)
	}
	pts := CDF("t", "x", many).Series[0].Points
	if len(pts) != 501 || pts[len(pts)-1] != (Point{5000, 1}) || !slices.IsSortedFunc(pts, func(a, b Point) int { return int(a.X - b.X) }) {
		t.Errorf("5000 values: %d points, last %v; want 501 sorted, ending at (5000, 1)", len(pts), pts[len(pts)-1])
	}
}

// every chart drawn in the tests: each style, labels, and text to escape.
func sampleCharts() []Chart {
	return []Chart{
		Histogram("Tokens per second <per> request & more", "TPS (tokens/s)", []float64{120, 130, 130, 150, 180, 180, 180, 260}),
		CDF("CDF of E2E latency (ms)", "E2E latency (ms)", []float64{25, 30, 31, 38, 52, 59}),
		{Title: "Inter-token latency over the run", XLabel: "time since start (s)", YLabel: "ITL (ms)",
			Series: []Series{{Name: "gap", Color: "#2563eb", Style: Dots, Points: []Point{{0.01, 4}, {0.02, 5}, {0.03, 3}}}}},
		{Title: "Sweep", XLabel: "output throughput (tokens/s)", YLabel: "TTFT p95 (ms)",
			Series: []Series{{Name: "levels", Color: "#ea580c", Style: Line, Points: []Point{{100, 10}, {180, 14}, {210, 40}}, Labels: []string{"c=1", "c=2", "c=<4>"}}}},
		{Title: "One point", XLabel: "x", YLabel: "y", Series: []Series{{Color: "#000", Points: []Point{{3, 0}}}}},
	}
}

// The SVG is well-formed XML with the elements of each style.
func TestWriteSVGWellFormed(t *testing.T) {
	t.Parallel()
	for _, c := range sampleCharts() {
		var b strings.Builder
		c.WriteSVG(&b)
		elements := map[string]int{}
		texts := ""
		dec := xml.NewDecoder(strings.NewReader(b.String()))
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%q is not well-formed: %v\n%s", c.Title, err, b.String())
			}
			switch tok := tok.(type) {
			case xml.StartElement:
				elements[tok.Name.Local]++
			case xml.CharData:
				texts += string(tok) + "|"
			}
		}
		s := c.Series[0]
		want := map[Style]string{Bars: "rect", Dots: "circle", Line: "polyline"}[s.Style]
		if n := elements[want]; (s.Style == Line && n != 1) || (s.Style != Line && n != len(s.Points)) {
			t.Errorf("%q: %d %s elements for %d points", c.Title, n, want, len(s.Points))
		}
		if elements["svg"] != 1 || !strings.Contains(texts, c.Title+"|") || !strings.Contains(texts, c.XLabel+"|") || !strings.Contains(texts, c.YLabel+"|") {
			t.Errorf("%q: elements %v, texts %q", c.Title, elements, texts)
		}
		for _, l := range s.Labels {
			if !strings.Contains(texts, "|"+l+"|") {
				t.Errorf("%q: label %q missing from %q", c.Title, l, texts)
			}
		}
		if strings.Contains(b.String(), "NaN") || strings.Contains(b.String(), "Inf") {
			t.Errorf("%q: a coordinate is not a number:\n%s", c.Title, b.String())
		}
	}
}

// The SVG, byte for byte; go test ./internal/svgchart -update rewrites it.
func TestWriteSVGGolden(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for _, c := range sampleCharts() {
		c.WriteSVG(&b)
		b.WriteString("\n")
	}
	path := filepath.Join("testdata", "charts.golden.svg")
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("SVG differs from %s (run with -update if the change is meant):\n%s", path, b.String())
	}
}
