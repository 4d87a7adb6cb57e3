package gpu

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// amdVendor is the PCI vendor id of AMD in sysfs.
const amdVendor = "0x1002"

// amdCards returns the device directories of the AMD cards under drm
// (normally /sys/class/drm), such as drm/card1/device.
func amdCards(drm string) []string {
	var cards []string
	vendors, _ := filepath.Glob(filepath.Join(drm, "card[0-9]*", "device", "vendor"))
	for _, v := range vendors {
		if b, err := os.ReadFile(v); err == nil && strings.TrimSpace(string(b)) == amdVendor {
			cards = append(cards, filepath.Dir(v))
		}
	}
	return cards
}

// List names this machine's GPUs: NVIDIA's from nvidia-smi (found on
// PATH), AMD's from sysfs under drm (normally /sys/class/drm). It returns
// an empty list, not nil, when it looked and found none.
func List(drm string) []string {
	gpus := []string{}
	if path, err := exec.LookPath("nvidia-smi"); err == nil {
		gpus = append(gpus, listNvidia(path)...)
	}
	for _, dev := range amdCards(drm) {
		mem := ""
		if b, err := os.ReadFile(filepath.Join(dev, "mem_info_vram_total")); err == nil {
			var bytes int64
			fmt.Sscan(strings.TrimSpace(string(b)), &bytes)
			mem = fmt.Sprintf(", %d MiB", bytes>>20)
		}
		gpus = append(gpus, fmt.Sprintf("AMD GPU %s (sysfs%s)", filepath.Base(filepath.Dir(dev)), mem))
	}
	return gpus
}

// listNvidia asks nvidia-smi for each GPU's name, driver and memory; it
// gives up after 5 seconds.
func listNvidia(path string) []string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader").Output()
	if err != nil {
		return nil
	}
	var gpus []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.Split(line, ","); len(f) == 3 {
			gpus = append(gpus, fmt.Sprintf("%s (driver %s, %s)", strings.TrimSpace(f[0]), strings.TrimSpace(f[1]), strings.TrimSpace(f[2])))
		}
	}
	return gpus
}
