package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ybiyri/runkit/slo/openslo"
)

// largeSLOFile writes an OpenSLO file of n SLOs, each with its indicator
// inline, as a generated file would be, and returns its size.
func largeSLOFile(t *testing.T, path string, n int) int64 {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for i := range n {
		fmt.Fprintf(w, `apiVersion: openslo/v1
kind: SLO
metadata:
  name: service-%05d
spec:
  indicator:
    metadata:
      name: service-%05d-errors
    spec:
      ratioMetric:
        counter: true
        bad:
          metricSource:
            type: Prometheus
            spec:
              query: http_requests_total{service="s%d",code=~"5.."}
        total:
          metricSource:
            type: Prometheus
            spec:
              query: http_requests_total{service="s%d"}
  timeWindow:
    - duration: 30d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - targetPercent: 99.9
---
`, i, i, i, i)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	return fi.Size()
}

// maxRSS runs runkit with args and returns its exit code, its standard
// error and the most memory it held, in bytes.
func maxRSS(t *testing.T, args ...string) (int, string, int64) {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "runkit"), args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	if err != nil && cmd.ProcessState == nil {
		t.Fatal(err)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		t.Skip("no rusage on this system")
	}
	return cmd.ProcessState.ExitCode(), stderr.String(), ru.Maxrss * 1024
}

// An SLO file as large as openslo.MaxBytes allows is validated and turned
// into rules (streamed, some 10 times its size) within 10 times its size
// of memory: the process's resident set, less what it holds for a file
// of one SLO. A larger one is refused, naming the limit, before it is
// read.
func TestLargeFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 4 MB file and 40 MB of rules")
	}
	dir := t.TempDir()
	if raceEnabled {
		// A binary built with -race reserves hundreds of megabytes of
		// shadow memory and runs ten times slower: only the refusal.
		refuseLarge(t, dir, 1<<40)
		return
	}
	path := filepath.Join(dir, "slos.yaml")
	size := largeSLOFile(t, path, 6000)
	if size > openslo.MaxBytes {
		t.Fatalf("the file holds %d bytes, over MaxBytes", size)
	}
	small := filepath.Join(dir, "one.yaml")
	largeSLOFile(t, small, 1)
	out := filepath.Join(dir, "rules.yaml")
	for _, args := range [][]string{
		{"slo", "validate", "-o", "json"},
		{"slo", "rules", "-o", out},
	} {
		// The process's own memory, what it holds for one SLO, is not
		// the input's.
		_, _, base := maxRSS(t, append(args, small)...)
		code, stderr, rss := maxRSS(t, append(args, path)...)
		if code != 0 {
			t.Fatalf("runkit %s: exit %d\n%.2000s", strings.Join(args[:2], " "), code, stderr)
		}
		ratio := float64(rss-base) / float64(size)
		t.Logf("runkit %s on %d bytes: max RSS %d bytes, %d for one SLO: %.1f× the input", strings.Join(args[:2], " "), size, rss, base, ratio)
		if ratio > 10 && !raceEnabled {
			t.Errorf("runkit %s on %d bytes: max RSS %d bytes, %d for one SLO: %.1f× the input, want at most 10×", strings.Join(args[:2], " "), size, rss, base, ratio)
		}
	}
	if fi, err := os.Stat(out); err != nil || fi.Size() < 5*size {
		t.Errorf("rules.yaml: %v, %v", fi, err)
	}

	refuseLarge(t, dir, 100<<20)
}

// refuseLarge checks that a sparse file of 1 GiB is refused, naming
// openslo.MaxBytes, within maxRSS bytes of memory: reading it would show.
func refuseLarge(t *testing.T, dir string, maxRSSBytes int64) {
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, 1<<30); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"validate", "rules"} {
		code, stderr, rss := maxRSS(t, "slo", cmd, big)
		want := "big.yaml: the files read hold 1073741824 bytes or more with this one, over openslo.MaxBytes, the 8 MiB (8388608 bytes) a set of OpenSLO files may hold"
		if code != 1 || !strings.Contains(stderr, want) || rss > maxRSSBytes {
			t.Errorf("runkit slo %s on 1 GiB: exit %d, max RSS %d bytes\n%s\nwant exit 1 and %q", cmd, code, rss, stderr, want)
		}
	}
}
