// Package svgchart draws small self-contained SVG charts with labelled
// axes: lines, dots and bars, histograms and empirical CDFs. The SVG is
// well-formed XML, so it can be inlined in an XHTML page; it uses no
// script and fetches nothing.
package svgchart

import (
	"fmt"
	"html"
	"math"
	"slices"
	"strings"
)

// The size of every chart and its margins around the plot area, in pixels.
const (
	chartW, chartH         = 560, 300
	padL, padR, padT, padB = 64, 16, 28, 44
)

// Point is one (X, Y) of a chart.
type Point struct{ X, Y float64 }

// Style is how a Series is drawn.
type Style int

// The styles of a Series; the zero value is Line.
const (
	Line Style = iota // a polyline through the points
	Dots              // a small translucent dot per point
	Bars              // a bar per point, from zero up to it
)

// Series is one line, set of dots or set of bars on a chart.
type Series struct {
	Name   string
	Color  string // an SVG colour, such as "#2563eb"
	Points []Point
	Style  Style
	Labels []string // beside each point, if any (Labels[i] beside Points[i])
}

// Chart is one SVG chart with labelled axes. The y axis starts at zero.
type Chart struct {
	Title, XLabel, YLabel string
	Series                []Series
}

// Histogram bins xs (at least one value) into 20 bars.
func Histogram(title, xLabel string, xs []float64) Chart {
	lo, hi := slices.Min(xs), slices.Max(xs)
	if hi == lo {
		hi = lo + 1
	}
	bins := 20
	width := (hi - lo) / float64(bins)
	counts := make([]float64, bins)
	for _, x := range xs {
		counts[min(int((x-lo)/width), bins-1)]++
	}
	pts := make([]Point, bins)
	for i, c := range counts {
		pts[i] = Point{lo + (float64(i)+0.5)*width, c}
	}
	return Chart{Title: title, XLabel: xLabel, YLabel: "requests",
		Series: []Series{{Name: "requests", Color: "#2563eb", Points: pts, Style: Bars}}}
}

// CDF is the empirical cumulative distribution of xs (at least one value),
// drawn through at most about 500 points.
func CDF(title, xLabel string, xs []float64) Chart {
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	step := max(1, len(sorted)/500)
	var pts []Point
	for i := 0; i < len(sorted); i += step {
		pts = append(pts, Point{sorted[i], float64(i+1) / float64(len(sorted))})
	}
	pts = append(pts, Point{sorted[len(sorted)-1], 1})
	return Chart{Title: title, XLabel: xLabel, YLabel: "fraction of requests",
		Series: []Series{{Name: "CDF", Color: "#dc2626", Points: pts, Style: Line}}}
}

// niceTicks gives about n round tick values covering lo..hi.
func niceTicks(lo, hi float64, n int) []float64 {
	if hi <= lo {
		hi = lo + 1
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if step = m * mag; step >= raw {
			break
		}
	}
	var ticks []float64
	for t := math.Ceil(lo/step) * step; t <= hi+step/1e6; t += step {
		ticks = append(ticks, t)
	}
	return ticks
}

// tickLabel is a tick's value, short.
func tickLabel(v float64) string {
	switch {
	case v == 0:
		return "0"
	case math.Abs(v) >= 1e5:
		return fmt.Sprintf("%.0fk", v/1000)
	case math.Abs(v) >= 10:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 1:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2g", v)
}

// scale maps data coordinates to the plot area's pixels.
type scale struct{ xlo, xhi, ylo, yhi float64 }

// px is the horizontal pixel of x.
func (s scale) px(x float64) float64 {
	return padL + (x-s.xlo)/(s.xhi-s.xlo)*(chartW-padL-padR)
}

// py is the vertical pixel of y (downwards from the top).
func (s scale) py(y float64) float64 {
	return chartH - padB - (y-s.ylo)/(s.yhi-s.ylo)*(chartH-padT-padB)
}

// scaleOf covers every point of the chart, y from zero to 5% above the top.
func (c Chart) scaleOf() scale {
	s := scale{math.Inf(1), math.Inf(-1), 0, math.Inf(-1)}
	for _, ser := range c.Series {
		for _, p := range ser.Points {
			s.xlo, s.xhi, s.yhi = math.Min(s.xlo, p.X), math.Max(s.xhi, p.X), math.Max(s.yhi, p.Y)
		}
	}
	if s.xhi <= s.xlo {
		s.xlo, s.xhi = s.xlo-1, s.xhi+1
	}
	if s.yhi <= s.ylo {
		s.yhi = s.ylo + 1
	}
	s.yhi *= 1.05
	return s
}

// WriteSVG draws the chart as one <svg> element.
func (c Chart) WriteSVG(b *strings.Builder) {
	s := c.scaleOf()
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-size="11">`, chartW, chartH, chartW, chartH)
	fmt.Fprintf(b, `<text x="%d" y="18" font-size="13" font-weight="bold">%s</text>`, padL, html.EscapeString(c.Title))
	c.writeAxes(b, s)
	for _, ser := range c.Series {
		ser.write(b, s)
	}
	b.WriteString("</svg>")
}

// writeAxes draws the grid, its tick labels, the axes and their labels.
func (c Chart) writeAxes(b *strings.Builder, s scale) {
	for _, t := range niceTicks(s.xlo, s.xhi, 6) {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#eee"/><text x="%.1f" y="%d" text-anchor="middle">%s</text>`,
			s.px(t), padT, s.px(t), chartH-padB, s.px(t), chartH-padB+14, tickLabel(t))
	}
	for _, t := range niceTicks(s.ylo, s.yhi, 5) {
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eee"/><text x="%d" y="%.1f" text-anchor="end">%s</text>`,
			padL, s.py(t), chartW-padR, s.py(t), padL-4, s.py(t)+4, tickLabel(t))
	}
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/><line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>`,
		padL, chartH-padB, chartW-padR, chartH-padB, padL, padT, padL, chartH-padB)
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`, (padL+chartW-padR)/2, chartH-8, html.EscapeString(c.XLabel))
	fmt.Fprintf(b, `<text x="14" y="%d" text-anchor="middle" transform="rotate(-90 14 %d)">%s</text>`, (padT+chartH-padB)/2, (padT+chartH-padB)/2, html.EscapeString(c.YLabel))
}

// write draws the series in its style, then its labels.
func (ser Series) write(b *strings.Builder, s scale) {
	switch ser.Style {
	case Bars:
		barW := (chartW - padL - padR) / float64(max(1, len(ser.Points))) * 0.9
		for _, p := range ser.Points {
			fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, s.px(p.X)-barW/2, s.py(p.Y), barW, s.py(0)-s.py(p.Y), ser.Color)
		}
	case Dots:
		for _, p := range ser.Points {
			fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="1.5" fill="%s" fill-opacity="0.5"/>`, s.px(p.X), s.py(p.Y), ser.Color)
		}
	default:
		var pts []string
		for _, p := range ser.Points {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", s.px(p.X), s.py(p.Y)))
		}
		fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="1.8" points="%s"/>`, ser.Color, strings.Join(pts, " "))
	}
	for i, l := range ser.Labels {
		p := ser.Points[i]
		fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/><text x="%.1f" y="%.1f" text-anchor="end">%s</text>`,
			s.px(p.X), s.py(p.Y), ser.Color, s.px(p.X)-5, s.py(p.Y)-5, html.EscapeString(l))
	}
}
