package breaker_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/ybiyri/runkit/breaker"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var errDep = errors.New("dependency failed")

func fail(context.Context) (int, error)    { return 0, errDep }
func succeed(context.Context) (int, error) { return 1, nil }

func mustNew(t testing.TB, cfg breaker.Config) *breaker.Breaker[int] {
	t.Helper()
	b, err := breaker.New[int](cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTripsOnRatioNotOnOneFailure(t *testing.T) {
	b := mustNew(t, breaker.Config{Name: "db", MinCalls: 10, FailureRatio: 0.5})
	ctx := t.Context()
	b.Execute(ctx, fail)
	for range 4 {
		b.Execute(ctx, succeed)
	}
	if b.State() != breaker.Closed {
		t.Fatalf("one failure of five calls: state %v, want closed", b.State())
	}
	for range 4 {
		b.Execute(ctx, fail)
	}
	if b.State() != breaker.Closed {
		t.Fatalf("5 failures of 9 calls, under MinCalls: state %v, want closed", b.State())
	}
	b.Execute(ctx, fail) // 6 of 10
	if b.State() != breaker.Open {
		t.Fatalf("6 failures of 10 calls: state %v, want open", b.State())
	}
	_, err := b.Execute(ctx, succeed)
	var oe *breaker.OpenError
	if !errors.Is(err, breaker.ErrOpen) || !errors.As(err, &oe) || oe.Name != "db" || oe.Until.IsZero() {
		t.Errorf("call on an open breaker = %v, want an OpenError naming db with a retry time", err)
	}
	if !strings.Contains(err.Error(), `breaker "db" is open; next try at`) {
		t.Errorf("error text = %q", err)
	}
}

func TestCallerCancellationNotCounted(t *testing.T) {
	b := mustNew(t, breaker.Config{Name: "db", ConsecutiveFailures: 2, MinCalls: 100})
	for range 5 {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		b.Execute(ctx, func(ctx context.Context) (int, error) { return 0, ctx.Err() })
		dctx, dcancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
		b.Execute(dctx, func(ctx context.Context) (int, error) { return 0, ctx.Err() })
		dcancel()
	}
	if b.State() != breaker.Closed {
		t.Fatalf("after callers cancelled: state %v, want closed", b.State())
	}
	// The dependency's own timeout, with the caller still waiting, counts.
	for range 2 {
		b.Execute(t.Context(), func(context.Context) (int, error) { return 0, context.DeadlineExceeded })
	}
	if b.State() != breaker.Open {
		t.Errorf("after two dependency timeouts: state %v, want open", b.State())
	}
}

func TestClassify(t *testing.T) {
	notFound := errors.New("not found")
	b := mustNew(t, breaker.Config{Name: "api", ConsecutiveFailures: 1, Classify: func(err error) breaker.Outcome {
		if errors.Is(err, notFound) {
			return breaker.Success
		}
		return breaker.DefaultClassify(err)
	}})
	for range 5 {
		if _, err := b.Execute(t.Context(), func(context.Context) (int, error) { return 0, notFound }); err != notFound {
			t.Fatalf("Execute = %v, want the call's own error", err)
		}
	}
	if b.State() != breaker.Closed {
		t.Errorf("errors classified as success opened the breaker")
	}
}

func TestPanicCountsAndRepanics(t *testing.T) {
	b := mustNew(t, breaker.Config{Name: "x", ConsecutiveFailures: 1})
	func() {
		defer func() {
			if recover() == nil {
				t.Error("panic was swallowed")
			}
		}()
		b.Execute(t.Context(), func(context.Context) (int, error) { panic("boom") })
	}()
	if b.State() != breaker.Open {
		t.Errorf("after a panic: state %v, want open", b.State())
	}
}

func TestHalfOpenProbeDeadlineAndJitter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, breaker.Config{Name: "x", ConsecutiveFailures: 1, OpenTimeout: 10 * time.Second,
			Jitter: 0.5, HalfOpenProbes: 1, ProbeTimeout: time.Second})
		if d := b.Timeout(); d < 10*time.Second || d >= 15*time.Second {
			t.Fatalf("jittered timeout %v, want in [10s, 15s)", d)
		}
		b.Execute(t.Context(), fail)
		time.Sleep(b.Timeout() - time.Millisecond)
		if b.State() != breaker.Open {
			t.Fatalf("before the jittered timeout: %v, want open", b.State())
		}
		time.Sleep(2 * time.Millisecond)
		if b.State() != breaker.HalfOpen {
			t.Fatalf("after the jittered timeout: %v, want half-open", b.State())
		}
		// A probe that hangs until its context ends: the deadline frees it,
		// and it counts as a failure.
		done := make(chan error)
		go func() {
			_, err := b.Execute(t.Context(), func(ctx context.Context) (int, error) { <-ctx.Done(); return 0, ctx.Err() })
			done <- err
		}()
		synctest.Wait()
		if _, err := b.Execute(t.Context(), succeed); !errors.Is(err, breaker.ErrOpen) {
			t.Errorf("second call while the probe is in flight = %v, want ErrOpen", err)
		}
		if err := <-done; !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("hung probe = %v, want its deadline", err)
		}
		if b.State() != breaker.Open {
			t.Errorf("after the hung probe: %v, want open again", b.State())
		}
		time.Sleep(b.Timeout() + time.Millisecond)
		if _, err := b.Execute(t.Context(), succeed); err != nil || b.State() != breaker.Closed {
			t.Errorf("good probe: %v, state %v; want closed", err, b.State())
		}
	})
}

func TestCallbackMayCallState(t *testing.T) {
	var b *breaker.Breaker[int]
	var mu sync.Mutex
	var seen []string
	b = mustNew(t, breaker.Config{Name: "x", ConsecutiveFailures: 1, OnStateChange: func(name string, from, to breaker.State) {
		st := b.State() // would deadlock inside gobreaker's lock
		mu.Lock()
		seen = append(seen, name+":"+from.String()+">"+to.String()+"="+st.String())
		mu.Unlock()
	}})
	done := make(chan struct{})
	go func() { b.Execute(context.Background(), fail); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Execute deadlocked in OnStateChange")
	}
	if len(seen) != 1 || seen[0] != "x:closed>open=open" {
		t.Errorf("changes = %v", seen)
	}
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		cfg  breaker.Config
		want string
	}{
		{breaker.Config{Name: "a", Window: -1}, "Window -1ns is negative"},
		{breaker.Config{Name: "a", FailureRatio: 1.5}, "FailureRatio 1.5 out of range (0, 1]"},
		{breaker.Config{Name: "a", FailureRatio: -0.1}, "FailureRatio -0.1"},
		{breaker.Config{Name: "a", MinCalls: -1}, "MinCalls -1 is negative"},
		{breaker.Config{Name: "a", OpenTimeout: -time.Second}, "OpenTimeout -1s is negative"},
		{breaker.Config{Name: "a", Jitter: 2}, "Jitter 2 out of range"},
		{breaker.Config{Name: "a", HalfOpenProbes: -3}, "HalfOpenProbes -3"},
		{breaker.Config{Name: "a", ProbeTimeout: -1}, "ProbeTimeout -1ns"},
		{breaker.Config{Name: "a", Window: 5, Buckets: 10}, "too short for 10 buckets"},
	}
	for _, tt := range tests {
		_, err := breaker.New[int](tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), `"a"`) {
			t.Errorf("New(%+v) = %v, want %q", tt.cfg, err, tt.want)
		}
	}
}

func TestRegistry(t *testing.T) {
	var r breaker.Registry
	a := mustNew(t, breaker.Config{Name: "a", ConsecutiveFailures: 1})
	b := mustNew(t, breaker.Config{Name: "b"})
	r.Add(a)
	r.Add(b)
	if err := r.Check(t.Context()); err != nil {
		t.Errorf("Check with closed breakers = %v", err)
	}
	a.Execute(t.Context(), fail)
	if err := r.Check(t.Context()); err == nil || err.Error() != "open circuit breakers: a" {
		t.Errorf("Check with a open = %v", err)
	}
	r.Remove("a")
	if err := r.Check(t.Context()); err != nil {
		t.Errorf("Check after Remove = %v", err)
	}
}

func TestConcurrentExecute(t *testing.T) {
	b := mustNew(t, breaker.Config{Name: "x"})
	var n atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				v, _ := b.Execute(context.Background(), succeed)
				n.Add(int64(v))
			}
		})
	}
	wg.Wait()
	if n.Load() != 8000 {
		t.Errorf("results = %d, want 8000", n.Load())
	}
}
