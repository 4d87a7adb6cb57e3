package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// result is one client run's measurements.
type result struct {
	ok, failed   int
	tokensPerSec float64
	reqPerSec    float64
	tokens       int
	wall         time.Duration // the measured run, as the client reports it
	cpu          time.Duration // the client's, start to exit
	rssKB        int64
	ttftClient   float64
	ttftSim      float64
	opened       int     // connections the client opened
	connectMs    float64 // their mean connect time
	simCPU       time.Duration
}

// measure starts a simulator for p, runs one client against it (the
// reference when ref), and measures both.
func (b *bench) measure(p point, ref bool) (result, error) {
	addr, err := freeAddr()
	if err != nil {
		return result{}, err
	}
	simCmd := b.pin(b.simCPU, append([]string{b.bin, "sim", "--addr", addr, "--max-tokens", "256"}, p.sim...)...)
	if err := simCmd.Start(); err != nil {
		return result{}, err
	}
	defer func() {
		simCmd.Process.Kill()
		simCmd.Wait()
	}()
	base := "http://" + addr + "/v1"
	if err := waitReady(base + "/models"); err != nil {
		return result{}, err
	}
	simBefore := simCPU(simCmd.Process.Pid)

	var cmd *exec.Cmd
	if ref {
		cmd = b.pin(b.clientCPU, append([]string{b.ref, "-base-url", base}, p.ref...)...)
	} else {
		cmd = b.pin(b.clientCPU, append([]string{b.bin, "--base-url", base, "--json", "-", "--quiet"}, p.client...)...)
	}
	var out, text bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &text
	runErr := cmd.Run()
	r := result{simCPU: simCPU(simCmd.Process.Pid) - simBefore}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		r.rssKB = ru.Maxrss
	}
	parse := parseSummary
	if ref {
		parse = parseReference
	}
	if err := parse(out.Bytes(), &r); err != nil {
		return r, fmt.Errorf("%v (exit: %v)\n%s", err, runErr, text.String())
	}
	var st struct {
		TTFTMeanMs float64 `json:"ttft_mean_ms"`
	}
	if resp, err := http.Get("http://" + addr + "/sim/stats"); err == nil {
		json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
	}
	r.ttftSim = st.TTFTMeanMs
	return r, nil
}

// summary is what bench reads of tpsbench's --json document.
type summary struct {
	Requests struct {
		OK     int `json:"ok"`
		Failed int `json:"failed"`
	} `json:"requests"`
	Tokens struct {
		Output int `json:"output"`
	} `json:"tokens"`
	DurationS             float64 `json:"duration_s"`
	OutputThroughputTokS  float64 `json:"output_throughput_tok_s"`
	RequestThroughputReqS float64 `json:"request_throughput_req_s"`
	TTFTMs                *struct {
		Mean float64 `json:"mean"`
	} `json:"ttft_ms"`
	ConnectMs *struct {
		Mean float64 `json:"mean"`
	} `json:"connect_ms"`
	NewConnections   int `json:"new_connections"`
	ReadyConnections int `json:"connections_before_clock"`
	PreConnectMs     *struct {
		Mean float64 `json:"mean"`
	} `json:"connect_before_clock_ms"`
}

// parseSummary reads a run's figures from tpsbench's --json document.
func parseSummary(doc []byte, r *result) error {
	var s summary
	if err := json.Unmarshal(doc, &s); err != nil {
		return fmt.Errorf("reading the --json summary: %w", err)
	}
	r.ok, r.failed, r.tokens = s.Requests.OK, s.Requests.Failed, s.Tokens.Output
	r.tokensPerSec, r.reqPerSec = s.OutputThroughputTokS, s.RequestThroughputReqS
	r.wall = time.Duration(s.DurationS * float64(time.Second))
	if s.TTFTMs != nil {
		r.ttftClient = s.TTFTMs.Mean
	}
	r.opened = s.NewConnections + s.ReadyConnections
	switch {
	case s.PreConnectMs != nil: // opened before the clock
		r.connectMs = s.PreConnectMs.Mean
	case s.ConnectMs != nil:
		r.connectMs = s.ConnectMs.Mean
	}
	return nil
}

// parseReference reads a run's figures from the reference's JSON line.
func parseReference(doc []byte, r *result) error {
	var s struct {
		OK, Failed, Tokens int
		WallS              float64 `json:"wall_s"`
		TTFTMeanMs         float64 `json:"ttft_mean_ms"`
	}
	if err := json.Unmarshal(doc, &s); err != nil {
		return fmt.Errorf("reading the reference's result: %w", err)
	}
	r.ok, r.failed, r.tokens, r.ttftClient = s.OK, s.Failed, s.Tokens, s.TTFTMeanMs
	r.wall = time.Duration(s.WallS * float64(time.Second))
	if s.WallS > 0 {
		r.tokensPerSec, r.reqPerSec = float64(s.Tokens)/s.WallS, float64(s.OK+s.Failed)/s.WallS
	}
	return nil
}

// simCPU reads a process's utime+stime from /proc/PID/stat (clock ticks of
// 10 ms); 0 when it cannot.
func simCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	stat := string(b)
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * 10 * time.Millisecond
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitReady(url string) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("simulator at %s did not come up", url)
}
