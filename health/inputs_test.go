package health_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ybiyri/runkit/health"
)

// A typo of a unit (Interval: 5 is five nanoseconds) must not turn a
// periodic check into a loop that burns a core, nor Timeout: 5 into a
// check that always fails, nor CacheTTL: 5 into no cache. Register names
// the field and the value; the Handler never serves the check.
func TestRegisterRejectsDurationsOutOfRange(t *testing.T) {
	c := newChecker(t)
	h := c.Handler()
	tests := []struct {
		check health.Check
		want  string
	}{
		{health.Check{Name: "x", Func: ok, Interval: time.Nanosecond}, `check "x": Interval 1ns is below MinInterval 100ms`},
		{health.Check{Name: "x", Func: ok, Interval: 5}, `check "x": Interval 5ns is below MinInterval 100ms`},
		{health.Check{Name: "x", Func: ok, Interval: health.MinInterval - 1}, "Interval 99.999999ms is below MinInterval 100ms"},
		{health.Check{Name: "x", Func: ok, Timeout: 5}, `check "x": Timeout 5ns is below MinTimeout 1ms`},
		{health.Check{Name: "x", Func: ok, Timeout: 999 * time.Microsecond}, "Timeout 999µs is below MinTimeout 1ms"},
		{health.Check{Name: "x", Func: ok, Timeout: 10 * time.Hour}, `check "x": Timeout 10h0m0s is above MaxTimeout 1m0s`},
		{health.Check{Name: "x", Func: ok, Timeout: health.MaxTimeout + 1}, "Timeout 1m0.000000001s is above MaxTimeout 1m0s"},
		{health.Check{Name: "x", Func: ok, CacheTTL: 5}, `check "x": CacheTTL 5ns is below MinCacheTTL 100ms`},
	}
	for _, tt := range tests {
		err := c.Register(tt.check)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Register(%+v) = %v, want error containing %q", tt.check, err, tt.want)
		}
		if code, _ := get(t, h, "/readyz/x"); code != http.StatusNotFound {
			t.Errorf("GET /readyz/x after a refused Register = %d, want 404", code)
		}
	}
	// The bounds themselves are accepted.
	mustRegister(t, c,
		health.Check{Name: "fast", Func: ok, Interval: health.MinInterval, Timeout: health.MinTimeout},
		health.Check{Name: "slow", Func: ok, Timeout: health.MaxTimeout, CacheTTL: health.MinCacheTTL},
	)
}

// The shortest Interval keeps its promise: a periodic check runs once per
// Interval, not in a loop.
func TestMinIntervalRunsAtThatPeriod(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := health.New()
		defer c.Close()
		var runs atomic.Int32
		mustRegister(t, c, health.Check{Name: "tick", Interval: health.MinInterval,
			Func: func(context.Context) error { runs.Add(1); return nil }})
		time.Sleep(time.Second - time.Millisecond)
		synctest.Wait()
		if n := runs.Load(); n != 10 {
			t.Errorf("runs in one second at Interval %v = %d, want 10", health.MinInterval, n)
		}
		if code, _ := get(t, c.Handler(), "/readyz/tick"); code != 200 {
			t.Errorf("GET /readyz/tick = %d, want 200", code)
		}
	})
}

// Names that the Handler could never route to, or that break the JSON and
// metric label they become, are refused.
func TestRegisterRejectsUnroutableNames(t *testing.T) {
	c := newChecker(t)
	tests := []struct {
		name, want string
	}{
		{"a\nb", `Name "a\nb" contains '\n'`},
		{"a\x00b", `Name "a\x00b" contains '\x00'`},
		{"a\u200bb", `Name "a\u200bb" contains '\u200b'`},
		{"a\xffb", `Name "a\xffb" is not valid UTF-8`},
		{"readyz", `Name "readyz" is a probe's path`},
		{"livez", `Name "livez" is a probe's path`},
		{"startupz", `Name "startupz" is a probe's path`},
		{"healthz", `Name "healthz" is a probe's path`},
		{".", `Name "." is a path element`},
		{"..", `Name ".." is a path element`},
	}
	for _, tt := range tests {
		err := c.Register(health.Check{Name: tt.name, Func: ok})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Register(Name: %q) = %v, want error containing %q", tt.name, err, tt.want)
		}
	}
	if names := c.Names(); len(names) != 0 {
		t.Errorf("Names() = %q, want none", names)
	}
}

// A check whose Timeout is longer than the prober waits never hangs the
// probe: the handler returns when the prober gives up, and a prober that
// waits gets its answer at Timeout, at most MaxTimeout.
func TestTimeoutLongerThanProbeNeverHangs(t *testing.T) {
	release := make(chan struct{})
	var started atomic.Int32
	c := newChecker(t)
	mustRegister(t, c, health.Check{Name: "stuck", Timeout: health.MaxTimeout,
		Func: func(context.Context) error { started.Add(1); <-release; return nil }}) // ignores its context
	defer close(release)
	returned := make(chan struct{}, 10)
	h := c.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() { returned <- struct{}{} }()
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	// The kubelet's default: one second.
	client := &http.Client{Timeout: time.Second}
	for i := range 2 {
		resp, err := client.Get(srv.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			t.Fatalf("probe %d: GET /readyz = %d before the check's timeout, want the client to give up", i, resp.StatusCode)
		}
		select {
		case <-returned:
		case <-time.After(30 * time.Second):
			t.Fatalf("probe %d: the handler still waits after the prober gave up", i)
		}
	}
	if n := started.Load(); n != 1 {
		t.Errorf("runs after two probes = %d, want 1 (they share the run in flight)", n)
	}
}

func TestTimeoutLongerThanProbeAnswersAtTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		c := health.New(health.WithVerbose(true), health.WithAuthorizer(func(*http.Request) bool { return true }))
		defer c.Close()
		mustRegister(t, c, health.Check{Name: "stuck", Timeout: health.MaxTimeout,
			Func: func(context.Context) error { <-release; return nil }})
		start := time.Now()
		code, body := get(t, c.Handler(), "/readyz?verbose")
		if d := time.Since(start); d != health.MaxTimeout {
			t.Errorf("a prober that never gives up waited %v, want MaxTimeout %v", d, health.MaxTimeout)
		}
		if code != 503 || !strings.Contains(body, "timed out after 1m0s") {
			t.Errorf("GET /readyz?verbose = %d %s, want 503 timed out after 1m0s", code, body)
		}
		close(release)
		synctest.Wait()
	})
}

// The zero Checker is ready to use, as the zero breaker.Registry is: it is
// what New() returns, registering, serving and closing alike.
func TestZeroChecker(t *testing.T) {
	var c health.Checker
	var changes atomic.Int32
	stop := c.Subscribe(func(health.Change) { changes.Add(1) })
	defer stop()
	if err := c.Register(health.Check{Name: "db", Func: ok}); err != nil {
		t.Fatalf("zero Checker: Register = %v", err)
	}
	if err := c.Register(health.Check{Name: "tick", Func: ok, Interval: time.Hour, Probes: health.Liveness}); err != nil {
		t.Fatalf("zero Checker: Register periodic = %v", err)
	}
	srv := httptest.NewServer(c.Handler())
	defer srv.Close()
	for _, path := range []string{"/readyz", "/readyz/db", "/livez"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"pass"`) {
			t.Errorf("zero Checker: GET %s = %d %s, want 200 pass", path, resp.StatusCode, body)
		}
	}
	if got := strings.Join(c.Names(), ","); got != "db,tick" {
		t.Errorf("zero Checker: Names() = %q, want db,tick", got)
	}
	if r, ok := c.CheckResult(t.Context(), "db"); !ok || r.Status != health.StatusPass {
		t.Errorf("zero Checker: CheckResult(db) = %+v, %v", r, ok)
	}
	if !c.Unregister("db") {
		t.Error("zero Checker: Unregister(db) = false")
	}
	c.Drain()
	if r := c.Evaluate(t.Context(), health.Readiness); r.Status != health.StatusFail || !r.Draining {
		t.Errorf("zero Checker draining: Evaluate = %+v", r)
	}
	if changes.Load() == 0 {
		t.Error("zero Checker: the subscriber heard nothing")
	}
	c.Close()
	if err := c.Register(health.Check{Name: "late", Func: ok}); !errors.Is(err, health.ErrClosed) {
		t.Errorf("zero Checker: Register after Close = %v, want ErrClosed", err)
	}
}

// Every method of the zero Checker works before anything is registered.
func TestZeroCheckerMethodsFirst(t *testing.T) {
	for name, f := range map[string]func(c *health.Checker){
		"Names":       func(c *health.Checker) { c.Names() },
		"Evaluate":    func(c *health.Checker) { c.Evaluate(context.Background(), health.Readiness) },
		"CheckResult": func(c *health.Checker) { c.CheckResult(context.Background(), "db") },
		"Unregister":  func(c *health.Checker) { c.Unregister("db") },
		"Drain":       func(c *health.Checker) { c.Drain() },
		"Draining":    func(c *health.Checker) { c.Draining() },
		"Close":       func(c *health.Checker) { c.Close() },
		"Handler":     func(c *health.Checker) { get(t, c.Handler(), "/readyz") },
	} {
		var c health.Checker
		f(&c)
		c.Close()
		if err := c.Register(health.Check{Name: "db", Func: ok}); !errors.Is(err, health.ErrClosed) {
			t.Errorf("zero Checker after %s and Close: Register = %v, want ErrClosed", name, err)
		}
	}
}

func TestSubscribeNil(t *testing.T) {
	c := newChecker(t)
	cancel := c.Subscribe(nil)
	mustRegister(t, c, health.Check{Name: "db", Func: down})
	c.Evaluate(t.Context(), health.Readiness)
	c.Drain()
	cancel()
}

func TestServeRefusesNil(t *testing.T) {
	c := newChecker(t)
	if err := health.Serve(t.Context(), &http.Server{}, nil, health.ServeConfig{}); err == nil ||
		!strings.Contains(err.Error(), "health: Serve: c (the *Checker) is nil") {
		t.Errorf("Serve(ctx, srv, nil, cfg) = %v, want an error naming c", err)
	}
	if err := health.Serve(t.Context(), nil, c, health.ServeConfig{}); err == nil ||
		!strings.Contains(err.Error(), "health: Serve: srv (the *http.Server) is nil") {
		t.Errorf("Serve(ctx, nil, c, cfg) = %v, want an error naming srv", err)
	}
	if c.Draining() {
		t.Error("a refused Serve drained the checker")
	}
}

// A probe that is none of Liveness, Readiness and Startup has no checks;
// answering pass for it would report up what nothing proved.
func TestEvaluateUnknownProbe(t *testing.T) {
	c := newChecker(t)
	var runs atomic.Int32
	mustRegister(t, c, health.Check{Name: "db", Func: func(context.Context) error { runs.Add(1); return nil },
		Probes: health.Liveness | health.Readiness | health.Startup})
	tests := []struct {
		probe health.Probe
		want  string
	}{
		{health.Probe(64), "health: Evaluate: probe Probe(64) is unknown"},
		{health.Readiness | health.Probe(64), "health: Evaluate: probe readyz|Probe(64) is unknown"},
		{0, "health: Evaluate: probe is zero"},
	}
	for _, tt := range tests {
		r := c.Evaluate(t.Context(), tt.probe)
		if r.Status != health.StatusFail || r.Err == nil || r.Err.Error() != tt.want || len(r.Checks) != 0 {
			t.Errorf("Evaluate(%v) = %+v, want fail with Err %q", tt.probe, r, tt.want)
		}
	}
	if n := runs.Load(); n != 0 {
		t.Errorf("Evaluate of unknown probes ran the check %d times", n)
	}
	if r := c.Evaluate(t.Context(), health.Readiness); r.Status != health.StatusPass || r.Err != nil {
		t.Errorf("Evaluate(readyz) = %+v, want pass with no Err", r)
	}
}
