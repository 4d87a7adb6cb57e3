package main

import (
	"fmt"
	"html"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// The HTML report is one self-contained file: inline CSS and SVG, no script
// and nothing fetched, so it opens offline and prints. It is written as
// well-formed XHTML (a test parses it).

const (
	chartW, chartH         = 560, 300
	padL, padR, padT, padB = 64, 16, 28, 44
)

// point is one (x, y) of a chart.
type point struct{ x, y float64 }

// series is one line, set of dots or set of bars on a chart.
type series struct {
	name   string
	color  string
	points []point
	style  string   // "line", "dots" or "bars"
	labels []string // beside each point, if any
}

// chart is one SVG chart with labelled axes.
type chart struct {
	title, xLabel, yLabel string
	series                []series
}

// renderHTML writes the --html report of a finished run.
func renderHTML(w io.Writer, r *finishedRun) error {
	title := "tpsbench report rebuilt from records, run started " + r.started.Format(time.RFC3339)
	if r.cfg != nil {
		title = fmt.Sprintf("tpsbench: %s at %s, %s", r.cfg.model, redactURL(r.baseURL), r.started.Format(time.RFC3339))
	}
	return writeHTML(w, title, r.s, r.records, r.levels)
}

// writeHTML writes the report of records (and sweep levels, if any).
func writeHTML(w io.Writer, title string, s Summary, records []Record, levels []sweepLevel) error {
	var charts []chart
	ok := okRecords(records)
	if len(s.Samples.TPS) > 0 {
		charts = append(charts, histogram("Tokens per second per request", "TPS (tokens/s)", s.Samples.TPS))
	}
	for _, c := range []struct {
		name string
		xs   []float64
	}{{"TTFT (ms)", s.Samples.TTFTMs}, {"TPOT (ms/token)", s.Samples.TPOTMs}, {"E2E latency (ms)", s.Samples.E2EMs}} {
		if len(c.xs) > 0 {
			charts = append(charts, cdf("CDF of "+c.name, c.name, c.xs))
		}
	}
	if itl := itlOverTime(ok); len(itl) > 0 {
		charts = append(charts, chart{title: "Inter-token latency over the run", xLabel: "time since start (s)", yLabel: "ITL (ms)",
			series: []series{{name: "gap between chunks", color: "#2563eb", points: itl, style: "dots"}}})
	}
	if inflight, tokens := timeline(records); len(inflight) > 0 {
		charts = append(charts,
			chart{title: "Requests in flight", xLabel: "time since start (s)", yLabel: "requests",
				series: []series{{name: "in flight", color: "#7c3aed", points: inflight, style: "line"}}},
			chart{title: "Output tokens per second", xLabel: "time since start (s)", yLabel: "tokens/s",
				series: []series{{name: "tokens/s", color: "#059669", points: tokens, style: "line"}}})
	}
	if len(levels) > 1 {
		charts = append(charts, sweepChart(levels))
	}

	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<!DOCTYPE html>` + "\n")
	b.WriteString(`<html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head><meta charset="utf-8"/>`)
	fmt.Fprintf(&b, "<title>%s</title>", html.EscapeString(title))
	b.WriteString(`<style>body{font-family:system-ui,sans-serif;margin:24px;color:#111;max-width:1200px}` +
		`h1{font-size:20px}table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}` +
		`th{background:#f3f4f6}.charts{display:flex;flex-wrap:wrap;gap:16px}svg{border:1px solid #ddd;background:#fff}` +
		`@media print{.charts{display:block}svg{page-break-inside:avoid}}</style></head><body>`)
	fmt.Fprintf(&b, "<h1>%s</h1>", html.EscapeString(title))
	writeHTMLTable(&b, s)
	b.WriteString(`<div class="charts">`)
	for _, c := range charts {
		c.svg(&b)
	}
	b.WriteString("</div></body></html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func okRecords(records []Record) []Record {
	var ok []Record
	for _, r := range records {
		if r.OK && !r.Warmup {
			ok = append(ok, r)
		}
	}
	return ok
}

func writeHTMLTable(b *strings.Builder, s Summary) {
	fmt.Fprintf(b, "<p>%d ok / %d failed (total %d); output %.2f tokens/s, %.3f requests/s over %.2f s</p>",
		s.OK, s.Failed, s.OK+s.Failed, s.OutputThroughput, s.RequestThroughput, s.Duration.Seconds())
	b.WriteString("<table><tr><th>figure</th><th>n</th><th>mean</th><th>median</th><th>p05</th><th>p95</th><th>p99</th></tr>")
	for _, row := range []struct {
		name string
		d    Dist
	}{{"TPS (tokens/s)", s.TPS}, {"E2E (ms)", s.E2E}, {"TTFT (ms)", s.TTFT}, {"TPOT (ms/token)", s.TPOT}, {"ITL (ms)", s.ITL}, {"Decode TPS (tokens/s)", s.DecodeTPS}} {
		if row.d.N == 0 {
			continue
		}
		d := row.d
		fmt.Fprintf(b, "<tr><td>%s</td><td>%d</td><td>%.2f</td><td>%.2f</td><td>%.2f</td><td>%.2f</td><td>%.2f</td></tr>",
			row.name, d.N, d.Mean, d.Median, d.P05, d.P95, d.P99)
	}
	b.WriteString("</table>")
	if len(s.Errors) > 0 {
		b.WriteString("<p>Errors:</p><ul>")
		for _, e := range s.Errors {
			fmt.Fprintf(b, "<li>%d x %s</li>", e.Count, html.EscapeString(e.Reason))
		}
		b.WriteString("</ul>")
	}
}

// histogram bins xs into about 20 bars.
func histogram(title, xLabel string, xs []float64) chart {
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
	pts := make([]point, bins)
	for i, c := range counts {
		pts[i] = point{lo + (float64(i)+0.5)*width, c}
	}
	return chart{title: title, xLabel: xLabel, yLabel: "requests",
		series: []series{{name: "requests", color: "#2563eb", points: pts, style: "bars"}}}
}

// cdf is the empirical cumulative distribution of xs.
func cdf(title, xLabel string, xs []float64) chart {
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	step := max(1, len(sorted)/500)
	var pts []point
	for i := 0; i < len(sorted); i += step {
		pts = append(pts, point{sorted[i], float64(i+1) / float64(len(sorted))})
	}
	pts = append(pts, point{sorted[len(sorted)-1], 1})
	return chart{title: title, xLabel: xLabel, yLabel: "fraction of requests",
		series: []series{{name: "CDF", color: "#dc2626", points: pts, style: "line"}}}
}

// itlOverTime is every gap between chunks at its time, at most about 4000.
func itlOverTime(records []Record) []point {
	total := 0
	for _, r := range records {
		total += max(0, len(r.Chunks)-1)
	}
	step := max(1, total/4000)
	var pts []point
	n := 0
	for _, r := range records {
		for j := 1; j < len(r.Chunks); j++ {
			if n++; n%step == 0 {
				pts = append(pts, point{r.Chunks[j].Seconds(), ms(r.Chunks[j] - r.Chunks[j-1])})
			}
		}
	}
	return pts
}

// timeline gives requests in flight and output tokens per second over the
// run, in about 100 steps.
func timeline(records []Record) (inflight, tokens []point) {
	var start, end time.Duration = math.MaxInt64, 0
	for _, r := range records {
		if r.Warmup || r.FailKind == failCancelled {
			continue
		}
		start, end = min(start, r.Send), max(end, r.End())
	}
	if end <= start {
		return nil, nil
	}
	const steps = 100
	width := (end - start) / steps
	if width <= 0 {
		return nil, nil
	}
	busy := make([]float64, steps+1) // requests in flight at each step's instant
	toks := make([]float64, steps+1)
	bin := func(t time.Duration) int { return min(steps, max(0, int((t-start)/width))) }
	for _, r := range records {
		if r.Warmup || r.FailKind == failCancelled {
			continue
		}
		for i := bin(r.Send); i <= steps; i++ {
			at := start + time.Duration(i)*width
			if at >= r.End() {
				break
			}
			if at >= r.Send {
				busy[i]++
			}
		}
		if !r.OK {
			continue
		}
		if len(r.Chunks) > 0 {
			per := float64(r.OutputTokens) / float64(len(r.Chunks))
			for _, c := range r.Chunks {
				toks[bin(c)] += per
			}
		} else {
			toks[bin(r.End())] += float64(r.OutputTokens)
		}
	}
	for i := 0; i <= steps; i++ {
		t := (start + time.Duration(i)*width).Seconds()
		inflight = append(inflight, point{t, busy[i]})
		tokens = append(tokens, point{t, toks[i] / width.Seconds()})
	}
	return inflight, tokens
}

// sweepChart plots each level's latency against its throughput.
func sweepChart(levels []sweepLevel) chart {
	var pts []point
	var names []string
	label := "E2E p95 (ms)"
	for _, l := range levels {
		names = append(names, l.label)
		y := l.s.E2E.P95
		if l.s.TTFT.N > 0 {
			y, label = l.s.TTFT.P95, "TTFT p95 (ms)"
		}
		pts = append(pts, point{l.s.OutputThroughput, y})
	}
	return chart{title: "Sweep: latency against throughput, one point per level", xLabel: "output throughput (tokens/s)", yLabel: label,
		series: []series{{name: "levels", color: "#ea580c", points: pts, style: "line", labels: names}}}
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

// svg draws the chart.
func (c chart) svg(b *strings.Builder) {
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), 0.0, math.Inf(-1)
	for _, s := range c.series {
		for _, p := range s.points {
			xlo, xhi, yhi = math.Min(xlo, p.x), math.Max(xhi, p.x), math.Max(yhi, p.y)
		}
	}
	if xhi <= xlo {
		xlo, xhi = xlo-1, xhi+1
	}
	if yhi <= ylo {
		yhi = ylo + 1
	}
	yhi *= 1.05
	px := func(x float64) float64 { return padL + (x-xlo)/(xhi-xlo)*(chartW-padL-padR) }
	py := func(y float64) float64 { return chartH - padB - (y-ylo)/(yhi-ylo)*(chartH-padT-padB) }
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-size="11">`, chartW, chartH, chartW, chartH)
	fmt.Fprintf(b, `<text x="%d" y="18" font-size="13" font-weight="bold">%s</text>`, padL, html.EscapeString(c.title))
	for _, t := range niceTicks(xlo, xhi, 6) {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#eee"/><text x="%.1f" y="%d" text-anchor="middle">%s</text>`,
			px(t), padT, px(t), chartH-padB, px(t), chartH-padB+14, tickLabel(t))
	}
	for _, t := range niceTicks(ylo, yhi, 5) {
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eee"/><text x="%d" y="%.1f" text-anchor="end">%s</text>`,
			padL, py(t), chartW-padR, py(t), padL-4, py(t)+4, tickLabel(t))
	}
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/><line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>`,
		padL, chartH-padB, chartW-padR, chartH-padB, padL, padT, padL, chartH-padB)
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`, (padL+chartW-padR)/2, chartH-8, html.EscapeString(c.xLabel))
	fmt.Fprintf(b, `<text x="14" y="%d" text-anchor="middle" transform="rotate(-90 14 %d)">%s</text>`, (padT+chartH-padB)/2, (padT+chartH-padB)/2, html.EscapeString(c.yLabel))
	for _, s := range c.series {
		switch s.style {
		case "bars":
			barW := (chartW - padL - padR) / float64(max(1, len(s.points))) * 0.9
			for _, p := range s.points {
				fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, px(p.x)-barW/2, py(p.y), barW, py(0)-py(p.y), s.color)
			}
		case "dots":
			for _, p := range s.points {
				fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="1.5" fill="%s" fill-opacity="0.5"/>`, px(p.x), py(p.y), s.color)
			}
		default:
			var pts []string
			for _, p := range s.points {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(p.x), py(p.y)))
			}
			fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="1.8" points="%s"/>`, s.color, strings.Join(pts, " "))
		}
		for i, l := range s.labels {
			p := s.points[i]
			fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/><text x="%.1f" y="%.1f" text-anchor="end">%s</text>`,
				px(p.x), py(p.y), s.color, px(p.x)-5, py(p.y)-5, html.EscapeString(l))
		}
	}
	b.WriteString("</svg>")
}
