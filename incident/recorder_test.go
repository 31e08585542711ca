package incident_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/trace"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ybiyri/runkit/breaker"
	"github.com/ybiyri/runkit/health"
	"github.com/ybiyri/runkit/incident"
)

func newRecorder(t testing.TB, cfg incident.RecorderConfig) *incident.Recorder {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	r, err := incident.NewRecorder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(context.Background()) })
	return r
}

// snapshotsOf returns a channel of the snapshots the journal records as
// they are written.
func snapshotsOf(t testing.TB, j *incident.Journal) <-chan incident.Event {
	ch := make(chan incident.Event, 100)
	cancel := j.Subscribe(func(e incident.Event) {
		if e.Name == incident.ProcessSnapshot {
			ch <- e
		}
	})
	t.Cleanup(cancel)
	return ch
}

func next(t testing.TB, ch <-chan incident.Event) incident.Event {
	t.Helper()
	select {
	case e := <-ch:
		return e
	case <-time.After(time.Minute):
		t.Fatal("no snapshot was written within a minute")
		return incident.Event{}
	}
}

// goTrace runs go tool trace -d=parsed on a trace file: the toolchain's
// own trace reader.
func goTrace(t *testing.T, path string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to read a trace: %v", err)
	}
	out, err := exec.Command(goBin, "tool", "trace", "-d=parsed", path).CombinedOutput()
	if err != nil {
		t.Fatalf("go tool trace -d=parsed %s: %v\n%.2000s", path, err, out)
	}
	return string(out)
}

// A snapshot holds a trace that go tool trace reads, with the trigger's
// log in it, a goroutine dump, a heap profile, the journal's events and a
// manifest.
func TestSnapshotTraceHoldsTheTrigger(t *testing.T) {
	j := newJournal(t, incident.Config{})
	j.Started(marker)
	r := newRecorder(t, incident.RecorderConfig{Journal: j, Deployment: marker})
	// Some work for the window to show.
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { time.Sleep(time.Millisecond) })
	}
	wg.Wait()
	s, err := r.Snapshot(t.Context(), "asked by the test")
	if err != nil {
		t.Fatal(err)
	}
	list, err := r.Snapshots()
	if err != nil || len(list) != 1 || list[0].Name != s.Name {
		t.Fatalf("Snapshots() = %v, %v; want the one written", list, err)
	}
	if s.Trigger != incident.TriggerManual || s.Reason != "asked by the test" || s.Version != "1.4.2" || s.Revision != "9f2c1e7" ||
		s.DeploymentID == "" || s.Service != "checkout" || s.Written <= 0 || len(s.Files) != 5 {
		t.Errorf("manifest %+v", s)
	}
	t.Logf("snapshot at the default window: %d bytes (trace %d), written in %v", s.Bytes, s.Files[incident.TraceFile], s.Written)
	root := filepath.Join(incident.RecorderDir(r), s.Name)
	parsed := goTrace(t, filepath.Join(root, incident.TraceFile))
	if !strings.Contains(parsed, `Category="runkit.incident" Message="trigger manual: asked by the test"`) {
		t.Errorf("the trace has no log of the trigger; go tool trace read %d bytes of events", len(parsed))
	}
	g, _ := os.ReadFile(filepath.Join(root, incident.GoroutinesFile))
	if !bytes.Contains(g, []byte("goroutine ")) || !bytes.Contains(g, []byte("incident")) {
		t.Errorf("goroutine dump of %d bytes has no goroutine of the recorder", len(g))
	}
	h, _ := os.ReadFile(filepath.Join(root, incident.HeapFile))
	if len(h) < 2 || h[0] != 0x1f || h[1] != 0x8b {
		t.Errorf("heap profile is not a gzipped profile: % x", h[:min(len(h), 4)])
	}
	ev, _ := os.ReadFile(filepath.Join(root, incident.EventsFile))
	if !bytes.Contains(ev, []byte(`"name":"deploy.start"`)) {
		t.Errorf("events.jsonl %q lacks the start", ev)
	}
	var m incident.Snapshot
	b, _ := os.ReadFile(filepath.Join(root, incident.ManifestFile))
	if err := json.Unmarshal(b, &m); err != nil || m.Name != s.Name || m.Bytes != s.Bytes {
		t.Errorf("manifest.json %s: %v", b, err)
	}
	var total int64
	for name, n := range m.Files {
		info, err := os.Stat(filepath.Join(root, name))
		if err != nil || info.Size() != n {
			t.Errorf("%s: manifest says %d bytes, disk %v %v", name, n, info, err)
		}
		total += n
	}
	if total != m.Bytes {
		t.Errorf("files add up to %d bytes, manifest says %d", total, m.Bytes)
	}
	e := j.Events(incident.Filter{Kinds: []incident.Kind{incident.Process}})
	if len(e) != 1 || e[0].Subject != s.Name || e[0].Cause != "manual: asked by the test" {
		t.Errorf("journal's process events %q, want the snapshot", lines(e))
	}
}

// One flight recorder per process: a second Recorder gets
// ErrRecorderActive, and one after Close starts.
func TestOneRecorderPerProcess(t *testing.T) {
	r := newRecorder(t, incident.RecorderConfig{})
	if _, err := incident.NewRecorder(incident.RecorderConfig{Dir: t.TempDir()}); !errors.Is(err, incident.ErrRecorderActive) {
		t.Errorf("second NewRecorder: %v, want ErrRecorderActive", err)
	}
	if err := r.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	r.Close(t.Context()) // idempotent
	if _, err := r.Snapshot(t.Context(), "late"); !errors.Is(err, incident.ErrRecorderClosed) {
		t.Errorf("Snapshot after Close: %v, want ErrRecorderClosed", err)
	}
	// The runtime's one flight recorder, held by something else.
	fr := trace.NewFlightRecorder(trace.FlightRecorderConfig{})
	if err := fr.Start(); err != nil {
		t.Fatal(err)
	}
	_, err := incident.NewRecorder(incident.RecorderConfig{Dir: t.TempDir()})
	fr.Stop()
	if err == nil || !strings.Contains(err.Error(), "start the flight recorder") {
		t.Errorf("NewRecorder beside another flight recorder: %v, want the runtime's error", err)
	}
	r2 := newRecorder(t, incident.RecorderConfig{})
	r2.Close(t.Context())
}

func TestRecorderConfigErrors(t *testing.T) {
	for _, c := range []struct {
		cfg  incident.RecorderConfig
		want string
	}{
		{incident.RecorderConfig{}, "RecorderConfig.Dir is empty"},
		{incident.RecorderConfig{Dir: "x", MinAge: -1}, "RecorderConfig.MinAge -1ns is negative"},
		{incident.RecorderConfig{Dir: "x", MaxSnapshots: -1}, "RecorderConfig.MaxSnapshots -1 is negative"},
		{incident.RecorderConfig{Dir: "x", MaxDiskBytes: -1}, "RecorderConfig.MaxDiskBytes -1 is negative"},
		{incident.RecorderConfig{Dir: "x", MinInterval: -1}, "RecorderConfig.MinInterval -1ns is negative"},
		{incident.RecorderConfig{Dir: "x", EventSpan: -1}, "RecorderConfig.EventSpan -1ns is negative"},
		{incident.RecorderConfig{Dir: "/proc/version/x"}, "RecorderConfig.Dir"},
	} {
		_, err := incident.NewRecorder(c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewRecorder(%+v) = %v, want an error containing %q", c.cfg, err, c.want)
		}
	}
}

// flappingBreaker returns a breaker that opens at one failure and is
// half-open a millisecond later, its changes recorded in j, and the count
// of its changes so far.
func flappingBreaker(t *testing.T, j *incident.Journal) (*breaker.Breaker[int], func() int) {
	t.Helper()
	var mu sync.Mutex
	changes := 0
	b, err := breaker.New[int](breaker.Config{Name: "payments", ConsecutiveFailures: 1, OpenTimeout: time.Millisecond, Jitter: -1, HalfOpenProbes: 1,
		OnChange: func(c breaker.Change) {
			mu.Lock()
			changes++
			mu.Unlock()
			j.BreakerChange(c)
		}})
	if err != nil {
		t.Fatal(err)
	}
	return b, func() int { mu.Lock(); defer mu.Unlock(); return changes }
}

// A breaker flapping through 1,000 changes makes one snapshot, and the
// journal stays bounded; the manifest of the next counts what was
// suppressed.
func TestFlappingBreakerMakesOneSnapshot(t *testing.T) {
	j := newJournal(t, incident.Config{FlapLimit: -1, Capacity: 5000})
	written := snapshotsOf(t, j)
	r := newRecorder(t, incident.RecorderConfig{Journal: j})
	b, count := flappingBreaker(t, j)
	for count() < 1000 {
		b.Execute(t.Context(), fail)
		time.Sleep(2 * time.Millisecond) // past the open period
		b.Execute(t.Context(), succeed)
	}
	s := next(t, written)
	if !strings.HasPrefix(s.Cause, "breaker-open: breaker.state payments: closed → open") {
		t.Errorf("snapshot %s, want one of the breaker opening", line(s))
	}
	// Another trigger kind still gets its snapshot; its manifest counts
	// the opens that were rate-limited.
	got, err := r.Snapshot(t.Context(), "after the flapping")
	if err != nil {
		t.Fatal(err)
	}
	if got.Suppressed[incident.TriggerBreakerOpen] < 300 {
		t.Errorf("manifest counts %d suppressed breaker-open triggers, want about 333", got.Suppressed[incident.TriggerBreakerOpen])
	}
	list, _ := r.Snapshots()
	if len(list) != 2 {
		t.Errorf("%d snapshots after 1,000 changes and one request, want 2", len(list))
	}
	if n := len(j.Events(incident.Filter{})); n > 5000 || j.Dropped() != int64(count()+2-n) {
		t.Errorf("journal holds %d events, dropped %d, of %d changes", n, j.Dropped(), count())
	}
}

// Dir holds at most MaxSnapshots snapshots and MaxDiskBytes bytes, the
// oldest removed first; the newest stays.
func TestDiskBound(t *testing.T) {
	dir := t.TempDir()
	// A snapshot a killed process left half-written is removed at start.
	os.MkdirAll(filepath.Join(dir, ".20261203T031502.118Z-manual.tmp"), 0o700)
	r := newRecorder(t, incident.RecorderConfig{Dir: dir, MaxSnapshots: 3})
	var names []string
	for i := range 5 {
		s, err := r.Snapshot(t.Context(), "number "+string(rune('1'+i)))
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, s.Name)
	}
	list, _ := r.Snapshots()
	if len(list) != 3 || list[0].Name != names[2] || list[2].Name != names[4] {
		t.Errorf("kept %v, want the last three of %v", list, names)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 3 {
		t.Errorf("Dir holds %d entries, want 3: hidden leftovers?", len(ents))
	}
	r.Close(t.Context())

	r = newRecorder(t, incident.RecorderConfig{Dir: dir, MaxDiskBytes: 1})
	s, err := r.Snapshot(t.Context(), "over the bytes")
	if err != nil {
		t.Fatal(err)
	}
	if list, _ := r.Snapshots(); len(list) != 1 || list[0].Name != s.Name {
		t.Errorf("with MaxDiskBytes 1 kept %v, want only the newest", list)
	}
}

// A listing taken while snapshots are written sees only complete ones.
func TestNoHalfWrittenSnapshotListed(t *testing.T) {
	r := newRecorder(t, incident.RecorderConfig{MaxSnapshots: 100})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 5 {
			r.Snapshot(context.Background(), "load")
		}
	}()
	dir := incident.RecorderDir(r)
	for {
		select {
		case <-done:
			return
		default:
		}
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".") {
				continue
			}
			if _, err := os.Stat(filepath.Join(dir, e.Name(), incident.ManifestFile)); err != nil {
				if _, gone := os.Stat(filepath.Join(dir, e.Name())); gone == nil {
					t.Fatalf("%s is visible without its manifest: %v", e.Name(), err)
				}
			}
		}
		list, _ := r.Snapshots()
		for _, s := range list {
			for name, n := range s.Files {
				info, err := os.Stat(filepath.Join(dir, s.Name, name))
				if err != nil || info.Size() != n {
					t.Fatalf("listed %s/%s: %v %v, manifest %d", s.Name, name, info, err, n)
				}
			}
		}
	}
}

// /debug/snapshots is off without Authorize, refuses whom it refuses,
// and serves the list and the files to whom it allows.
func TestSnapshotsHandler(t *testing.T) {
	off := newRecorder(t, incident.RecorderConfig{})
	srv := httptest.NewServer(off.Handler())
	resp, _ := http.Get(srv.URL + "/debug/snapshots")
	resp.Body.Close()
	srv.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("without Authorize: %d, want 404", resp.StatusCode)
	}
	off.Close(t.Context())

	r := newRecorder(t, incident.RecorderConfig{Authorize: func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer oncall" }})
	s, err := r.Snapshot(t.Context(), "for download")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(incident.SnapshotsPath, r.Handler())
	mux.Handle(incident.SnapshotsPath+"/", r.Handler())
	srv = httptest.NewServer(mux)
	defer srv.Close()
	get := func(path string, auth bool) (int, []byte) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if auth {
			req.Header.Set("Authorization", "Bearer oncall")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if code, _ := get("/debug/snapshots", false); code != http.StatusForbidden {
		t.Errorf("refused: %d, want 403", code)
	}
	code, body := get("/debug/snapshots", true)
	var list []incident.Snapshot
	if code != 200 || json.Unmarshal(body, &list) != nil || len(list) != 1 || list[0].Name != s.Name {
		t.Errorf("list: %d %s", code, body)
	}
	code, body = get("/debug/snapshots/"+s.Name+"/"+incident.TraceFile, true)
	if code != 200 || int64(len(body)) != s.Files[incident.TraceFile] {
		t.Errorf("trace download: %d, %d bytes, want %d", code, len(body), s.Files[incident.TraceFile])
	}
	for _, p := range []string{"/debug/snapshots/" + s.Name + "/../../etc/passwd", "/debug/snapshots/nope/trace.out", "/debug/snapshots/" + s.Name + "/secret"} {
		if code, _ := get(p, true); code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, code)
		}
	}
}

// A panic recovered by the middleware is in the journal and makes a
// snapshot; the server still sees the panic.
func TestPanicMiddleware(t *testing.T) {
	j := newJournal(t, incident.Config{})
	written := snapshotsOf(t, j)
	r := newRecorder(t, incident.RecorderConfig{Journal: j})
	srv := httptest.NewUnstartedServer(r.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("nil map write in checkout")
	})))
	srv.Config.ErrorLog = newDiscardLogger()
	srv.Start()
	defer srv.Close()
	if _, err := http.Get(srv.URL + "/pay"); err == nil {
		t.Error("a panicking handler answered")
	}
	s := next(t, written)
	if s.Cause != "panic: process.panic GET /[redacted] (nil map write in checkout)" { // no pattern: the path is not shown
		t.Errorf("snapshot %s", line(s))
	}
}

func newDiscardLogger() *log.Logger { return log.New(io.Discard, "", 0) }

// Trigger is limited per trigger kind to one in MinInterval, on the
// recorder's clock; other kinds and Snapshot are not held back.
func TestTriggerRateLimit(t *testing.T) {
	now := time.Date(2026, 12, 3, 3, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	j := newJournal(t, incident.Config{})
	written := snapshotsOf(t, j)
	r := newRecorder(t, incident.RecorderConfig{Journal: j, Now: clock})
	if err := r.Trigger(t.Context(), incident.TriggerBreakerOpen, "first"); err != nil {
		t.Fatal(err)
	}
	next(t, written)
	err := r.Trigger(t.Context(), incident.TriggerBreakerOpen, "second")
	if !errors.Is(err, incident.ErrRateLimited) || !strings.Contains(err.Error(), "breaker-open fired 0s ago, within 5m0s") {
		t.Errorf("second trigger at once: %v, want ErrRateLimited", err)
	}
	if err := r.Trigger(t.Context(), incident.TriggerReadinessFail, "another kind"); err != nil {
		t.Errorf("a trigger of another kind: %v", err)
	}
	next(t, written)
	mu.Lock()
	now = now.Add(incident.DefaultMinInterval)
	mu.Unlock()
	if err := r.Trigger(t.Context(), incident.TriggerBreakerOpen, "third"); err != nil {
		t.Errorf("a trigger MinInterval later: %v", err)
	}
	s := next(t, written)
	list, _ := r.Snapshots()
	if len(list) != 3 || list[1].Suppressed[incident.TriggerBreakerOpen] != 1 || len(list[2].Suppressed) != 0 || !strings.Contains(s.Cause, "third") {
		t.Errorf("snapshots %+v: want three, the next after the limited one counting it", list)
	}
}

// With no rate limit to speak of, a breaker flapping through 1,000
// changes still leaves at most MaxSnapshots snapshots on disk, no hidden
// leftovers, and a journal within its capacity.
func TestFlappingBreakerDiskBound(t *testing.T) {
	j := newJournal(t, incident.Config{FlapLimit: -1, Capacity: 100})
	var written atomic.Int32
	defer j.Subscribe(func(e incident.Event) {
		if e.Name == incident.ProcessSnapshot {
			written.Add(1)
		}
	})()
	dir := t.TempDir()
	r, err := incident.NewRecorder(incident.RecorderConfig{Dir: dir, Journal: j, MinInterval: time.Nanosecond, MaxSnapshots: 3, MinAge: time.Second, MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	b, count := flappingBreaker(t, j)
	// Flap until 1,000 changes and until more snapshots were written than
	// the bound keeps.
	for count() < 1000 || written.Load() <= 3 {
		b.Execute(t.Context(), fail)
		time.Sleep(2 * time.Millisecond) // past the open period
		b.Execute(t.Context(), succeed)
	}
	if err := r.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d changes, %d snapshots written", count(), written.Load())
	list, _ := listDir(t, dir)
	if len(list) > 3 || len(list) == 0 {
		t.Errorf("%d snapshot directories after 1,000 changes, want 1 to 3: %v", len(list), list)
	}
	if n := len(j.Events(incident.Filter{})); n != 100 || j.Dropped() == 0 {
		t.Errorf("journal holds %d events, dropped %d; want 100 and the rest dropped", n, j.Dropped())
	}
}

// listDir returns the names in dir, failing on a hidden one.
func listDir(t *testing.T, dir string) ([]string, error) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("hidden leftover %s", e.Name())
		}
		names = append(names, e.Name())
	}
	return names, err
}

// Draining is deliberate: readiness going from pass to fail because the
// service drains is in the journal but makes no snapshot, so routine
// restarts never push incident evidence off the disk.
func TestDrainMakesNoSnapshot(t *testing.T) {
	j := newJournal(t, incident.Config{})
	written := snapshotsOf(t, j)
	newRecorder(t, incident.RecorderConfig{Journal: j})
	checker := health.New()
	defer checker.Close()
	defer j.WatchHealth(checker)()
	if err := checker.Register(health.Check{Name: "db", Func: func(context.Context) error { return nil }}); err != nil {
		t.Fatal(err)
	}
	checker.Evaluate(t.Context(), health.Readiness)
	checker.Drain()
	// Events reach the recorder in order: the breaker's snapshot comes
	// after whatever the drain would have made.
	j.Record(t.Context(), incident.Event{Name: incident.BreakerState, Subject: "payments", From: "closed", To: "open"})
	if s := next(t, written); !strings.HasPrefix(s.Cause, "breaker-open:") {
		t.Errorf("first snapshot %s, want the breaker's: a drain makes none", line(s))
	}
	if !slices.ContainsFunc(j.Events(incident.Filter{}), func(e incident.Event) bool {
		return e.Name == incident.HealthProbe && e.To == "fail" && e.Cause == "draining"
	}) {
		t.Errorf("journal %q has no readiness change for the drain", lines(j.Events(incident.Filter{})))
	}
}

// A trigger names a directory of Dir: one that is not a plain name is
// refused at the call, naming it, and writes nothing anywhere.
func TestTriggerNameRefused(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "snapshots")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	j := newJournal(t, incident.Config{})
	written := snapshotsOf(t, j)
	r := newRecorder(t, incident.RecorderConfig{Dir: dir, Journal: j})
	for _, name := range []incident.Trigger{"", "x/../../escaped", "db/slow", "..", ".hidden", "a b", incident.Trigger(strings.Repeat("x", 65))} {
		err := r.Trigger(t.Context(), name, "reason")
		if err == nil || !strings.Contains(err.Error(), "Trigger "+strconv.Quote(string(name))) {
			t.Errorf("Trigger(%q) = %v, want an error naming it", name, err)
		}
	}
	if err := r.Trigger(t.Context(), "db-slow_2", "a plain name"); err != nil {
		t.Fatalf("Trigger(db-slow_2) = %v", err)
	}
	next(t, written)
	if err := r.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{parent, dir} {
		names, _ := listDir(t, d)
		want := 1 // snapshots/ in parent, the one snapshot in dir
		if len(names) != want {
			t.Errorf("%s holds %q, want %d entry", d, names, want)
		}
	}
}

// Triggers of every kind fired at once are all written: none is lost
// because another was queued.
func TestTriggersCloseTogetherAllWritten(t *testing.T) {
	j := newJournal(t, incident.Config{})
	written := snapshotsOf(t, j)
	r := newRecorder(t, incident.RecorderConfig{Journal: j})
	kinds := []incident.Trigger{incident.TriggerBreakerOpen, incident.TriggerReadinessFail, incident.TriggerPage, incident.TriggerPanic, incident.TriggerManual}
	for _, k := range kinds {
		if err := r.Trigger(t.Context(), k, "at once"); err != nil {
			t.Errorf("Trigger(%s) = %v", k, err)
		}
	}
	got := map[string]bool{}
	for range kinds {
		got[strings.SplitN(next(t, written).Cause, ":", 2)[0]] = true
	}
	for _, k := range kinds {
		if !got[string(k)] {
			t.Errorf("no snapshot of %s; got %v", k, got)
		}
	}
}

// A panic is recorded under the route's pattern, never the raw path: a
// token in the path must not reach /events.
func TestPanicRecordsTheRouteNotThePath(t *testing.T) {
	j := newJournal(t, incident.Config{})
	written := snapshotsOf(t, j)
	r := newRecorder(t, incident.RecorderConfig{Journal: j})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /reset/{token}", func(http.ResponseWriter, *http.Request) { panic("reset failed") })
	srv := httptest.NewUnstartedServer(r.Middleware(mux))
	srv.Config.ErrorLog = newDiscardLogger()
	srv.Start()
	defer srv.Close()
	if _, err := http.Get(srv.URL + "/reset/s3cr3t-t0ken"); err == nil {
		t.Error("a panicking handler answered")
	}
	s := next(t, written)
	if s.Cause != "panic: process.panic GET /reset/{token} (reset failed)" {
		t.Errorf("snapshot %s", line(s))
	}
	for _, e := range j.Events(incident.Filter{}) {
		if strings.Contains(e.String(), "s3cr3t") {
			t.Errorf("the journal shows the path's token: %s", e)
		}
	}
}
