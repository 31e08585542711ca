package slo_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/ybiyri/runkit/slo"
)

// events reads the tracker counter's points by slo and outcome.
func events(t testing.TB, reader sdkmetric.Reader) map[[2]string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[[2]string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != slo.EventsMetric {
				continue
			}
			sum := m.Data.(metricdata.Sum[int64])
			if !sum.IsMonotonic || sum.Temporality != metricdata.CumulativeTemporality || m.Unit != "{event}" {
				t.Errorf("%s: monotonic %v, temporality %v, unit %q", m.Name, sum.IsMonotonic, sum.Temporality, m.Unit)
			}
			for _, p := range sum.DataPoints {
				name, _ := p.Attributes.Value(attribute.Key("slo"))
				outcome, _ := p.Attributes.Value(attribute.Key("outcome"))
				out[[2]string{name.AsString(), outcome.AsString()}] = p.Value
			}
		}
	}
	return out
}

// Every event a tracker accepts is counted by objective and outcome, the
// way a user wires it: requests through Middleware, and events recorded
// directly.
func TestTrackerCountsEventsAsMetrics(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	o := slo.Objective{Name: "checkout", Target: 0.999, Window: slo.Rolling(30 * day)}
	tr, err := slo.NewTracker(o, slo.TrackerConfig{MeterProvider: mp})
	if err != nil {
		t.Fatal(err)
	}
	// Both series exist before any event, at zero.
	want := map[[2]string]int64{{"checkout", "good"}: 0, {"checkout", "bad"}: 0}
	if got := events(t, reader); !equalCounts(got, want) {
		t.Errorf("before any event: %v, want %v", got, want)
	}

	srv := httptest.NewServer(slo.Middleware(tr, slo.MiddlewareConfig{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			w.WriteHeader(http.StatusInternalServerError)
		}
	})))
	defer srv.Close()
	for _, path := range []string{"/", "/", "/fail", "/missing"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if err := tr.RecordN(10, 2); err != nil {
		t.Fatal(err)
	}
	// Refused for being a day in the future: not counted here either.
	if err := tr.RecordNAt(time.Now().Add(day), 5, 5); err == nil {
		t.Fatal("RecordNAt a day ahead was accepted")
	}
	want = map[[2]string]int64{{"checkout", "good"}: 13, {"checkout", "bad"}: 3}
	if got := events(t, reader); !equalCounts(got, want) {
		t.Errorf("after 4 requests and RecordN(10, 2): %v, want %v", got, want)
	}
	if s := tr.Status(); s.Good != 13 || s.Total != 16 {
		t.Errorf("tracker good %d total %d, want 13 of 16, as the counter", s.Good, s.Total)
	}
}

func equalCounts(a, b map[[2]string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// The counter follows every event the tracker accepts as they move from
// its one-minute buckets to coarser ones, arrive late into coarse ones, or
// are dropped for being older than the window: it never goes back, and
// counts each event once, while writers record across bucket boundaries
// and readers collect.
func TestEventsMetricFollowsMovesBetweenLevels(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	end := t0.Add(40 * day)
	tr := newTracker(t, slo.Objective{Name: "api", Target: 0.999, Window: slo.Rolling(30 * day)},
		slo.TrackerConfig{MeterProvider: mp, Now: func() time.Time { return end }})

	const writers, perWriter = 4, 20_000
	done := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				// Forward through 3 days, a minute per 10 events, with a
				// late event (2 days back) and one older than the window.
				at := t0.Add(time.Duration(i/10) * time.Minute)
				switch i % 100 {
				case 37:
					at = at.Add(-2 * day)
				case 71:
					at = at.Add(-35 * day)
				}
				tr.RecordAt(at, (i+w)%7 != 0)
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()
	var last int64
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		got := events(t, reader)
		sum := got[[2]string{"api", "good"}] + got[[2]string{"api", "bad"}]
		if sum < last {
			t.Fatalf("the counter went back from %d to %d", last, sum)
		}
		last = sum
	}
	got := events(t, reader)
	var good, bad int64
	for w := range writers {
		for i := range perWriter {
			if (i+w)%7 != 0 {
				good++
			} else {
				bad++
			}
		}
	}
	if got[[2]string{"api", "good"}] != good || got[[2]string{"api", "bad"}] != bad {
		t.Errorf("counted %v, want %d good and %d bad", got, good, bad)
	}
	if tr.Dropped() == 0 {
		t.Error("no event was dropped: the test did not reach the dropping path")
	}
}

// A tracker that is no longer reachable stops reporting, so a process
// that makes trackers as it goes does not keep them.
func TestEventsMetricForgetsUnreachableTrackers(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	keep := newTracker(t, slo.Objective{Name: "kept", Target: 0.99, Window: slo.Rolling(day)}, slo.TrackerConfig{MeterProvider: mp})
	func() {
		for range 10 {
			newTracker(t, slo.Objective{Name: "dropped", Target: 0.99, Window: slo.Rolling(day)}, slo.TrackerConfig{MeterProvider: mp})
		}
	}()
	for range 5 {
		runtime.GC()
	}
	got := events(t, reader)
	if _, ok := got[[2]string{"dropped", "good"}]; ok {
		t.Errorf("unreachable trackers still report: %v", got)
	}
	if _, ok := got[[2]string{"kept", "good"}]; !ok {
		t.Errorf("the kept tracker does not report: %v", got)
	}
	runtime.KeepAlive(keep)
}

// BenchmarkTrackerRecordAtMetrics is BenchmarkTrackerRecordAt with an SDK
// meter provider counting every event.
func BenchmarkTrackerRecordAtMetrics(b *testing.B) {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	defer mp.Shutdown(context.Background())
	tr := newTracker(b, slo.Objective{Name: "api", Target: 0.999, Window: slo.Rolling(30 * day)}, slo.TrackerConfig{MeterProvider: mp})
	at := t0.Add(time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		tr.RecordAt(at, true)
	}
}

// A tracker made before the application installs its SDK reports, through
// the global provider, every event since it was made, those recorded
// before the SDK too; and recording allocates nothing.
// The global provider hands its delegates over once per process, so the
// test runs alone in a child process: with -count or other tests it would
// otherwise see a provider an earlier run installed and shut down.
func TestTrackerCountsThroughTheGlobalProviderInstalledLater(t *testing.T) {
	if os.Getenv("RUNKIT_TEST_CHILD") != t.Name() {
		cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "RUNKIT_TEST_CHILD="+t.Name())
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
			t.Fatalf("%s in a child process: %v\n%s", t.Name(), err, out)
		}
		return
	}
	o := slo.Objective{Name: "late", Target: 0.99, Window: slo.Rolling(day)}
	tr, err := slo.NewTracker(o, slo.TrackerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	tr.RecordN(3, 2)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	prev := otel.GetMeterProvider()
	otel.SetMeterProvider(mp)
	defer otel.SetMeterProvider(prev)

	tr.RecordN(7, 1)
	if allocs := testing.AllocsPerRun(1000, func() { tr.Record(true) }); allocs != 0 {
		t.Errorf("Record with an SDK allocates %v times", allocs)
	}
	got := events(t, reader)
	if got[[2]string{"late", "good"}] != 3+7+1001 || got[[2]string{"late", "bad"}] != 2+1 {
		t.Errorf("counted %v, want 1011 good and 3 bad", got)
	}
}
