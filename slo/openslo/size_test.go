package openslo_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ybiyri/runkit/slo/openslo"
)

// raceEnabled is set when the tests run with -race.
var raceEnabled bool

// bigFile is an OpenSLO file of n SLO documents.
func bigFile(n int) []byte {
	var buf bytes.Buffer
	for i := range n {
		fmt.Fprint(&buf, strings.Replace(sloDoc, "name: checkout", fmt.Sprintf("name: checkout-%d", i), 1))
		buf.WriteString("---\n")
	}
	return buf.Bytes()
}

// peakHeap runs f and returns the most heap in use while it ran, above
// what was in use before, sampled every half millisecond.
func peakHeap(f func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		var ms runtime.MemStats
		tick := time.NewTicker(500 * time.Microsecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > base && ms.HeapAlloc-base > peak.Load() {
				peak.Store(ms.HeapAlloc - base)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	f()
	close(done)
	<-stopped
	return peak.Load()
}

// Reading a large file takes memory linear in its size, at most 10 times
// it at the peak, the file itself aside: 4,000 SLOs (2 MB) and 15,000, up
// to MaxBytes.
func TestParseMemoryIsLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 10 MB")
	}
	sizes := []int{4000, 15000}
	if raceEnabled {
		// The race detector makes the larger file take half a minute.
		sizes = sizes[:1]
	}
	for _, n := range sizes {
		data := bigFile(n)
		var slos []openslo.SLO
		peak := peakHeap(func() {
			var err error
			if slos, err = openslo.Parse("big.yaml", data); err != nil {
				t.Fatal(err)
			}
		})
		ratio := float64(peak) / float64(len(data))
		t.Logf("%d SLOs, %d bytes: peak heap %d bytes, %.1f× the input", len(slos), len(data), peak, ratio)
		if ratio > 10 {
			t.Errorf("%d SLOs, %d bytes: peak heap %d bytes, %.1f× the input, want at most 10×", n, len(data), peak, ratio)
		}
		if p, ok := slos[n-1].FieldPositions.Lookup("spec.objectives[0].target"); !ok || p.Line == 0 {
			t.Errorf("the last SLO lost its positions: %v, %v", p, ok)
		}
	}
}

// A set of files over MaxBytes is refused, naming the file and the limit,
// without reading more than the limit.
func TestReadRefusesOverMaxBytes(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.yaml")
	if err := os.WriteFile(small, []byte(sloDoc), 0o644); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yaml")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	// A sparse file of 1 GiB: reading it whole would show in the test's
	// time and memory.
	if err := f.Truncate(1 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	half := filepath.Join(dir, "half.yaml")
	if err := os.WriteFile(half, bytes.Repeat([]byte("# padding\n"), openslo.MaxBytes/10), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		paths []string
		name  string
	}{
		{[]string{small, big}, big},
		{[]string{small, half}, half},
	} {
		_, err := openslo.ReadFiles(tt.paths...)
		var e *openslo.Error
		if !errors.As(err, &e) || e.File != tt.name || !strings.Contains(err.Error(), "over openslo.MaxBytes, the 8 MiB (8388608 bytes) a set of OpenSLO files may hold") {
			t.Errorf("ReadFiles(%v) = %v, want an *Error at %s naming MaxBytes", tt.paths, err, tt.name)
		}
	}
	_, err = openslo.Parse("big.yaml", make([]byte, openslo.MaxBytes+1))
	if err == nil || !strings.Contains(err.Error(), "big.yaml: the files read hold 8388609 bytes or more with this one, over openslo.MaxBytes") {
		t.Errorf("Parse of MaxBytes+1 bytes = %v", err)
	}
	// MaxBytes itself is read (and here, being comments, holds no
	// document).
	if raceEnabled {
		return // 8 MB through the YAML scanner take 15 s with -race
	}
	_, err = openslo.Parse("full.yaml", bytes.Repeat([]byte("# padding\n"), openslo.MaxBytes/10))
	if err == nil || !strings.Contains(err.Error(), "holds no OpenSLO document") {
		t.Errorf("Parse of MaxBytes of comments = %v", err)
	}
}

// A mapping of many keys, such as 100,000 labels, reads in linear time.
func TestParseManyLabelsIsLinear(t *testing.T) {
	var b strings.Builder
	b.WriteString(strings.Replace(sloDoc, "  name: checkout\n", "  name: checkout\n  labels:\n", 1))
	doc := b.String()
	i := strings.Index(doc, "  labels:\n") + len("  labels:\n")
	var labels strings.Builder
	for n := range 100000 {
		fmt.Fprintf(&labels, "    l%d: v\n", n)
	}
	labels.WriteString("    l7: repeated\n")
	start := time.Now()
	_, err := openslo.Parse("labels.yaml", []byte(doc[:i]+labels.String()+doc[i:]))
	took := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "metadata.labels.l7: repeated field") {
		t.Errorf("Parse = %v, want the repeated label", err)
	}
	limit := 10 * time.Second // quadratic reading took minutes
	if raceEnabled {
		limit *= 6
	}
	if took > limit {
		t.Errorf("100,000 labels took %v", took)
	}
	t.Logf("100,000 labels: %v", took)
}
