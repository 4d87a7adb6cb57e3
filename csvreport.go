package main

import (
	"encoding/csv"
	"io"
	"strconv"
	"time"
)

// csvHeader names the --csv columns: one row per request, times in ms from
// the run's start (empty when the moment never came), as in --records.
var csvHeader = []string{"index", "level", "warmup", "stream", "ok", "fail_kind", "error", "http_status",
	"sched_ms", "send_ms", "hdr_ms", "first_ms", "first_answer_ms", "last_ms", "done_ms",
	"ttft_ms", "tpot_ms", "e2e_ms", "tps", "output_tokens", "token_source", "input_tokens", "chunks",
	"finish_reason", "done_seen", "retried", "new_conn", "connect_ms", "response_id"}

// writeCSV writes records as CSV, every cell through csvCell.
func writeCSV(w io.Writer, records []Record) error {
	cw := csv.NewWriter(w)
	cw.Write(csvHeader)
	msText := func(d time.Duration) string {
		if d == none {
			return ""
		}
		return strconv.FormatFloat(toMs(d), 'f', -1, 64)
	}
	for i := range records {
		r := &records[i]
		ttft, tpot := "", ""
		if d, ok := r.TTFT(); ok {
			ttft = msText(d)
		}
		if d, ok := r.TPOT(); ok {
			tpot = msText(d)
		}
		input := ""
		if r.InputTokens >= 0 {
			input = strconv.Itoa(r.InputTokens)
		}
		e2e, tps := "", ""
		if r.OK {
			e2e, tps = msText(r.E2E()), strconv.FormatFloat(r.TPS(), 'f', -1, 64)
		}
		row := []string{strconv.Itoa(r.Index), r.Level, strconv.FormatBool(r.Warmup), strconv.FormatBool(r.Stream),
			strconv.FormatBool(r.OK), string(r.FailKind), r.Err, strconv.Itoa(r.HTTPStatus),
			msText(r.Sched), msText(r.Send), msText(r.Hdr), msText(r.First()), msText(r.FirstAnswer), msText(r.Last()), msText(r.Done),
			ttft, tpot, e2e, tps, strconv.Itoa(r.OutputTokens), string(r.TokenSource), input, strconv.Itoa(r.Chunks.Len()),
			r.FinishReason, strconv.FormatBool(r.DoneSeen), strconv.FormatBool(r.Retried), strconv.FormatBool(r.NewConn),
			msText(r.Connect), r.ResponseID}
		for i := range row {
			row[i] = csvCell(row[i]) // a server's words (error, finish reason, id) are never a formula
		}
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}
