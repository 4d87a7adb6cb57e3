//go:build !linux

package main

import "syscall"

// childAttrs: outside Linux there is no parent-death signal; the child is
// stopped when selftest returns (and, interrupted, when it exits).
func childAttrs() *syscall.SysProcAttr { return nil }
