package health

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// entry is one registered check and its state.
type entry struct {
	c     *Checker
	check Check
	attrs metric.MeasurementOption

	// added is closed once CheckAdded has been delivered; a StatusChanged
	// waits for it, so that listeners hear of a check before its results.
	added chan struct{}

	// stop and done run the periodic loop; both are nil for on-demand
	// checks.
	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once

	mu        sync.Mutex // guards the fields below
	st        Status     // after thresholds
	last      Result     // last recorded run
	fails     int        // consecutive failures
	successes int        // consecutive successes
	inflight  *run       // the one run allowed at a time, or nil
	removed   bool       // unregistered: its runs notify no one
}

// run is one execution of a check function. At most one exists per check:
// concurrent probes share it, and a run whose function ignores its context
// keeps later runs from starting, so a hostile check holds at most one
// goroutine however often it is probed.
type run struct {
	answered chan struct{} // closed once the run has a result or timed out
	decided  bool          // the result is recorded; guarded by entry.mu
}

func newEntry(c *Checker, check Check) *entry {
	e := &entry{
		c:     c,
		added: make(chan struct{}),
		check: check,
		attrs: metric.WithAttributeSet(attribute.NewSet(attribute.String("check", check.Name))),
	}
	e.last.Name = check.Name
	e.last.Severity = check.Severity
	if check.Interval > 0 {
		e.stop = make(chan struct{})
		e.done = make(chan struct{})
	}
	return e
}

// start begins the periodic loop of a periodic check.
func (e *entry) start() {
	if e.stop != nil {
		go e.loop()
	}
}

func (e *entry) stopLoop() {
	if e.stop == nil {
		return
	}
	e.stopOnce.Do(func() { close(e.stop) })
	<-e.done
}

func (e *entry) loop() {
	defer close(e.done)
	t := time.NewTicker(e.check.Interval)
	defer t.Stop()
	for {
		e.mu.Lock()
		if e.inflight == nil {
			e.startLocked()
		}
		e.mu.Unlock()
		select {
		case <-e.stop:
			return
		case <-t.C:
		}
	}
}

// ensure starts a run of an on-demand check whose result is missing or older
// than its CacheTTL, unless one is in flight. It returns a channel to wait on
// for the result, or nil when the current result may be used.
func (e *entry) ensure(now time.Time) <-chan struct{} {
	if e.check.Interval > 0 {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st != StatusUnknown && now.Sub(e.last.Time) < e.check.CacheTTL {
		return nil
	}
	r := e.inflight
	if r == nil {
		r = e.startLocked()
	}
	if r.decided {
		// A run that timed out and still has not returned: its timeout is
		// the answer until it does.
		return nil
	}
	return r.answered
}

func (e *entry) startLocked() *run {
	r := &run{answered: make(chan struct{})}
	e.inflight = r
	timeout := e.check.Timeout
	ctx, cancel := context.WithTimeout(e.c.base, timeout)
	start := e.c.cfg.now()
	// The probe is answered when the context ends even if the function does
	// not return.
	stop := context.AfterFunc(ctx, func() {
		err := fmt.Errorf("timed out after %v", timeout)
		if context.Cause(ctx) == context.Canceled {
			err = ErrClosed
		}
		e.decide(r, err, start, false)
	})
	go func() {
		defer cancel()
		err := e.call(ctx)
		stop()
		if err == nil && ctx.Err() != nil {
			err = fmt.Errorf("returned after its %v timeout", timeout)
		}
		e.decide(r, err, start, true)
	}()
	return r
}

// call runs the check function, turning a panic into an error.
func (e *entry) call(ctx context.Context) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &PanicError{Check: e.check.Name, Value: p, Stack: debug.Stack()}
		}
	}()
	return e.check.Func(ctx)
}

// decide records the outcome of r unless it is already decided. returned
// says the function itself has returned, which frees the check for the next
// run.
func (e *entry) decide(r *run, err error, start time.Time, returned bool) {
	now := e.c.cfg.now()
	e.mu.Lock()
	if returned && e.inflight == r {
		e.inflight = nil
	}
	if r.decided {
		e.mu.Unlock()
		return
	}
	r.decided = true
	prev := e.st
	e.recordLocked(err, now, now.Sub(start))
	st, removed := e.st, e.removed
	e.mu.Unlock()

	// Metrics are recorded before waiters are released, so that a probe
	// that returns has been counted.
	e.c.metrics.record(e, st, now.Sub(start))
	close(r.answered)
	if st != prev && !removed {
		<-e.added
		e.c.notify(Change{Kind: StatusChanged, Name: e.check.Name, From: prev, To: st, Err: err, Time: now})
	}
}

// remove marks e unregistered, so that a run still in flight reports no
// change after CheckRemoved, and returns its last status.
func (e *entry) remove() Status {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.removed = true
	return e.st
}

func (e *entry) recordLocked(err error, at time.Time, d time.Duration) {
	e.last.Err, e.last.Time, e.last.Duration = err, at, d
	if err == nil {
		e.successes++
		e.fails = 0
	} else {
		e.fails++
		e.successes = 0
	}
	switch {
	case e.st == StatusUnknown && err == nil:
		e.st = StatusPass
	case e.st == StatusUnknown:
		e.st = StatusFail
	case e.st == StatusPass && e.fails >= e.check.FailureThreshold:
		e.st = StatusFail
	case e.st == StatusFail && e.successes >= e.check.SuccessThreshold:
		e.st = StatusPass
	}
	e.last.Status = e.st
}

func (e *entry) status() Status {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.st
}

func (e *entry) result() Result {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.last
}

// PanicError is the error recorded for a check whose function panicked.
type PanicError struct {
	Check string
	Value any
	Stack []byte
}

func (p *PanicError) Error() string {
	return fmt.Sprintf("check %q panicked: %v", p.Check, p.Value)
}
