package incident_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
	"unsafe"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/trace"

	"github.com/ybiyri/runkit/breaker"
	"github.com/ybiyri/runkit/incident"
	"github.com/ybiyri/runkit/slo"
)

// The journal keeps Capacity events, dropping and counting the oldest.
func TestCapacityDropsOldest(t *testing.T) {
	j := newJournal(t, incident.Config{Capacity: 5})
	for i := range 12 {
		j.Record(t.Context(), incident.Event{Name: incident.HealthCheck, Subject: fmt.Sprint("check", i), To: "pass"})
	}
	got := j.Events(incident.Filter{})
	if len(got) != 5 || got[0].Seq != 8 || got[4].Seq != 12 || got[0].Subject != "check7" {
		t.Errorf("kept %d events, seq %d to %d; want the last 5, seq 8 to 12", len(got), got[0].Seq, got[len(got)-1].Seq)
	}
	if j.Dropped() != 7 {
		t.Errorf("Dropped() = %d, want 7", j.Dropped())
	}
}

// breakerFlaps makes b go through n changes of state, about a
// millisecond apart, in a synctest bubble.
func breakerFlaps(t *testing.T, b *breaker.Breaker[int], n int, changes func() int) {
	for changes() < n {
		b.Execute(t.Context(), fail)
		time.Sleep(2 * time.Millisecond)
		if changes() >= n {
			break
		}
		b.Execute(t.Context(), succeed)
	}
}

func fail(context.Context) (int, error)    { return 0, io.ErrUnexpectedEOF }
func succeed(context.Context) (int, error) { return 1, nil }

// A breaker flapping through 1,000 changes in a minute leaves its first
// FlapLimit changes and one summary, not 1,000 events.
func TestFlappingBreakerIsSummarised(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		j := newJournal(t, incident.Config{})
		var mu sync.Mutex
		changes := 0
		var lastTo breaker.State
		count := func() int { mu.Lock(); defer mu.Unlock(); return changes }
		b, err := breaker.New[int](breaker.Config{Name: "payments", ConsecutiveFailures: 1, OpenTimeout: time.Millisecond, Jitter: -1, HalfOpenProbes: 1,
			OnChange: func(c breaker.Change) {
				mu.Lock()
				changes++
				lastTo = c.To
				mu.Unlock()
				j.BreakerChange(c)
			}})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		breakerFlaps(t, b, 1000, count)
		if time.Since(start) >= incident.DefaultFlapWindow {
			t.Fatalf("1,000 changes took %v, more than the flap window", time.Since(start))
		}
		if got := j.Events(incident.Filter{}); len(got) != incident.DefaultFlapLimit {
			t.Fatalf("during the window the journal holds %d events, want %d", len(got), incident.DefaultFlapLimit)
		}
		time.Sleep(incident.DefaultFlapWindow)
		j.EvaluateAt(time.Now())
		got := j.Events(incident.Filter{})
		if len(got) != incident.DefaultFlapLimit+1 {
			t.Fatalf("after the window the journal holds %d events, want %d: %q", len(got), incident.DefaultFlapLimit+1, lines(got))
		}
		s := got[len(got)-1]
		if s.Count != 990 || s.Name != incident.BreakerState || s.Subject != "payments" || !strings.HasPrefix(s.Cause, "flapping: 990 changes") || s.To != lastTo.String() {
			t.Errorf("summary %s, want 990 changes of payments ending %s", line(s), lastTo)
		}
		if j.Summarised() != 990 || j.Dropped() != 0 {
			t.Errorf("Summarised() = %d, Dropped() = %d; want 990 and 0", j.Summarised(), j.Dropped())
		}
	})
}

// A subject's summary is recorded at Close when its window is still open.
func TestSummaryAtClose(t *testing.T) {
	j, err := incident.New(incident.Config{FlapLimit: 2, Service: "checkout"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		j.Record(t.Context(), incident.Event{Name: incident.HealthCheck, Subject: "db", From: fmt.Sprint(i), To: fmt.Sprint(i + 1)})
	}
	j.Close()
	got := lines(j.Events(incident.Filter{}))
	if len(got) != 3 || !strings.Contains(got[2], "2 → 5") || !strings.Contains(got[2], "×3") {
		t.Errorf("events %q: want two and a summary of three, from 2 to 5", got)
	}
	j.Close() // idempotent
	j.Record(t.Context(), incident.Event{Name: incident.HealthCheck})
	if n := len(j.Events(incident.Filter{})); n != 3 {
		t.Errorf("Record after Close kept an event: %d events", n)
	}
	if err := j.WatchTracker(nil); err == nil {
		t.Error("WatchTracker(nil) returned no error")
	}
	tr, _ := slo.NewTracker(slo.Objective{Name: "x", Target: 0.9, Window: slo.Rolling(time.Hour)}, slo.TrackerConfig{})
	if err := j.WatchTracker(tr); !errors.Is(err, incident.ErrClosed) {
		t.Errorf("WatchTracker after Close: %v, want ErrClosed", err)
	}
	host, _ := os.Hostname()
	if e := j.Events(incident.Filter{}); e[0].Instance != host {
		t.Errorf("Instance %q with none configured, want the host name %q", e[0].Instance, host)
	}
}

// A negative FlapLimit keeps every change.
func TestFlapLimitOff(t *testing.T) {
	j := newJournal(t, incident.Config{FlapLimit: -1})
	for range 50 {
		j.Record(t.Context(), incident.Event{Name: incident.BreakerState, Subject: "a", To: "open"})
	}
	if n := len(j.Events(incident.Filter{})); n != 50 {
		t.Errorf("kept %d of 50 changes", n)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		cfg  incident.Config
		want string
	}{
		{incident.Config{Capacity: -1}, "Config.Capacity -1 is negative"},
		{incident.Config{FlapWindow: -time.Second}, "Config.FlapWindow -1s is negative"},
		{incident.Config{EvaluateEvery: -time.Second}, "Config.EvaluateEvery -1s is negative"},
	} {
		_, err := incident.New(c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v) = %v, want an error containing %q", c.cfg, err, c.want)
		}
	}
}

// memoryExporter keeps the log records exported to it.
type memoryExporter struct {
	mu      sync.Mutex // guards records
	records []sdklog.Record
}

func (m *memoryExporter) Export(_ context.Context, rs []sdklog.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range rs {
		m.records = append(m.records, r.Clone())
	}
	return nil
}
func (*memoryExporter) Shutdown(context.Context) error   { return nil }
func (*memoryExporter) ForceFlush(context.Context) error { return nil }

// Every event reaches OpenTelemetry as an event record, and subscribers
// in order, from the journal's goroutine.
func TestEventsReachOpenTelemetryAndSubscribers(t *testing.T) {
	exp := &memoryExporter{}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewSimpleProcessor(exp)))
	defer lp.Shutdown(context.Background())
	j := newJournal(t, incident.Config{LoggerProvider: lp})
	var mu sync.Mutex
	var seen []uint64
	cancel := j.Subscribe(func(e incident.Event) {
		mu.Lock()
		seen = append(seen, e.Seq)
		mu.Unlock()
	})
	traceID, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: traceID, SpanID: trace.SpanID{1}}))
	j.Record(ctx, incident.Event{Name: incident.BreakerState, Subject: "api.example:443", From: "closed", To: "open", Cause: "failure ratio"})
	for i := range 99 {
		j.Record(context.Background(), incident.Event{Name: incident.HealthCheck, Subject: fmt.Sprint("c", i), To: "pass"})
	}
	j.Close()
	cancel()
	if len(seen) != 100 {
		t.Fatalf("subscriber saw %d events, want 100", len(seen))
	}
	for i, s := range seen {
		if s != uint64(i+1) {
			t.Fatalf("subscriber saw seq %d at %d: out of order", s, i)
		}
	}
	if len(exp.records) != 100 {
		t.Fatalf("exported %d records, want 100", len(exp.records))
	}
	r := exp.records[0]
	attrs := map[string]string{}
	r.WalkAttributes(func(kv attribute.KeyValue) bool { attrs[string(kv.Key)] = kv.Value.String(); return true })
	want := map[string]string{"runkit.incident.subject": "api.example:443", "runkit.incident.from": "closed", "runkit.incident.to": "open",
		"runkit.incident.cause": "failure ratio", "service.instance.id": "checkout-7f9c", "runkit.incident.seq": "1"}
	for k, v := range want {
		if attrs[k] != v {
			t.Errorf("attribute %s = %q, want %q", k, attrs[k], v)
		}
	}
	if r.EventName() != "runkit.breaker.state" || r.TraceID() != traceID || r.Severity().String() != "WARN" {
		t.Errorf("record: event.name %q, trace %v, severity %v; want runkit.breaker.state, %v, WARN", r.EventName(), r.TraceID(), r.Severity(), traceID)
	}
	if got := r.Body().String(); got != "breaker.state api.example:443: closed → open (failure ratio)" {
		t.Errorf("body %q", got)
	}
	if e := j.Events(incident.Filter{Kinds: []incident.Kind{incident.Breaker}}); len(e) != 1 || e[0].TraceID != traceID.String() {
		t.Errorf("the breaker event %+v lost the span's trace ID", e)
	}
}

// Bad query values get a 400 that names them; other methods a 405.
func TestEventsQueryErrors(t *testing.T) {
	j := newJournal(t, incident.Config{})
	srv := httptest.NewServer(j)
	defer srv.Close()
	for q, want := range map[string]string{
		"since=yesterday":   `since "yesterday" is neither an RFC 3339 time nor a duration`,
		"until=-5m":         `until "-5m" is neither`,
		"kind=breakers":     `kind "breakers" is none of deploy, health, breaker, slo, process`,
		"since=1m&until=2h": "is after until",
		"since=1m&since=2m": "since is given 2 times",
	} {
		resp, err := http.Get(srv.URL + "/events?" + q)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), want) {
			t.Errorf("GET /events?%s: %d %q, want 400 with %q", q, resp.StatusCode, body, want)
		}
	}
	resp, err := http.Post(srv.URL+"/events", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /events: %d, want 405", resp.StatusCode)
	}
	resp, err = http.Get(srv.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(body) != 0 {
		t.Errorf("GET /events of an empty journal: %d %q, want 200 and no lines", resp.StatusCode, body)
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"since=15m", "since=2026-12-03T13:00:00Z&until=1m", "kind=breaker,slo&kind=health", "kind=,", "since=-1h", "until=9999999h"} {
		f.Add(s)
	}
	now := time.Date(2026, 12, 3, 13, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, q string) {
		v, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		fl, err := incident.ParseFilter(v, now)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "incident: ") {
				t.Errorf("error %q does not say where it comes from", err)
			}
			return
		}
		if !fl.Since.IsZero() && !fl.Until.IsZero() && fl.Since.After(fl.Until) {
			t.Errorf("ParseFilter(%q) accepted since %v after until %v", q, fl.Since, fl.Until)
		}
	})
}

// Recording is what a breaker's callback does on a caller's goroutine.
func BenchmarkRecord(b *testing.B) {
	j, _ := incident.New(incident.Config{FlapLimit: -1})
	defer j.Close()
	ctx := context.Background()
	e := incident.Event{Name: incident.BreakerState, Subject: "api.example:443", From: "closed", To: "open", Cause: "failure ratio"}
	b.ReportAllocs()
	for b.Loop() {
		j.Record(ctx, e)
	}
}

// BenchmarkRecordFlapping is Record of a subject past its FlapLimit:
// counted, not kept.
func BenchmarkRecordFlapping(b *testing.B) {
	j, _ := incident.New(incident.Config{})
	defer j.Close()
	ctx := context.Background()
	e := incident.Event{Name: incident.BreakerState, Subject: "api.example:443", From: "closed", To: "open", Cause: "failure ratio"}
	b.ReportAllocs()
	for b.Loop() {
		j.Record(ctx, e)
	}
}

// BenchmarkSlogBaseline is what a breaker's Logger costs per change
// today: one slog line to a JSON handler.
func BenchmarkSlogBaseline(b *testing.B) {
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	b.ReportAllocs()
	for b.Loop() {
		log.Info("circuit breaker state changed", "breaker", "api.example:443", "from", "closed", "to", "open", "forced", false)
	}
}

// The ring's memory is as Config.Capacity says.
func TestEventSize(t *testing.T) {
	if got := unsafe.Sizeof(incident.Event{}); got != incident.EventSize {
		t.Errorf("Event is %d bytes, EventSize says %d", got, incident.EventSize)
	}
}

// Events dropped from a full ring before the journal's goroutine handed
// them on are counted in Missed; subscribers see the rest in order.
func TestMissed(t *testing.T) {
	j, err := incident.New(incident.Config{Capacity: 2})
	if err != nil {
		t.Fatal(err)
	}
	blocked, release := make(chan struct{}), make(chan struct{})
	var seen []uint64
	j.Subscribe(func(e incident.Event) {
		seen = append(seen, e.Seq)
		if e.Seq == 1 {
			close(blocked)
			<-release
		}
	})
	j.Record(t.Context(), incident.Event{Name: incident.HealthCheck, Subject: "a"})
	<-blocked
	for i := range 10 {
		j.Record(t.Context(), incident.Event{Name: incident.HealthCheck, Subject: fmt.Sprint("b", i)})
	}
	close(release)
	j.Close()
	if j.Missed() != 8 || fmt.Sprint(seen) != "[1 10 11]" {
		t.Errorf("Missed() = %d, subscriber saw %v; want 8 and [1 10 11]", j.Missed(), seen)
	}
}
