// Package host describes the machine tpsbench runs on: its CPU, the CPU
// time this process has used, how many files it may open, and whether an
// endpoint is on this machine.
package host

import (
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"
)

// CPUModel is the CPU's model name from /proc/cpuinfo, or "unknown CPU"
// where that file does not say.
func CPUModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	return cpuModelIn(string(b))
}

// cpuModelIn finds the first "model name" line of a /proc/cpuinfo text.
func cpuModelIn(cpuinfo string) string {
	for _, line := range strings.Split(cpuinfo, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// IsLocal reports whether the endpoint at baseURL is on this machine:
// its host is localhost or a loopback address.
func IsLocal(baseURL string) bool {
	u, err := url.Parse(baseURL)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ProcessCPU is the user and system CPU time this process has used so
// far, or 0 when the system does not say.
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// OpenFileLimit is how many files this process may have open at once: the
// soft RLIMIT_NOFILE, which Go raised to (one below) the hard limit as the
// program started. It is 0 when the system does not say.
func OpenFileLimit() uint64 {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) != nil {
		return 0
	}
	return lim.Cur
}
