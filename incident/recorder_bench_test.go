package incident_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime/metrics"
	"syscall"
	"testing"
	"time"

	"github.com/ybiyri/runkit/incident"
)

// cpuTime is the CPU time the process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchHTTP serves small JSON responses over loopback to a keep-alive
// client, two requests in flight, and reports the process's CPU time per
// request (server and client together) beside the wall time.
func benchHTTP(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"quote": 42, "currency": "EUR", "path": r.URL.Path})
	}))
	defer srv.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 4}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	get := func() {
		resp, err := client.Get(srv.URL + "/quote")
		if err != nil {
			b.Error(err)
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	for range 100 {
		get() // warm the connections
	}
	b.ReportAllocs()
	b.SetParallelism(1)
	start := cpuTime(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			get()
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/req")
}

// BenchmarkHTTPRecorderOff is the baseline of BenchmarkHTTPRecorderOn.
func BenchmarkHTTPRecorderOff(b *testing.B) { benchHTTP(b) }

// BenchmarkHTTPRecorderOn serves the same with the flight recorder
// running at its default window.
func BenchmarkHTTPRecorderOn(b *testing.B) {
	r, err := incident.NewRecorder(incident.RecorderConfig{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close(context.Background())
	benchHTTP(b)
}

func totalMemory() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// BenchmarkSnapshot writes a snapshot at the default window while the
// process serves HTTP, and reports the trace's size, the snapshot's, and
// the memory the runtime holds beyond what it held before the recorder
// started.
func BenchmarkSnapshot(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"quote": 42})
	}))
	defer srv.Close()
	stop := make(chan struct{})
	done := make(chan struct{})
	before := totalMemory()
	r, err := incident.NewRecorder(incident.RecorderConfig{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close(context.Background())
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if resp, err := http.Get(srv.URL); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
	}()
	time.Sleep(incident.DefaultMinAge) // fill the window
	var traceBytes, bytes int64
	b.ResetTimer()
	for b.Loop() {
		s, err := r.Snapshot(context.Background(), "benchmark")
		if err != nil {
			b.Fatal(err)
		}
		traceBytes += s.Files[incident.TraceFile]
		bytes += s.Bytes
	}
	b.StopTimer()
	close(stop)
	<-done
	b.ReportMetric(float64(traceBytes)/float64(b.N), "trace-B")
	b.ReportMetric(float64(bytes)/float64(b.N), "snapshot-B")
	b.ReportMetric(float64(totalMemory())-float64(before), "runtime-mem-B")
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
}
