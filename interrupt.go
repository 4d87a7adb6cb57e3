package main

import (
	"context"
	"os"
	"time"
)

// Ctrl-C, in steps. The first interrupt stops sending: requests in flight
// get --grace to finish, and the report and files follow. The second
// cancels what is still in flight and every call still waiting (the
// metrics scrape after the run); the report and files of what is complete
// still follow. The third exits at once.
//
// A terminal (and `timeout -s INT`) signals the whole process group, so one
// keypress can arrive as two signals a few microseconds apart: signals
// within interruptWindow of the last one counted are the same interrupt.

// interruptWindow is how close together two signals count as one
// interrupt: far longer than signals sent together take to arrive, far
// shorter than a person takes to decide to press Ctrl-C again.
const interruptWindow = 500 * time.Millisecond

// interruptCounter counts interrupts from signals and the times they came.
type interruptCounter struct {
	window time.Duration
	n      int       // interrupts counted
	last   time.Time // when the last one counted came
}

// note takes one signal that came at the time at, and returns which
// interrupt it is (1 for the first), or 0 when it is part of the last one.
func (c *interruptCounter) note(at time.Time) int {
	if c.n > 0 && at.Sub(c.last) < c.window {
		return 0
	}
	c.n++
	c.last = at
	return c.n
}

// handleInterrupts reads signals until the channel closes and calls
// steps[i] on the (i+1)th interrupt; interrupts beyond the steps do
// nothing. now is the clock the signals are stamped with.
func handleInterrupts(signals <-chan os.Signal, now func() time.Time, steps ...func()) {
	c := interruptCounter{window: interruptWindow}
	for range signals {
		if n := c.note(now()); n > 0 && n <= len(steps) {
			steps[n-1]()
		}
	}
}

// interruptContexts are the contexts of a command line: stop ends at the
// first interrupt (stopNow), and quitContext(stop) at the second (quitNow,
// which ends stop too).
func interruptContexts(parent context.Context) (stop context.Context, stopNow, quitNow context.CancelFunc) {
	quit, quitNow := context.WithCancel(parent)
	stop, stopNow = context.WithCancel(quit)
	return context.WithValue(stop, quitKey{}, quit), stopNow, quitNow
}

// quitKey holds, in a command's context, the context the second interrupt
// ends.
type quitKey struct{}

// quitContext is the context the second interrupt ends; without one (a
// test's context), one that never ends.
func quitContext(ctx context.Context) context.Context {
	if quit, ok := ctx.Value(quitKey{}).(context.Context); ok {
		return quit
	}
	return context.WithoutCancel(ctx)
}

// untilNextInterrupt is the context the next interrupt ends: ctx itself
// before the first, the second's afterwards. A call made after the run
// (the metrics scrape) ends with it, whenever the interrupt comes.
func untilNextInterrupt(ctx context.Context) context.Context {
	if ctx.Err() == nil {
		return ctx
	}
	return quitContext(ctx)
}
