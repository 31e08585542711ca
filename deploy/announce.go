package deploy

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"time"
)

// Sink receives deployment markers.
type Sink interface {
	// Name names the sink in results and errors.
	Name() string
	// Send delivers one marker, honouring ctx. An error that implements
	// Temporary() bool returning true is retried.
	Send(ctx context.Context, m Marker) error
}

// Result is the outcome of announcing a marker to one sink.
type Result struct {
	Sink     string
	Marker   Marker
	Attempts int
	// Err is nil when the sink took the marker.
	Err error
}

// Announcer sends markers to its sinks, concurrently, retrying temporary
// failures with exponential backoff and full jitter. Set its fields before
// the first Announce; it is safe for concurrent use after that.
type Announcer struct {
	// Sinks receive the marker; a nil one is an error naming its index.
	Sinks []Sink
	// MaxAttempts bounds the attempts per sink. Zero means 4; 1 means no
	// retry. A negative count is an error.
	MaxAttempts int
	// BaseDelay and MaxDelay bound the backoff: a retry waits a random
	// time in [0, min(MaxDelay, BaseDelay × 2^n)). Zero means 250ms and 5s.
	// A negative delay, or a BaseDelay over a MaxDelay that is set, is an
	// error.
	BaseDelay, MaxDelay time.Duration
	// OnResult, when set, receives each sink's result as it completes.
	OnResult func(Result)
	// Now is the clock for markers with no Start. Nil means time.Now.
	Now func() time.Time
}

// Announce sends m to every sink and returns when all are done or ctx
// ends, whichever is first: a service announcing itself at start-up bounds
// the wait with ctx's deadline. Sends still running then are cancelled and
// reported with ctx's error. The error joins every sink's failure; results
// hold one entry per sink, in the order of Sinks.
//
// A marker that does not validate (see Marker.Validate; a zero Start
// reads as now, so a CommitTime after now is refused) and an Announcer
// with a bad field are errors, with no result and nothing sent.
func (a *Announcer) Announce(ctx context.Context, m Marker) ([]Result, error) {
	if err := a.validate(); err != nil {
		return nil, err
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	t := now()
	if m.Start.IsZero() {
		m.Start = t
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	m = m.complete(t)
	attempts := a.MaxAttempts
	if attempts <= 0 {
		attempts = 4
	}
	base, maxDelay := a.BaseDelay, a.MaxDelay
	if base <= 0 {
		base = 250 * time.Millisecond
	}
	if maxDelay <= 0 {
		maxDelay = 5 * time.Second
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]Result, len(a.Sinks))
	done := make(chan int, len(a.Sinks))
	for i, s := range a.Sinks {
		results[i] = Result{Sink: s.Name(), Marker: m}
		go func() {
			n, err := send(ctx, s, m, attempts, base, maxDelay)
			results[i].Attempts, results[i].Err = n, err
			done <- i
		}()
	}
	// A result is read only after its goroutine reported on done; sends
	// cut off by ctx go on writing into results, which is not read again.
	finished := make([]bool, len(a.Sinks))
	for range a.Sinks {
		select {
		case i := <-done:
			finished[i] = true
			if a.OnResult != nil {
				a.OnResult(results[i])
			}
		case <-ctx.Done():
			out := make([]Result, len(results))
			for i := range results {
				out[i] = Result{Sink: a.Sinks[i].Name(), Marker: m}
				if finished[i] {
					out[i] = results[i]
				} else {
					out[i].Err = fmt.Errorf("deploy: %s: %w", out[i].Sink, ctx.Err())
					if a.OnResult != nil {
						a.OnResult(out[i])
					}
				}
			}
			return out, joinErrors(out)
		}
	}
	return results, joinErrors(results)
}

// validate reports the first field of a that is not acceptable.
func (a *Announcer) validate() error {
	for i, s := range a.Sinks {
		if s == nil {
			return fmt.Errorf("deploy: Announcer.Sinks[%d] is nil", i)
		}
		if v := reflect.ValueOf(s); v.Kind() == reflect.Pointer && v.IsNil() {
			return fmt.Errorf("deploy: Announcer.Sinks[%d] is a nil %T", i, s)
		}
	}
	switch {
	case a.MaxAttempts < 0:
		return fmt.Errorf("deploy: Announcer.MaxAttempts %d is negative; zero means 4", a.MaxAttempts)
	case a.BaseDelay < 0:
		return fmt.Errorf("deploy: Announcer.BaseDelay %v is negative; zero means 250ms", a.BaseDelay)
	case a.MaxDelay < 0:
		return fmt.Errorf("deploy: Announcer.MaxDelay %v is negative; zero means 5s", a.MaxDelay)
	case a.MaxDelay > 0 && a.BaseDelay > a.MaxDelay:
		return fmt.Errorf("deploy: Announcer.BaseDelay %v is over MaxDelay %v", a.BaseDelay, a.MaxDelay)
	}
	return nil
}

func joinErrors(rs []Result) error {
	var errs []error
	for _, r := range rs {
		if r.Err != nil {
			errs = append(errs, r.Err)
		}
	}
	return errors.Join(errs...)
}

// send tries one sink up to attempts times.
func send(ctx context.Context, s Sink, m Marker, attempts int, base, maxDelay time.Duration) (int, error) {
	for n := 1; ; n++ {
		err := s.Send(ctx, m)
		if err == nil {
			return n, nil
		}
		var t interface{ Temporary() bool }
		if n >= attempts || !errors.As(err, &t) || !t.Temporary() || ctx.Err() != nil {
			return n, fmt.Errorf("deploy: %s: %w", s.Name(), err)
		}
		ceil := maxDelay
		if n < 30 {
			ceil = min(maxDelay, base<<(n-1))
		}
		timer := time.NewTimer(time.Duration(rand.Int64N(int64(ceil) + 1)))
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return n, fmt.Errorf("deploy: %s: %w (after %v)", s.Name(), ctx.Err(), err)
		}
	}
}
