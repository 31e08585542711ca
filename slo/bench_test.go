package slo_test

import (
	"bytes"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ybiyri/runkit/slo"
)

// benchTracker returns a 30-day tracker at one-minute resolution; its
// clock is newTracker's, unless now is given.
func benchTracker(b *testing.B, now func() time.Time) *slo.Tracker {
	return newTracker(b, slo.Objective{Name: "api", Target: 0.999, Window: slo.Rolling(30 * day)}, slo.TrackerConfig{Now: now})
}

// BenchmarkAtomicAdd is the baseline for BenchmarkTrackerRecordAt.
func BenchmarkAtomicAdd(b *testing.B) {
	var n atomic.Int64
	b.ReportAllocs()
	for b.Loop() {
		n.Add(1)
	}
}

func BenchmarkAtomicAddParallel(b *testing.B) {
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n.Add(1)
		}
	})
}

func BenchmarkTrackerRecordAt(b *testing.B) {
	tr := benchTracker(b, nil)
	at := t0.Add(time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		tr.RecordAt(at, true)
	}
}

func BenchmarkTrackerRecordAtParallel(b *testing.B) {
	tr := benchTracker(b, nil)
	at := t0.Add(time.Hour)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			tr.RecordAt(at, true)
		}
	})
}

// BenchmarkTrackerMemory reports the bytes one tracker takes: a 30-day
// objective at one minute with the default policy, and a 1-day one, which
// keeps one ring of one-minute buckets.
func BenchmarkTrackerMemory(b *testing.B) {
	for _, w := range []time.Duration{30 * day, day} {
		o := slo.Objective{Name: "api", Target: 0.999, Window: slo.Rolling(w)}
		b.Run(slo.FormatDuration(w), func(b *testing.B) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := slo.NewTracker(o, slo.TrackerConfig{}); err != nil {
					b.Fatal(err)
				}
			}
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N), "bytes/tracker")
		})
	}
}

// BenchmarkTimeNow is the baseline for BenchmarkTrackerRecord.
func BenchmarkTimeNow(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = time.Now()
	}
}

func BenchmarkTrackerRecord(b *testing.B) {
	tr := benchTracker(b, time.Now)
	b.ReportAllocs()
	for b.Loop() {
		tr.Record(true)
	}
}

// BenchmarkTrackerStatus reads a full 30-day window at one-minute
// resolution with the four default tiers (eight burn-rate windows).
func BenchmarkTrackerStatus(b *testing.B) {
	tr := benchTracker(b, nil)
	for m := range 30 * 24 * 60 {
		tr.RecordNAt(t0.Add(time.Duration(m)*time.Minute), 1000, int64(m%3))
	}
	at := t0.Add(30*day - time.Second)
	b.ReportAllocs()
	for b.Loop() {
		tr.StatusAt(at)
	}
}

// BenchmarkTrackerStatusEachMinute is BenchmarkTrackerStatus at a new
// minute each time, as a status read once a minute is: no cached sum of a
// coarse level serves it.
func BenchmarkTrackerStatusEachMinute(b *testing.B) {
	tr := benchTracker(b, nil)
	for m := range 30 * 24 * 60 {
		tr.RecordNAt(t0.Add(time.Duration(m)*time.Minute), 1000, int64(m%3))
	}
	at := t0.Add(30*day - time.Second)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		tr.StatusAt(at.Add(time.Duration(i%60) * time.Minute))
		i++
	}
}

// BenchmarkPage renders the dashboard of one 30-day, one-minute tracker
// with a full window of traffic: a burn-down read from its 1,946 buckets,
// the status and the four default tiers. The budget is 5 ms and 200 KB.
func BenchmarkPage(b *testing.B) {
	tr := benchTracker(b, nil)
	for m := range 30 * 24 * 60 {
		tr.RecordNAt(t0.Add(time.Duration(m)*time.Minute), 1000, int64(m%3))
	}
	at := t0.Add(30*day - time.Second)
	d, err := slo.NewDashboard(slo.DashboardConfig{}, tr)
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := d.WriteHTMLAt(&buf, at); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "html-bytes")
	if buf.Len() > 200_000 {
		b.Errorf("page is %d bytes, over 200 KB", buf.Len())
	}
}
