package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"time"
)

// recordLine is a Record as one line of a --records file. Every time is in
// milliseconds from the run's start (run_start, wall clock), so a file
// alone rebuilds the report (tpsbench report) and files from several
// machines line up. Absent moments are omitted.
type recordLine struct {
	RunStart     time.Time    `json:"run_start"`
	Index        int          `json:"index"`
	Level        string       `json:"level,omitempty"` // sweep level, e.g. "c=8"
	Warmup       bool         `json:"warmup,omitempty"`
	Stream       bool         `json:"stream"`
	Unstreamed   bool         `json:"stream_ignored,omitempty"` // a stream was asked; the answer came whole
	OK           bool         `json:"ok"`
	FailKind     failKind     `json:"fail_kind,omitempty"`
	Error        string       `json:"error,omitempty"`
	HTTPStatus   int          `json:"http_status,omitempty"`
	SchedMs      *float64     `json:"sched_ms,omitempty"`
	SendMs       float64      `json:"send_ms"`
	HdrMs        *float64     `json:"hdr_ms,omitempty"`
	FirstMs      *float64     `json:"first_ms,omitempty"`
	FirstAnsMs   *float64     `json:"first_answer_ms,omitempty"`
	LastMs       *float64     `json:"last_ms,omitempty"`
	DoneMs       *float64     `json:"done_ms,omitempty"`
	ChunksMs     []float64    `json:"chunks_ms,omitempty"` // arrival of every token-bearing chunk
	MaxTokens    int          `json:"max_tokens,omitempty"`
	FixedOutput  bool         `json:"fixed_output,omitempty"` // asked for exactly max_tokens
	OutputTokens int          `json:"output_tokens"`
	TokenSource  tokenSource  `json:"token_source,omitempty"`
	InputTokens  *int         `json:"input_tokens,omitempty"`
	UsageTokens  *int         `json:"usage_tokens,omitempty"`    // the server's count, when it gave one
	TiktokenTok  *int         `json:"tiktoken_tokens,omitempty"` // tiktoken's count, when counted
	TokensApprox bool         `json:"tokens_approx,omitempty"`   // tiktoken's count cut text without a word break
	ReasonTok    *int         `json:"reasoning_tokens,omitempty"`
	CachedTok    *int         `json:"cached_prompt_tokens,omitempty"`
	FinishReason string       `json:"finish_reason,omitempty"`
	DoneSeen     bool         `json:"done_seen,omitempty"`
	Reasoning    bool         `json:"reasoning,omitempty"`
	Retried      bool         `json:"retried,omitempty"`
	NewConn      bool         `json:"new_conn,omitempty"`
	ConnectMs    float64      `json:"connect_ms,omitempty"`
	ResponseID   string       `json:"response_id,omitempty"`
	Server       *ServerTimes `json:"server,omitempty"` // the server's own timings

	// The first line of a file is a recordsHeader instead: these fields
	// tell it (files before format 1 marked it with index -1 and a
	// fingerprint only).
	Format      string       `json:"tpsbench_records,omitempty"`
	Fingerprint *fingerprint `json:"fingerprint,omitempty"`
}

// recordsFormat is the records format's version, in each file's header.
const recordsFormat = "1"

// recordsHeader is the first line of a records file: not a request, but
// the run's start and fingerprint, in a shape of its own (no "ok", no
// "index"), so that counting requests from the JSON lines counts no header.
type recordsHeader struct {
	RunStart    time.Time    `json:"run_start"`
	Format      string       `json:"tpsbench_records"`
	Fingerprint *fingerprint `json:"fingerprint"`
}

func fromMs(ms float64) time.Duration { return time.Duration(math.Round(ms * 1e6)) }

func optMs(d time.Duration) *float64 {
	if d == none {
		return nil
	}
	v := toMs(d)
	return &v
}

func fromOptMs(ms *float64) time.Duration {
	if ms == nil {
		return none
	}
	return fromMs(*ms)
}

// line turns a Record into its file form.
func (r *Record) line(runStart time.Time) recordLine {
	l := recordLine{
		RunStart: runStart, Index: r.Index, Level: r.Level, Warmup: r.Warmup, Stream: r.Stream, Unstreamed: r.StreamIgnored,
		OK: r.OK, FailKind: r.FailKind, Error: r.Err, HTTPStatus: r.HTTPStatus,
		SchedMs: optMs(r.Sched), SendMs: toMs(r.Send), HdrMs: optMs(r.Hdr), FirstMs: optMs(r.First()),
		FirstAnsMs: optMs(r.FirstAnswer), LastMs: optMs(r.Last()), DoneMs: optMs(r.Done),
		MaxTokens: r.MaxTokens, FixedOutput: r.FixedOutput, OutputTokens: r.OutputTokens, TokenSource: r.TokenSource, TokensApprox: r.TokensApprox, FinishReason: r.FinishReason,
		DoneSeen: r.DoneSeen, Reasoning: r.Reasoning, Retried: r.Retried, NewConn: r.NewConn,
		ConnectMs: toMs(r.Connect), ResponseID: r.ResponseID, Server: r.Server,
	}
	optInt := func(n int) *int {
		if n < 0 {
			return nil
		}
		return &n
	}
	l.InputTokens, l.UsageTokens, l.TiktokenTok = optInt(r.InputTokens), optInt(r.UsageTokens), optInt(r.TiktokenTokens)
	l.ReasonTok, l.CachedTok = optInt(r.ReasonTokens), optInt(r.CachedTokens)
	if n := r.Chunks.Len(); n > 0 {
		l.ChunksMs = make([]float64, n)
		for i := range n {
			l.ChunksMs[i] = toMs(r.Chunks.At(i))
		}
	}
	return l
}

// record turns a file line back into a Record, its times shifted by shift
// (to line up files whose runs started at different moments). Its words
// are escaped (clean): a file is text from elsewhere.
func (l *recordLine) record(shift time.Duration) Record {
	at := func(d time.Duration) time.Duration {
		if d == none {
			return none
		}
		return d + shift
	}
	r := Record{
		Index: l.Index, Level: clean(l.Level), Warmup: l.Warmup, Stream: l.Stream, StreamIgnored: l.Unstreamed,
		OK: l.OK, FailKind: failKind(clean(string(l.FailKind))), Err: clean(l.Error), HTTPStatus: l.HTTPStatus,
		Sched: at(fromOptMs(l.SchedMs)), Send: at(fromMs(l.SendMs)), Hdr: at(fromOptMs(l.HdrMs)),
		FirstAnswer: at(fromOptMs(l.FirstAnsMs)), Done: at(fromOptMs(l.DoneMs)),
		MaxTokens: l.MaxTokens, FixedOutput: l.FixedOutput, OutputTokens: l.OutputTokens, TokenSource: l.TokenSource, InputTokens: -1, UsageTokens: -1, TiktokenTokens: -1, ReasonTokens: -1, CachedTokens: -1,
		FinishReason: clean(l.FinishReason), TokensApprox: l.TokensApprox,
		DoneSeen: l.DoneSeen, Reasoning: l.Reasoning, Retried: l.Retried, NewConn: l.NewConn,
		Connect: fromMs(l.ConnectMs), ResponseID: clean(l.ResponseID), Server: l.Server,
	}
	for _, f := range []struct {
		from *int
		to   *int
	}{{l.InputTokens, &r.InputTokens}, {l.UsageTokens, &r.UsageTokens}, {l.TiktokenTok, &r.TiktokenTokens},
		{l.ReasonTok, &r.ReasonTokens}, {l.CachedTok, &r.CachedTokens}} {
		if f.from != nil {
			*f.to = *f.from
		}
	}
	r.Chunks = newArrivals(max(len(l.ChunksMs)-1, 0))
	for _, c := range l.ChunksMs {
		r.Chunks.Append(at(fromMs(c)))
	}
	return r
}

// recordSink writes each Record as it is settled and flushes it, so an
// interrupted or crashed run still leaves every finished request on disk.
type recordSink struct {
	w        *bufio.Writer
	file     *os.File
	runStart time.Time
	err      error
}

// openRecordSink creates the records file; begin writes its header.
func openRecordSink(path string) (*recordSink, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, usagef("-records: %v", err)
	}
	return &recordSink{w: bufio.NewWriter(f), file: f}, nil
}

// begin writes the header line: the run's start and fingerprint.
func (s *recordSink) begin(runStart time.Time, fp *fingerprint) error {
	s.runStart = runStart
	b, err := json.Marshal(recordsHeader{RunStart: runStart, Format: recordsFormat, Fingerprint: fp})
	if err == nil {
		s.w.Write(append(b, '\n'))
		s.err = s.w.Flush()
	}
	return err
}

func (s *recordSink) add(r *Record) {
	if s == nil || s.err != nil {
		return
	}
	b, err := json.Marshal(r.line(s.runStart))
	if err == nil {
		b = append(b, '\n')
		_, err = s.w.Write(b)
	}
	if err == nil {
		err = s.w.Flush()
	}
	s.err = err
}

func (s *recordSink) close() error {
	if s == nil || s.file == nil {
		return nil
	}
	defer func() { s.file = nil }()
	if err := s.file.Close(); s.err == nil {
		s.err = err
	}
	if s.err != nil {
		return fmt.Errorf("writing -records: %w", s.err)
	}
	return nil
}
