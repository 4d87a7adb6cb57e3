package main

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
	"time"

	"github.com/tpsbench/tpsbench/internal/svgchart"
)

// The HTML report is one self-contained file: inline CSS and SVG, no script
// and nothing fetched, so it opens offline and prints. It is written as
// well-formed XHTML (a test parses it).

// renderHTML writes the --html report of a finished run.
func renderHTML(w io.Writer, r *finishedRun) error {
	title := "tpsbench report rebuilt from records, run started " + r.started.Format(time.RFC3339)
	if r.cfg != nil {
		title = fmt.Sprintf("tpsbench: %s at %s, %s", r.cfg.model, redactURL(r.baseURL), r.started.Format(time.RFC3339))
	}
	return writeHTML(w, clean(title), r.s, r.records, r.levels) // the model name is the user's text
}

// writeHTML writes the report of records (and sweep levels, if any).
func writeHTML(w io.Writer, title string, s Summary, records []Record, levels []sweepLevel) error {
	var charts []svgchart.Chart
	ok := okRecords(records)
	if len(s.Samples.TPS) > 0 {
		charts = append(charts, svgchart.Histogram("Tokens per second per request", "TPS (tokens/s)", s.Samples.TPS))
	}
	for _, c := range []struct {
		name string
		xs   []float64
	}{{"TTFT (ms)", s.Samples.TTFTMs}, {"TPOT (ms/token)", s.Samples.TPOTMs}, {"E2E latency (ms)", s.Samples.E2EMs}} {
		if len(c.xs) > 0 {
			charts = append(charts, svgchart.CDF("CDF of "+c.name, c.name, c.xs))
		}
	}
	if itl := itlOverTime(ok); len(itl) > 0 {
		charts = append(charts, svgchart.Chart{Title: "Inter-token latency over the run", XLabel: "time since start (s)", YLabel: "ITL (ms)",
			Series: []svgchart.Series{{Name: "gap between chunks", Color: "#2563eb", Points: itl, Style: svgchart.Dots}}})
	}
	if inflight, tokens := timeline(records); len(inflight) > 0 {
		charts = append(charts,
			svgchart.Chart{Title: "Requests in flight", XLabel: "time since start (s)", YLabel: "requests",
				Series: []svgchart.Series{{Name: "in flight", Color: "#7c3aed", Points: inflight, Style: svgchart.Line}}},
			svgchart.Chart{Title: "Output tokens per second", XLabel: "time since start (s)", YLabel: "tokens/s",
				Series: []svgchart.Series{{Name: "tokens/s", Color: "#059669", Points: tokens, Style: svgchart.Line}}})
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
		c.WriteSVG(&b)
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

// itlOverTime is every gap between chunks at its time, at most about 4000.
func itlOverTime(records []Record) []svgchart.Point {
	total := 0
	for _, r := range records {
		total += max(0, r.Chunks.Len()-1)
	}
	step := max(1, total/4000)
	var pts []svgchart.Point
	n := 0
	for _, r := range records {
		for j := 1; j < r.Chunks.Len(); j++ {
			if n++; n%step == 0 {
				pts = append(pts, svgchart.Point{X: r.Chunks.At(j).Seconds(), Y: toMs(r.Chunks.Gap(j))})
			}
		}
	}
	return pts
}

// timeline gives requests in flight and output tokens per second over the
// run, in about 100 steps.
func timeline(records []Record) (inflight, tokens []svgchart.Point) {
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
		if n := r.Chunks.Len(); n > 0 {
			per := float64(r.OutputTokens) / float64(n)
			for j := range n {
				toks[bin(r.Chunks.At(j))] += per
			}
		} else {
			toks[bin(r.End())] += float64(r.OutputTokens)
		}
	}
	for i := 0; i <= steps; i++ {
		t := (start + time.Duration(i)*width).Seconds()
		inflight = append(inflight, svgchart.Point{X: t, Y: busy[i]})
		tokens = append(tokens, svgchart.Point{X: t, Y: toks[i] / width.Seconds()})
	}
	return inflight, tokens
}

// sweepChart plots each level's latency against its throughput.
func sweepChart(levels []sweepLevel) svgchart.Chart {
	var pts []svgchart.Point
	var names []string
	label := "E2E p95 (ms)"
	for _, l := range levels {
		names = append(names, l.label)
		y := l.s.E2E.P95
		if l.s.TTFT.N > 0 {
			y, label = l.s.TTFT.P95, "TTFT p95 (ms)"
		}
		pts = append(pts, svgchart.Point{X: l.s.OutputThroughput, Y: y})
	}
	return svgchart.Chart{Title: "Sweep: latency against throughput, one point per level", XLabel: "output throughput (tokens/s)", YLabel: label,
		Series: []svgchart.Series{{Name: "levels", Color: "#ea580c", Points: pts, Style: svgchart.Line, Labels: names}}}
}
