package host

import (
	"syscall"
	"testing"
	"time"
)

func TestCPUModelIn(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, cpuinfo, want string }{
		{"first model name", "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\nmodel name\t: other\n", "Intel(R) Xeon(R) CPU @ 2.20GHz"},
		{"spaces around", "  model name  :   AMD EPYC 7B13  \n", "AMD EPYC 7B13"},
		{"no model name (ARM)", "processor\t: 0\nBogoMIPS\t: 50.00\n", "unknown CPU"},
		{"empty", "", "unknown CPU"},
		{"value with a colon", "model name\t: Weird: CPU\n", "Weird: CPU"},
	}
	for _, tt := range tests {
		if got := cpuModelIn(tt.cpuinfo); got != tt.want {
			t.Errorf("%s: cpuModelIn = %q; want %q", tt.name, got, tt.want)
		}
	}
	if CPUModel() == "" {
		t.Error("CPUModel is empty; want a name or \"unknown CPU\"")
	}
}

func TestIsLocal(t *testing.T) {
	t.Parallel()
	for url, want := range map[string]bool{
		"http://localhost:11434/v1":      true,
		"http://127.0.0.1:8000/v1":       true,
		"http://127.1.2.3/v1":            true,
		"http://[::1]:8080/v1":           true,
		"https://api.openai.com/v1":      false,
		"http://192.168.1.10:11434/v1":   false,
		"http://user:pw@localhost:80/v1": true,
		"://bad":                         false,
		"":                               false,
	} {
		if got := IsLocal(url); got != want {
			t.Errorf("IsLocal(%q) = %v; want %v", url, got, want)
		}
	}
}

func TestProcessCPU(t *testing.T) {
	t.Parallel()
	before := ProcessCPU()
	x := 0
	for start := time.Now(); time.Since(start) < 20*time.Millisecond; {
		x++ // burn some CPU
	}
	after := ProcessCPU()
	if before <= 0 || after < before {
		t.Errorf("ProcessCPU went %v -> %v (spun %d times); want positive and not decreasing", before, after, x)
	}
}

// Go raises the soft limit on open files to the hard limit as it starts.
func TestOpenFileLimit(t *testing.T) {
	t.Parallel()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skip(err)
	}
	if got := OpenFileLimit(); got == 0 || got < lim.Max-1 {
		t.Errorf("OpenFileLimit = %d; want the hard limit %d, or one below", got, lim.Max)
	}
}
