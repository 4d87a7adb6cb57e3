package main

import (
	"errors"
	"fmt"
)

// The errors a command ends with, which main maps to its exit status.

var (
	// errFailed reports that some requests failed; the report already says which.
	errFailed = errors.New("some requests failed")
	// errInterrupted reports a run stopped by Ctrl-C, after its report.
	errInterrupted = errors.New("interrupted")
)

// usageError is a bad command line: exit status 2, nothing sent.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}
