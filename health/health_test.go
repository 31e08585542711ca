package health_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/ybiyri/runkit/health"
)

func TestMain(m *testing.M) {
	// Start os/signal's watcher outside any synctest bubble, so that Serve
	// tests inside a bubble do not adopt it.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGUSR2)
	goleak.VerifyTestMain(m)
}

func ok(context.Context) error { return nil }

var errDown = errors.New("dial tcp 10.0.0.7:5432: connection refused")

func down(context.Context) error { return errDown }

func newChecker(t *testing.T, opts ...health.Option) *health.Checker {
	t.Helper()
	c := health.New(opts...)
	t.Cleanup(func() { c.Close() })
	return c
}

func mustRegister(t *testing.T, c *health.Checker, checks ...health.Check) {
	t.Helper()
	for _, ch := range checks {
		if err := c.Register(ch); err != nil {
			t.Fatalf("Register(%q) = %v", ch.Name, err)
		}
	}
}

// get serves one request through h and returns the status code and body.
func get(t *testing.T, h http.Handler, target string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec.Code, rec.Body.String()
}

func TestRegisterRejectsBadChecks(t *testing.T) {
	c := newChecker(t)
	mustRegister(t, c, health.Check{Name: "db", Func: ok})
	tests := []struct {
		check health.Check
		want  string
	}{
		{health.Check{Func: ok}, "Name is empty"},
		{health.Check{Name: "a/b", Func: ok}, `Name "a/b" contains '/'`},
		{health.Check{Name: "a b", Func: ok}, `Name "a b" contains ' '`},
		{health.Check{Name: "x"}, `check "x": Func is nil`},
		{health.Check{Name: "db", Func: ok}, `Name "db" is already registered`},
		{health.Check{Name: "x", Func: ok, Timeout: -time.Second}, "Timeout -1s is negative"},
		{health.Check{Name: "x", Func: ok, Interval: -1}, "Interval -1ns is negative"},
		{health.Check{Name: "x", Func: ok, CacheTTL: -1}, "CacheTTL -1ns is negative"},
		{health.Check{Name: "x", Func: ok, FailureThreshold: -2}, "FailureThreshold -2 is negative"},
		{health.Check{Name: "x", Func: ok, SuccessThreshold: -3}, "SuccessThreshold -3 is negative"},
		{health.Check{Name: "x", Func: ok, Probes: 8}, "Probes Probe(8) names an unknown probe"},
		{health.Check{Name: "x", Func: ok, Severity: 7}, "Severity Severity(7) is unknown"},
	}
	for _, tt := range tests {
		err := c.Register(tt.check)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Register(%+v) = %v, want error containing %q", tt.check.Name, err, tt.want)
		}
	}
	c.Close()
	if err := c.Register(health.Check{Name: "late", Func: ok}); !errors.Is(err, health.ErrClosed) {
		t.Errorf("Register after Close = %v, want ErrClosed", err)
	}
}

func TestProbesAndStatusCodes(t *testing.T) {
	c := newChecker(t)
	mustRegister(t, c,
		health.Check{Name: "self", Func: ok, Probes: health.Liveness},
		health.Check{Name: "db", Func: down},
		health.Check{Name: "cache", Func: down, Severity: health.NonCritical},
		health.Check{Name: "migrations", Func: ok, Probes: health.Startup},
	)
	h := c.Handler()
	tests := []struct {
		target string
		code   int
		body   string
	}{
		{"/livez", 200, `{"status":"pass"}`},
		{"/readyz", 503, `{"status":"fail"}`},
		{"/readyz?exclude=db", 200, `{"status":"warn"}`},
		{"/readyz?exclude=db&exclude=cache", 200, `{"status":"pass"}`},
		{"/readyz/db", 503, `{"status":"fail"}`},
		{"/readyz/cache", 200, `{"status":"warn"}`},
		{"/readyz/self", 404, "404 page not found"},
		{"/startupz", 200, `{"status":"pass"}`},
		{"/healthz", 503, `{"status":"fail"}`},
		{"/healthz/self", 200, `{"status":"pass"}`},
		{"/ops/health/readyz/cache", 200, `{"status":"warn"}`},
		{"/ops/health/livez/", 200, `{"status":"pass"}`},
		{"/nope", 404, "404 page not found"},
		{"/readyz/unknown", 404, "404 page not found"},
	}
	for _, tt := range tests {
		code, body := get(t, h, tt.target)
		if code != tt.code || strings.TrimSpace(body) != tt.body {
			t.Errorf("GET %s = %d %s, want %d %s", tt.target, code, body, tt.code, tt.body)
		}
	}
}

func TestHeadersAndMethods(t *testing.T) {
	c := newChecker(t)
	mustRegister(t, c, health.Check{Name: "db", Func: ok})
	h := c.Handler()

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, "/readyz", nil))
	if rec.Code != 200 || rec.Body.Len() != 0 {
		t.Errorf("HEAD /readyz = %d with %d body bytes, want 200 and none", rec.Code, rec.Body.Len())
	}
	if got := rec.Header().Get("Content-Type"); got != "application/health+json" {
		t.Errorf("Content-Type = %q", got)
	}
	if got := rec.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q", got)
	}

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/readyz", nil))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /readyz = %d Allow %q, want 405 and GET, HEAD", rec.Code, rec.Header().Get("Allow"))
	}
}

// response mirrors the health+json fields the tests check, with pointers
// so that an absent field is told apart from a zero one.
type response struct {
	Status    *string                    `json:"status"`
	Version   *string                    `json:"version"`
	ReleaseID *string                    `json:"releaseId"`
	ServiceID *string                    `json:"serviceId"`
	Output    *string                    `json:"output"`
	Checks    map[string][]checkResponse `json:"checks"`
}

type checkResponse struct {
	Status        *string  `json:"status"`
	Time          *string  `json:"time"`
	ObservedValue *float64 `json:"observedValue"`
	ObservedUnit  *string  `json:"observedUnit"`
	Output        *string  `json:"output"`
	Critical      *bool    `json:"critical"`
}

func decode(t *testing.T, body string) response {
	t.Helper()
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	for k := range raw {
		switch k {
		case "status", "version", "releaseId", "serviceId", "description", "output", "checks":
		default:
			t.Errorf("unexpected top-level field %q in %s", k, body)
		}
	}
	var r response
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	return r
}

func TestVerboseBodyFieldByField(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)
	c := newChecker(t,
		health.WithVerbose(true),
		health.WithVersion("1.4.2"),
		health.WithReleaseID("1.4.2-abc123"),
		health.WithServiceID("checkout"),
		health.WithClock(func() time.Time { return now }),
		health.WithAuthorizer(func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer ops" }),
	)
	mustRegister(t, c,
		health.Check{Name: "db", Func: down},
		health.Check{Name: "cache", Func: ok, Severity: health.NonCritical},
	)
	h := c.Handler()

	code, body := get(t, h, "/readyz?verbose")
	if code != 503 {
		t.Fatalf("GET /readyz?verbose = %d, want 503", code)
	}
	r := decode(t, body)
	str := func(p *string) string {
		if p == nil {
			return "<absent>"
		}
		return *p
	}
	if str(r.Status) != "fail" || str(r.Version) != "1.4.2" || str(r.ReleaseID) != "1.4.2-abc123" || str(r.ServiceID) != "checkout" {
		t.Errorf("top level = status %s version %s releaseId %s serviceId %s", str(r.Status), str(r.Version), str(r.ReleaseID), str(r.ServiceID))
	}
	if len(r.Checks) != 2 {
		t.Fatalf("checks = %v, want db and cache", r.Checks)
	}
	for name, want := range map[string]struct {
		status   string
		critical bool
	}{"db": {"fail", true}, "cache": {"pass", false}} {
		list := r.Checks[name]
		if len(list) != 1 {
			t.Fatalf("checks[%q] has %d entries, want 1", name, len(list))
		}
		got := list[0]
		if str(got.Status) != want.status {
			t.Errorf("checks[%q].status = %s, want %s", name, str(got.Status), want.status)
		}
		if str(got.Time) != "2026-11-26T09:30:00.000Z" {
			t.Errorf("checks[%q].time = %s", name, str(got.Time))
		}
		if got.ObservedValue == nil || *got.ObservedValue != 0 || str(got.ObservedUnit) != "ms" {
			t.Errorf("checks[%q] observed = %v %s, want 0 ms", name, got.ObservedValue, str(got.ObservedUnit))
		}
		if got.Critical == nil || *got.Critical != want.critical {
			t.Errorf("checks[%q].critical = %v, want %v", name, got.Critical, want.critical)
		}
		if got.Output != nil {
			t.Errorf("checks[%q].output = %q without authorization", name, *got.Output)
		}
	}

	// The authorizer approves: output appears for the failing check only.
	req := httptest.NewRequest(http.MethodGet, "/readyz?verbose", nil)
	req.Header.Set("Authorization", "Bearer ops")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	r = decode(t, rec.Body.String())
	if got := str(r.Checks["db"][0].Output); got != errDown.Error() {
		t.Errorf("authorized checks[db].output = %s, want %s", got, errDown)
	}
	if r.Checks["cache"][0].Output != nil {
		t.Errorf("authorized checks[cache].output = %q, want absent", *r.Checks["cache"][0].Output)
	}
}

func TestVerboseNeedsPermission(t *testing.T) {
	c := newChecker(t, health.WithAuthorizer(func(*http.Request) bool { return true }))
	mustRegister(t, c, health.Check{Name: "db", Func: down})
	code, body := get(t, c.Handler(), "/readyz?verbose")
	if code != 503 || strings.TrimSpace(body) != `{"status":"fail"}` {
		t.Errorf("GET /readyz?verbose without WithVerbose = %d %s, want the terse body", code, body)
	}
	if strings.Contains(body, "10.0.0.7") {
		t.Errorf("body leaks the error text: %s", body)
	}
}

func TestUnknownBeforeFirstResult(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		c := health.New()
		defer c.Close()
		mustRegister(t, c,
			health.Check{Name: "warmup", Interval: time.Minute, Timeout: health.MaxTimeout,
				Probes: health.Readiness | health.Startup | health.Liveness,
				Func:   func(context.Context) error { <-release; return nil }},
		)
		h := c.Handler()
		for _, p := range []string{"/readyz", "/startupz"} {
			if code, body := get(t, h, p); code != 503 {
				t.Errorf("GET %s before the first result = %d %s, want 503", p, code, body)
			}
		}
		if code, _ := get(t, h, "/livez"); code != 200 {
			t.Errorf("GET /livez before the first result = %d, want 200", code)
		}
		if r, _ := c.CheckResult(t.Context(), "warmup"); r.Status != health.StatusUnknown {
			t.Errorf("status before the first result = %v, want unknown", r.Status)
		}
		close(release)
		synctest.Wait()
		if code, _ := get(t, h, "/readyz"); code != 200 {
			t.Errorf("GET /readyz after the first result = %d, want 200", code)
		}
	})
}

func TestOnDemandSharesOneRunAndCaches(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		c := health.New()
		defer c.Close()
		mustRegister(t, c, health.Check{Name: "db", CacheTTL: 2 * time.Second,
			Func: func(context.Context) error {
				calls.Add(1)
				time.Sleep(100 * time.Millisecond)
				return nil
			}})
		h := c.Handler()
		var wg sync.WaitGroup
		for range 200 {
			wg.Go(func() {
				if code, _ := get(t, h, "/readyz"); code != 200 {
					t.Errorf("GET /readyz = %d, want 200", code)
				}
			})
		}
		wg.Wait()
		if n := calls.Load(); n != 1 {
			t.Errorf("200 concurrent probes ran the check %d times, want 1", n)
		}
		time.Sleep(time.Second)
		get(t, h, "/readyz")
		if n := calls.Load(); n != 1 {
			t.Errorf("a probe within CacheTTL ran the check again (%d runs)", n)
		}
		time.Sleep(2 * time.Second)
		get(t, h, "/readyz")
		if n := calls.Load(); n != 2 {
			t.Errorf("a probe after CacheTTL made %d runs in all, want 2", n)
		}
	})
}

func TestPeriodicCheckRunsInBackground(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		var fail atomic.Bool
		c := health.New()
		defer c.Close()
		mustRegister(t, c, health.Check{Name: "queue", Interval: 10 * time.Second,
			Func: func(context.Context) error {
				calls.Add(1)
				if fail.Load() {
					return errDown
				}
				return nil
			}})
		synctest.Wait()
		for range 50 {
			get(t, c.Handler(), "/readyz")
		}
		if n := calls.Load(); n != 1 {
			t.Errorf("probes of a periodic check made %d runs, want 1", n)
		}
		fail.Store(true)
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if code, _ := get(t, c.Handler(), "/readyz"); code != 503 || calls.Load() != 2 {
			t.Errorf("after one interval: GET /readyz = %d after %d runs, want 503 after 2", code, calls.Load())
		}
	})
}

func TestThresholds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var fail atomic.Bool
		c := health.New()
		defer c.Close()
		mustRegister(t, c, health.Check{Name: "db", Interval: time.Second,
			FailureThreshold: 3, SuccessThreshold: 2,
			Func: func(context.Context) error {
				if fail.Load() {
					return errDown
				}
				return nil
			}})
		step := func() health.Status {
			time.Sleep(time.Second)
			synctest.Wait()
			r, _ := c.CheckResult(t.Context(), "db")
			return r.Status
		}
		synctest.Wait()
		fail.Store(true)
		want := []health.Status{health.StatusPass, health.StatusPass, health.StatusFail}
		for i, w := range want {
			if got := step(); got != w {
				t.Errorf("failure %d: status %v, want %v", i+1, got, w)
			}
		}
		fail.Store(false)
		want = []health.Status{health.StatusFail, health.StatusPass}
		for i, w := range want {
			if got := step(); got != w {
				t.Errorf("success %d: status %v, want %v", i+1, got, w)
			}
		}
	})
}

func TestHostileCheckAnswersWithinTimeout(t *testing.T) {
	const timeout = 100 * time.Millisecond
	release := make(chan struct{})
	var started atomic.Int32
	var clockOffset atomic.Int64
	c := newChecker(t, health.WithClock(func() time.Time {
		return time.Now().Add(time.Duration(clockOffset.Load()))
	}))
	mustRegister(t, c, health.Check{Name: "stuck", Timeout: timeout,
		Func: func(context.Context) error {
			started.Add(1)
			<-release // ignores its context
			return nil
		}})
	defer close(release)
	h := c.Handler()
	base := runtime.NumGoroutine()

	var slowest atomic.Int64
	probe := func() {
		start := time.Now()
		code, _ := get(t, h, "/readyz")
		if code != 503 {
			t.Errorf("GET /readyz with a stuck check = %d, want 503", code)
		}
		d := int64(time.Since(start))
		for {
			cur := slowest.Load()
			if d <= cur || slowest.CompareAndSwap(cur, d) {
				break
			}
		}
	}
	// Two waves, the second long after the cache expired: still one run.
	for wave := range 2 {
		var wg sync.WaitGroup
		for range 1000 {
			wg.Go(probe)
		}
		wg.Wait()
		if extra := runtime.NumGoroutine() - base; extra > 2 {
			t.Errorf("wave %d: %d goroutines more than before probing, want at most 2", wave, extra)
		}
		clockOffset.Add(int64(10 * time.Second))
	}
	if n := started.Load(); n != 1 {
		t.Errorf("the stuck check was started %d times, want 1", n)
	}
	// The check never returns before the test ends, so a probe that waited
	// for it would never answer; any finite bound shows that none did. The
	// slack covers 1,000 goroutines scheduled under -race on a loaded
	// 2-core machine.
	if d := time.Duration(slowest.Load()); d > timeout+5*time.Second {
		t.Errorf("slowest probe took %v, want about %v", d, timeout)
	}
	r, _ := c.CheckResult(t.Context(), "stuck")
	if r.Err == nil || !strings.Contains(r.Err.Error(), "timed out after 100ms") {
		t.Errorf("stuck check error = %v, want a timeout", r.Err)
	}
}

func TestPanickingCheckFails(t *testing.T) {
	c := newChecker(t, health.WithVerbose(true), health.WithAuthorizer(func(*http.Request) bool { return true }))
	mustRegister(t, c, health.Check{Name: "boom", Func: func(context.Context) error { panic("nil map write") }})
	code, body := get(t, c.Handler(), "/readyz?verbose")
	if code != 503 || !strings.Contains(body, `check \"boom\" panicked: nil map write`) {
		t.Errorf("GET /readyz?verbose with a panicking check = %d %s", code, body)
	}
	r, _ := c.CheckResult(t.Context(), "boom")
	var pe *health.PanicError
	if !errors.As(r.Err, &pe) || len(pe.Stack) == 0 {
		t.Errorf("error = %#v, want a *PanicError with a stack", r.Err)
	}
}

func TestChecksAtRuntime(t *testing.T) {
	c := newChecker(t)
	h := c.Handler()
	if code, _ := get(t, h, "/readyz"); code != 200 {
		t.Errorf("GET /readyz with no checks = %d, want 200", code)
	}
	mustRegister(t, c, health.Check{Name: "db", Func: down})
	if code, _ := get(t, h, "/readyz"); code != 503 {
		t.Errorf("GET /readyz after adding a failing check = %d, want 503", code)
	}
	if !c.Unregister("db") || c.Unregister("db") {
		t.Error("Unregister(db) twice did not report true then false")
	}
	if code, _ := get(t, h, "/readyz"); code != 200 {
		t.Errorf("GET /readyz after removing it = %d, want 200", code)
	}
	mustRegister(t, c, health.Check{Name: "db", Func: ok, Interval: time.Hour})
	if got := c.Names(); len(got) != 1 || got[0] != "db" {
		t.Errorf("Names() = %v", got)
	}
}

func TestListenerMayCallChecker(t *testing.T) {
	var c *health.Checker
	changes := make(chan health.Change, 10)
	c = newChecker(t, health.WithListener(func(ch health.Change) {
		// Reading the checker from the listener must not deadlock.
		c.Names()
		c.Evaluate(context.Background(), health.Liveness)
		changes <- ch
	}))
	mustRegister(t, c, health.Check{Name: "db", Func: down})
	if ch := <-changes; ch.Kind != health.CheckAdded || ch.Name != "db" {
		t.Errorf("first change = %+v, want db added", ch)
	}
	c.Evaluate(t.Context(), health.Readiness)
	ch := <-changes
	if ch.Kind != health.StatusChanged || ch.Name != "db" || ch.From != health.StatusUnknown || ch.To != health.StatusFail || !errors.Is(ch.Err, errDown) {
		t.Errorf("change = %+v", ch)
	}
	c.Drain()
	c.Drain()
	if ch := <-changes; ch.Kind != health.DrainStarted || ch.To != health.StatusFail {
		t.Errorf("drain change = %+v", ch)
	}
	select {
	case ch := <-changes:
		t.Errorf("second Drain notified again: %+v", ch)
	default:
	}
}

func TestDrainFailsReadinessOnly(t *testing.T) {
	c := newChecker(t, health.WithVerbose(true))
	mustRegister(t, c,
		health.Check{Name: "self", Func: ok, Probes: health.Liveness},
		health.Check{Name: "db", Func: ok})
	c.Drain()
	h := c.Handler()
	if code, _ := get(t, h, "/readyz"); code != 503 {
		t.Errorf("GET /readyz while draining = %d, want 503", code)
	}
	if code, body := get(t, h, "/readyz?verbose"); code != 503 || !strings.Contains(body, `"output":"draining"`) {
		t.Errorf("GET /readyz?verbose while draining = %d %s", code, body)
	}
	if code, _ := get(t, h, "/livez"); code != 200 {
		t.Errorf("GET /livez while draining = %d, want 200", code)
	}
	if !c.Draining() {
		t.Error("Draining() = false after Drain")
	}
}

func TestEvaluateReport(t *testing.T) {
	c := newChecker(t)
	mustRegister(t, c,
		health.Check{Name: "a", Func: ok},
		health.Check{Name: "b", Func: down, Severity: health.NonCritical})
	r := c.Evaluate(t.Context(), health.Readiness)
	if r.Status != health.StatusWarn || len(r.Checks) != 2 || r.Checks[0].Name != "a" || r.Checks[1].Status != health.StatusFail {
		t.Errorf("Evaluate = %+v", r)
	}
	if _, ok := c.CheckResult(t.Context(), "zzz"); ok {
		t.Error("CheckResult of an unknown name reported true")
	}
}

func TestStrings(t *testing.T) {
	tests := []struct{ got, want string }{
		{health.Liveness.String(), "livez"},
		{(health.Readiness | health.Startup).String(), "readyz|startupz"},
		{health.Probe(0).String(), "none"},
		{health.StatusWarn.String(), "warn"},
		{health.StatusUnknown.String(), "unknown"},
		{health.NonCritical.String(), "non-critical"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("String() = %q, want %q", tt.got, tt.want)
		}
	}
}

func TestCloseCancelsRunningChecks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := health.New()
		cancelled := make(chan struct{})
		mustRegister(t, c, health.Check{Name: "slow", Interval: time.Minute, Timeout: health.MaxTimeout,
			Func: func(ctx context.Context) error { <-ctx.Done(); close(cancelled); return ctx.Err() }})
		synctest.Wait()
		c.Close()
		c.Close()
		<-cancelled
	})
}

// readAll drains and closes a response body.
func readAll(t *testing.T, r io.ReadCloser) string {
	t.Helper()
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A listener learns what happened from the change's Kind,
// not from an empty Name: a check added, its status changed, a check
// removed, draining begun.
func TestChangeKinds(t *testing.T) {
	changes := make(chan health.Change, 10)
	c := newChecker(t, health.WithListener(func(ch health.Change) { changes <- ch }))
	mustRegister(t, c, health.Check{Name: "db", Func: down})
	c.Evaluate(t.Context(), health.Readiness)
	c.Unregister("db")
	c.Unregister("db") // not registered: nothing to report
	c.Drain()
	type seen struct {
		Kind     health.ChangeKind
		Name     string
		From, To health.Status
	}
	want := []seen{
		{health.CheckAdded, "db", health.StatusUnknown, health.StatusUnknown},
		{health.StatusChanged, "db", health.StatusUnknown, health.StatusFail},
		{health.CheckRemoved, "db", health.StatusFail, health.StatusUnknown},
		{health.DrainStarted, "", health.StatusPass, health.StatusFail},
	}
	for i, w := range want {
		select {
		case ch := <-changes:
			if got := (seen{ch.Kind, ch.Name, ch.From, ch.To}); got != w {
				t.Errorf("change %d = %+v, want %+v", i, got, w)
			}
			if ch.Time.IsZero() {
				t.Errorf("change %d (%v) has no time", i, ch.Kind)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("change %d (%v) never came", i, w.Kind)
		}
	}
	select {
	case ch := <-changes:
		t.Errorf("unexpected change %+v", ch)
	default:
	}
	for k, s := range map[health.ChangeKind]string{health.StatusChanged: "status changed", health.CheckAdded: "check added",
		health.CheckRemoved: "check removed", health.DrainStarted: "drain started", 0: "ChangeKind(0)"} {
		if k.String() != s {
			t.Errorf("ChangeKind(%d).String() = %q, want %q", uint8(k), k.String(), s)
		}
	}
}
