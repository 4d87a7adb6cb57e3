package main

import "syscall"

// childAttrs makes a child process die with this one: the kernel kills it
// when tpsbench ends, however it ends (even killed outright, when no
// deferred stop runs).
func childAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
