package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// progress keeps one status line on a terminal's stderr, redrawn a few
// times a second: it never touches stdout, and stays silent when stderr is
// not a terminal or with --quiet.
type progress struct {
	w        io.Writer
	total    int           // requests to send, 0 when unknown
	duration time.Duration // a --duration run's length
	start    time.Time

	sent, done, ok, failed, tokens atomic.Int64
	// arrived counts token-bearing chunks as the streams deliver them (the
	// Client's count); tokens adds the rest of each ok answer's count when
	// it is settled, so that the rate moves while tokens stream.
	arrived *atomic.Int64

	stop     chan struct{}
	wg       sync.WaitGroup
	stopOnce sync.Once
}

// newProgress returns nil (no progress line) unless stderr is a terminal.
// arrived is the Client's count of token-bearing chunks as they arrive.
// The line is written beneath the safeWriter that guards stderr: its own
// escape sequences redraw it, and it shows nothing but its figures.
func newProgress(stderr io.Writer, quiet bool, total int, duration time.Duration, arrived *atomic.Int64) *progress {
	if guarded, ok := stderr.(interface{ Unwrap() io.Writer }); ok {
		stderr = guarded.Unwrap()
	}
	if quiet || !isTerminal(stderr) {
		return nil
	}
	p := &progress{w: stderr, total: total, duration: duration, start: time.Now(), stop: make(chan struct{}), arrived: arrived}
	p.wg.Go(p.loop)
	return p
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func (p *progress) sentOne() {
	if p != nil {
		p.sent.Add(1)
	}
}

func (p *progress) finished(r *Record) {
	if p == nil {
		return
	}
	p.done.Add(1)
	if r.OK {
		p.ok.Add(1)
		p.tokens.Add(int64(r.OutputTokens - r.Chunks.Len())) // the chunks were counted as they came
	} else {
		p.failed.Add(1)
	}
}

func (p *progress) loop() {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var lastTokens int64
	last := time.Now()
	for {
		select {
		case <-p.stop:
			fmt.Fprint(p.w, "\r\x1b[K")
			return
		case now := <-tick.C:
			tokens := p.tokenCount()
			rate := float64(tokens-lastTokens) / now.Sub(last).Seconds()
			lastTokens, last = tokens, now
			fmt.Fprint(p.w, "\r"+p.line(now.Sub(p.start), rate)+"\x1b[K")
		}
	}
}

// tokenCount is the tokens seen so far: the chunks of streams as they
// arrive, and the rest of the answers' counts as they are settled.
func (p *progress) tokenCount() int64 {
	n := p.tokens.Load()
	if p.arrived != nil {
		n += p.arrived.Load()
	}
	return n
}

// line is the status: done/total, ok/failed, in flight, tokens/s, elapsed, ETA.
func (p *progress) line(elapsed time.Duration, tokensPerSec float64) string {
	done := p.done.Load()
	total := "?"
	eta := "?"
	switch {
	case p.total > 0:
		total = strconv.Itoa(p.total)
		if done > 0 {
			eta = (time.Duration(float64(elapsed) / float64(done) * float64(int64(p.total)-done))).Round(time.Second).String()
		}
	case p.duration > 0:
		eta = max(0, p.duration-elapsed).Round(time.Second).String()
	}
	return fmt.Sprintf("%d/%s done  %d ok  %d failed  %d in flight  %.0f tok/s  %s elapsed  ETA %s",
		done, total, p.ok.Load(), p.failed.Load(), p.sent.Load()-done, tokensPerSec, elapsed.Round(time.Second), eta)
}

// close erases the line; the report follows on a clean screen.
func (p *progress) close() {
	if p == nil {
		return
	}
	p.stopOnce.Do(func() { close(p.stop) })
	p.wg.Wait()
}
