package breaker_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"reflect"
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
		{breaker.Config{Name: "a", Buckets: -1}, "Buckets -1 is negative; it cannot be off"},
		{breaker.Config{Name: "a", FailureRatio: 1.5}, "FailureRatio 1.5 out of range (0, 1]"},
		{breaker.Config{Name: "a", FailureRatio: math.NaN()}, "FailureRatio NaN out of range"},
		{breaker.Config{Name: "a", OpenTimeout: -time.Second}, "OpenTimeout -1s is negative; it cannot be off"},
		{breaker.Config{Name: "a", Jitter: 2}, "Jitter 2 out of range [0, 1]"},
		{breaker.Config{Name: "a", Jitter: math.NaN()}, "Jitter NaN out of range"},
		{breaker.Config{Name: "a", HalfOpenProbes: -3}, "HalfOpenProbes -3 is negative"},
		{breaker.Config{Name: "a", FailureRatio: -1, ConsecutiveFailures: -1}, "FailureRatio -1 and ConsecutiveFailures -1 are both off"},
		{breaker.Config{Name: "a", Window: 5, Buckets: 10}, "Window 5ns is too short for Buckets 10"},
		{breaker.Config{Name: "a", MinCalls: 1 << 40}, "MinCalls 1099511627776 over 4294967295"},
		{breaker.Config{Name: "a", HalfOpenProbes: 1 << 40}, "HalfOpenProbes 1099511627776 over 4294967295"},
		{breaker.Config{Name: "a", ConsecutiveFailures: math.MaxUint32 + 1}, "ConsecutiveFailures 4294967296 over 4294967295"},
		// Each bucket is memory, and work under the lock after an idle spell.
		{breaker.Config{Name: "a", Window: time.Hour, Buckets: 100_000}, "Buckets 100000 over 1000"},
		// OpenTimeout lengthened by its jitter must stay a time.Duration.
		{breaker.Config{Name: "a", OpenTimeout: math.MaxInt64 / 3 * 2, Jitter: 1}, "OpenTimeout 1708031h51m31.236517204s with Jitter 1 overflows"},
		{breaker.Config{Name: "a", OpenTimeout: math.MaxInt64 / 10 * 9}, "OpenTimeout 2305843h0m33.16929822s with Jitter 0.2 (zero means 0.2) overflows"}, // the default jitter
	}
	for _, tt := range tests {
		_, err := breaker.New[int](tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), `"a"`) {
			t.Errorf("New(%+v) = %v, want %q", tt.cfg, err, tt.want)
		}
	}
}

// A negative value turns off what a field controls, where it can be off.
func TestConfigOff(t *testing.T) {
	ctx := t.Context()
	t.Run("ConsecutiveFailures", func(t *testing.T) {
		b := mustNew(t, breaker.Config{ConsecutiveFailures: -1, MinCalls: 1000})
		for range 100 {
			b.Execute(ctx, fail)
		}
		if b.State() != breaker.Closed {
			t.Errorf("100 failures in a row with ConsecutiveFailures off and MinCalls 1000: %v, want closed", b.State())
		}
	})
	t.Run("FailureRatio", func(t *testing.T) {
		b := mustNew(t, breaker.Config{FailureRatio: -1, ConsecutiveFailures: 3, MinCalls: 1})
		for range 50 {
			b.Execute(ctx, fail)
			b.Execute(ctx, succeed)
		}
		if b.State() != breaker.Closed {
			t.Fatalf("half the calls failing with the ratio off: %v, want closed", b.State())
		}
		for range 3 {
			b.Execute(ctx, fail)
		}
		if b.State() != breaker.Open {
			t.Errorf("3 failures in a row: %v, want open", b.State())
		}
	})
	t.Run("MinCalls", func(t *testing.T) {
		b := mustNew(t, breaker.Config{MinCalls: -1, ConsecutiveFailures: -1})
		b.Execute(ctx, fail)
		if b.State() != breaker.Open {
			t.Errorf("one failure of one call with no minimum: %v, want open", b.State())
		}
	})
	t.Run("Jitter", func(t *testing.T) {
		for range 20 {
			if b := mustNew(t, breaker.Config{Jitter: -1, OpenTimeout: time.Minute}); b.Timeout() != time.Minute {
				t.Fatalf("Timeout with Jitter off = %v, want exactly OpenTimeout 1m", b.Timeout())
			}
		}
	})
	t.Run("ProbeTimeout", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			b := mustNew(t, breaker.Config{ConsecutiveFailures: 1, ProbeTimeout: -1, HalfOpenProbes: 1})
			b.Execute(t.Context(), fail)
			time.Sleep(b.Timeout() + time.Second)
			var deadline bool
			b.Execute(t.Context(), func(ctx context.Context) (int, error) {
				time.Sleep(time.Hour) // far past the default ProbeTimeout
				_, deadline = ctx.Deadline()
				return 1, nil
			})
			if deadline || b.State() != breaker.Closed {
				t.Errorf("probe with ProbeTimeout off: deadline %v, state %v; want none and closed", deadline, b.State())
			}
		})
	})
	t.Run("Window", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			cfg := breaker.Config{MinCalls: 2, ConsecutiveFailures: -1}
			rolling := mustNew(t, cfg)
			cfg.Window = -1
			kept := mustNew(t, cfg)
			for _, b := range []*breaker.Breaker[int]{rolling, kept} {
				b.Execute(t.Context(), fail)
			}
			time.Sleep(2 * time.Hour)
			for _, b := range []*breaker.Breaker[int]{rolling, kept} {
				b.Execute(t.Context(), fail)
			}
			if rolling.State() != breaker.Closed || kept.State() != breaker.Open {
				t.Errorf("two failures two hours apart: with a window %v, without %v; want closed and open", rolling.State(), kept.State())
			}
		})
	})
}

func TestStateString(t *testing.T) {
	for s, want := range map[breaker.State]string{breaker.Closed: "closed", breaker.HalfOpen: "half-open", breaker.Open: "open", 7: "State(7)", -1: "State(-1)"} {
		if got := s.String(); got != want {
			t.Errorf("State(%d).String() = %q, want %q", int(s), got, want)
		}
	}
	if breaker.Closed != 0 || breaker.HalfOpen != 1 || breaker.Open != 2 {
		t.Error("state values differ from those the runkit.breaker.state metric documents")
	}
}

// A probe through Execute that outlives ProbeTimeout fails, whatever its
// function returns.
func TestLateProbeFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, breaker.Config{ConsecutiveFailures: 1, ProbeTimeout: time.Second, HalfOpenProbes: 1})
		b.Execute(t.Context(), fail)
		time.Sleep(b.Timeout() + time.Second)
		v, err := b.Execute(t.Context(), func(context.Context) (int, error) {
			time.Sleep(2 * time.Second) // ignores its context
			return 1, nil
		})
		if v != 1 || err != nil || b.State() != breaker.Open {
			t.Errorf("late probe = %v, %v, state %v; want its result returned and the breaker open again", v, err, b.State())
		}
	})
}

// A storm of callers giving up on a dependency slower than their patience
// leaves the breaker closed.
func TestExecuteCallerStormStaysClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, breaker.Config{ConsecutiveFailures: 3, MinCalls: 5})
		slow := func(ctx context.Context) (int, error) {
			select {
			case <-time.After(50 * time.Millisecond):
				return 1, nil
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		}
		var wg sync.WaitGroup
		for range 1000 {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
				defer cancel()
				b.Execute(ctx, slow)
			})
		}
		wg.Wait()
		if b.State() != breaker.Closed {
			t.Errorf("after 1000 callers gave up: %v, want closed", b.State())
		}
	})
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

func TestRegistryLookup(t *testing.T) {
	var r breaker.Registry
	if b, ok := r.Lookup("a"); ok || b != nil {
		t.Errorf("Lookup on the zero Registry = %v, %v; want nil, false", b, ok)
	}
	a := mustNew(t, breaker.Config{Name: "a"})
	r.Add(a)
	if b, ok := r.Lookup("a"); !ok || b != breaker.Stater(a) {
		t.Errorf("Lookup(a) = %v, %v; want a, true", b, ok)
	}
	r.Remove("a")
	if _, ok := r.Lookup("a"); ok {
		t.Error("Lookup(a) after Remove found it")
	}
}

// Config is the breaker's Config as New resolved it: defaults filled in,
// what is off still negative.
func TestBreakerConfig(t *testing.T) {
	b := mustNew(t, breaker.Config{Name: "a", ConsecutiveFailures: -1, Jitter: -1})
	got := b.Config()
	want := breaker.Config{Name: "a", Window: breaker.DefaultWindow, Buckets: breaker.DefaultBuckets,
		FailureRatio: breaker.DefaultFailureRatio, MinCalls: breaker.DefaultMinCalls, ConsecutiveFailures: -1,
		OpenTimeout: breaker.DefaultOpenTimeout, Jitter: -1, HalfOpenProbes: breaker.DefaultHalfOpenProbes,
		ProbeTimeout: breaker.DefaultProbeTimeout}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Config() = %+v, want %+v", got, want)
	}
	if b.Timeout() != breaker.DefaultOpenTimeout {
		t.Errorf("Timeout() with no jitter = %v, want OpenTimeout %v", b.Timeout(), breaker.DefaultOpenTimeout)
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

// A panic that trips the breaker is reported at once, like any other
// change of state, not on the next call.
func TestPanicTripReportedAtOnce(t *testing.T) {
	var changes atomic.Int32
	var logs bytes.Buffer
	b := mustNew(t, breaker.Config{Name: "x", ConsecutiveFailures: 1, OnStateChange: func(string, breaker.State, breaker.State) {
		changes.Add(1)
	}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	func() {
		defer func() { recover() }()
		b.Execute(t.Context(), func(context.Context) (int, error) { panic("boom") })
	}()
	if changes.Load() != 1 {
		t.Errorf("after a panic tripped the breaker: %d changes reported, want 1", changes.Load())
	}
	if !strings.Contains(logs.String(), "from=closed to=open") {
		t.Errorf("log after the panic = %q, want the change", logs.String())
	}
}

// The change to half-open is reported when State first sees it, not at the
// next call.
func TestHalfOpenReportedByState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var seen []string
		b := mustNew(t, breaker.Config{ConsecutiveFailures: 1, OnStateChange: func(_ string, from, to breaker.State) {
			mu.Lock()
			seen = append(seen, from.String()+">"+to.String())
			mu.Unlock()
		}})
		b.Execute(t.Context(), fail)
		time.Sleep(b.Timeout() + time.Second)
		if s := b.State(); s != breaker.HalfOpen {
			t.Fatalf("after the open period: %v", s)
		}
		mu.Lock()
		defer mu.Unlock()
		if strings.Join(seen, " ") != "closed>open open>half-open" {
			t.Errorf("changes reported = %v, want closed>open open>half-open", seen)
		}
	})
}
