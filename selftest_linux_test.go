package main

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// selftest's simulator runs in a child process that dies with its parent,
// even when the parent is killed outright (no deferred stop runs).
func TestSelftestChildDiesWithParent(t *testing.T) {
	t.Parallel()
	cmd := mainCommand("selftest", "--levels", "1", "--duration", "10m")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	// The heading is printed once the simulator answers.
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil {
		t.Fatalf("selftest did not start: %q, %v", line, err)
	}
	children := childrenOf(t, cmd.Process.Pid)
	if len(children) != 1 {
		t.Fatalf("selftest has children %v; want its simulator", children)
	}
	sim := children[0]
	cmd.Process.Kill()
	cmd.Wait()
	for deadline := time.Now().Add(10 * time.Second); alive(sim); {
		if time.Now().After(deadline) {
			syscall.Kill(sim, syscall.SIGKILL)
			t.Fatalf("the simulator (pid %d) outlived selftest by 10 s", sim)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// childrenOf lists the child processes of pid, from /proc.
func childrenOf(t *testing.T, pid int) []int {
	t.Helper()
	tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	if err != nil {
		t.Skip(err)
	}
	var kids []int
	for _, task := range tasks {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + task.Name() + "/children")
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				kids = append(kids, n)
			}
		}
	}
	return kids
}

// alive reports whether process pid still runs (a zombie does not).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return !strings.HasPrefix(rest, "Z") && !strings.HasPrefix(rest, "X")
}
