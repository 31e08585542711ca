package health_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ybiyri/runkit/health"
)

// Status answers from the last results, running nothing, so that a
// listener can learn what readiness became from inside the change.
func TestStatusFromLastResults(t *testing.T) {
	var clock atomic.Int64 // seconds past the epoch
	c := newChecker(t, health.WithClock(func() time.Time { return time.Unix(clock.Load(), 0) }))
	var runs atomic.Int32
	var failing atomic.Bool
	c.Register(health.Check{Name: "db", Func: func(context.Context) error {
		runs.Add(1)
		if failing.Load() {
			return errDown
		}
		return nil
	}})
	c.Register(health.Check{Name: "cache", Func: ok, Severity: health.NonCritical})
	if got := c.Status(health.Readiness); got != health.StatusUnknown {
		t.Errorf("before any result: Status(Readiness) = %v, want unknown", got)
	}
	if got := c.Status(health.Liveness); got != health.StatusPass {
		t.Errorf("a probe with no check: Status(Liveness) = %v, want pass", got)
	}
	c.Register(health.Check{Name: "deadlock", Func: ok, Probes: health.Liveness})
	if got := c.Status(health.Liveness); got != health.StatusPass {
		t.Errorf("a liveness check with no result: Status(Liveness) = %v, want pass, as the probe answers", got)
	}
	if runs.Load() != 0 {
		t.Fatalf("Status ran the check %d times", runs.Load())
	}
	c.CheckResult(t.Context(), "db")
	if got := c.Status(health.Readiness); got != health.StatusUnknown {
		t.Errorf("with cache not run yet: Status(Readiness) = %v, want unknown", got)
	}
	c.Evaluate(t.Context(), health.Readiness)
	if got := c.Status(health.Readiness); got != health.StatusPass {
		t.Errorf("after a passing run: Status(Readiness) = %v, want pass", got)
	}

	during := make(chan health.Status, 1)
	cancel := c.Subscribe(func(ch health.Change) {
		if ch.Kind == health.StatusChanged && ch.Name == "db" {
			during <- c.Status(health.Readiness)
		}
	})
	defer cancel()
	failing.Store(true)
	if got := c.Status(health.Readiness); got != health.StatusPass {
		t.Errorf("a failing dependency not yet run: Status(Readiness) = %v, want pass, the last result", got)
	}
	clock.Add(2) // past the 1s cache
	c.CheckResult(t.Context(), "db")
	if got := <-during; got != health.StatusFail {
		t.Errorf("a listener of db's change read Status(Readiness) = %v, want fail", got)
	}
	c.Drain()
	if got := c.Status(health.Readiness); got != health.StatusFail {
		t.Errorf("draining: Status(Readiness) = %v, want fail", got)
	}
	for _, p := range []health.Probe{0, 1 << 6} {
		if got := c.Status(p); got != health.StatusFail {
			t.Errorf("Status(%v) = %v, want fail", p, got)
		}
	}
}
