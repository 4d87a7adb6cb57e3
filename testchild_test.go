package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"testing"
)

// More of the shared test environment (testenv_test.go): the program as a
// child process.

// TestMain runs the tests, or, in a child process that mainCommand started,
// the program itself.
func TestMain(m *testing.M) {
	if os.Getenv("TPSBENCH_TEST_AS_MAIN") == "1" {
		main()
	}
	os.Exit(m.Run())
}

// mainCommand is the program, with args, as a child process: for what needs
// a process of its own (signals, children). The test binary plays it, and
// so do its own children (selftest's simulator).
func mainCommand(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "TPSBENCH_TEST_AS_MAIN=1")
	return cmd
}

// runChild runs the program in a process of its own, with env added to
// this one's environment, for what a process reads once (net/http reads
// the proxy settings of its environment once).
func runChild(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := mainCommand(args...)
	cmd.Env = append(cmd.Env, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}
