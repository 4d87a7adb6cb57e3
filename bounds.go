package main

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// The bounds of the numeric flags: every count, total and time a run
// derives from them fits its type, and no value makes a run that sends
// nothing or fails every request for a reason of our own.
const (
	// maxThreads bounds <threads>, each -sweep-concurrency level and
	// -max-concurrency.
	maxThreads = 1_000_000
	// maxRequests bounds the requests of one phase (-requests, -warmup,
	// <threads> x -requests-per-thread): a request's key numbers it in 32
	// bits, and the warm-up plus the measured phase still fit an int.
	maxRequests = 1_000_000_000
	// minTimeout and maxTimeout bound -timeout, in seconds: a time.Duration
	// holds about 292 years.
	minTimeout, maxTimeout = 0.001, 1e6
	// minDuration is the shortest -duration: the first request always
	// starts, but a shorter run measures nothing.
	minDuration = time.Millisecond
	// minBurstiness and maxBurstiness bound -burstiness, the gamma shape of
	// the arrival gaps: beyond them the gaps are all but constant, or all
	// but zero.
	minBurstiness, maxBurstiness = 0.01, 1000.0
	// maxInputTokens bounds -input-tokens and -input-tokens-stddev, and any
	// synthetic prompt's drawn length: above any model's context window
	// today, and a prompt is built whole for each request (about 6 bytes a
	// token, several copies on the way out).
	maxInputTokens = 2_000_000
)

// validateNumbers checks the run's own numbers against their bounds.
func (c *config) validateNumbers() error {
	switch {
	case c.threads < 1:
		return usagef("<threads> must be at least 1, got %d", c.threads)
	case c.threads > maxThreads:
		return usagef("<threads> must be at most %d, got %d", maxThreads, c.threads)
	case c.requestsPerThread < 1:
		return usagef("-requests-per-thread must be at least 1, got %d", c.requestsPerThread)
	case c.requestsPerThread > maxRequests/c.threads:
		return usagef("<threads> x -requests-per-thread must be at most %d requests, got %d x %d", maxRequests, c.threads, c.requestsPerThread)
	case !(c.timeout >= minTimeout && c.timeout <= maxTimeout):
		return usagef("-timeout must be a number of seconds from %s to %s, got %s", plainFloat(minTimeout), plainFloat(maxTimeout), pyFloat(c.timeout))
	case c.maxTokens < 1:
		return usagef("-max-tokens must be at least 1, got %d", c.maxTokens)
	case !finiteFrom0(c.temperature):
		return usagef("-temperature must be a finite number, 0 or more, got %s", flagFloat(c.temperature))
	case c.grace < 0:
		return usagef("-grace must not be negative, got %s", c.grace)
	case c.gpuIdle < 0:
		return usagef("-gpu-idle must not be negative, got %s", c.gpuIdle)
	}
	return nil
}

// validateModels checks -model: one name, or several separated by commas,
// none empty.
func (c *config) validateModels() error {
	if strings.TrimSpace(c.model) == "" {
		return usagef("-model must not be empty")
	}
	for _, m := range c.models() {
		if m == "" {
			return usagef("-model has an empty name in %q: separate several models with single commas, e.g. a,b", c.model)
		}
	}
	return nil
}

// flagFloat writes f as %g does, but a value that is not finite as the
// flags take it: inf, -inf, nan (not +Inf, NaN).
func flagFloat(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return pyFloat(f)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// plainFloat writes f without an exponent: 1e6 as 1000000.
func plainFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// finiteFrom0 reports whether f is a finite number, 0 or more (NaN is
// not).
func finiteFrom0(f float64) bool { return f >= 0 && !math.IsInf(f, 1) }

// within01 reports whether f is between 0 and 1 (NaN is not).
func within01(f float64) bool { return f >= 0 && f <= 1 }
