package health

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
)

// ErrClosed is returned by Register after Close.
var ErrClosed = errors.New("health: checker is closed")

// Checker runs health checks and serves their results. Its methods are safe
// for concurrent use; checks may be registered and unregistered while the
// handler is serving.
//
// The zero Checker is ready to use and is the same as New() with no
// options. A Checker must not be copied after first use.
type Checker struct {
	// once makes the zero Checker usable: every method runs init first.
	once    sync.Once
	cfg     config
	metrics *metrics

	// base is the parent context of every check run; Close cancels it.
	base   context.Context
	cancel context.CancelFunc

	draining atomic.Bool
	// snapshot is the sorted list of entries that readers walk without a
	// lock. Writers replace it under mu.
	snapshot atomic.Pointer[[]*entry]

	mu      sync.Mutex // guards the fields below
	entries map[string]*entry
	subs    map[int]func(Change)
	nextSub int
	closed  bool
}

type config struct {
	version, releaseID, serviceID, description string

	verbose   bool
	authorize func(*http.Request) bool
	listener  func(Change)
	meter     metric.MeterProvider
	now       func() time.Time
}

// Option configures a Checker.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithVersion sets the "version" field of health+json responses.
func WithVersion(v string) Option { return optionFunc(func(c *config) { c.version = v }) }

// WithReleaseID sets the "releaseId" field of health+json responses.
func WithReleaseID(id string) Option { return optionFunc(func(c *config) { c.releaseID = id }) }

// WithServiceID sets the "serviceId" field of health+json responses.
func WithServiceID(id string) Option { return optionFunc(func(c *config) { c.serviceID = id }) }

// WithDescription sets the "description" field of health+json responses.
func WithDescription(d string) Option { return optionFunc(func(c *config) { c.description = d }) }

// WithVerbose lets callers ask for per-check detail with ?verbose. Without it
// ?verbose is ignored and every response carries only the status, since a
// probe endpoint is often reachable by more people than the service's
// operators, and the list of checks maps the service's dependencies.
func WithVerbose(allow bool) Option { return optionFunc(func(c *config) { c.verbose = allow }) }

// WithAuthorizer sets the hook that decides whether a verbose response may
// carry each check's error text ("output"). Error strings name hosts, users,
// paths and queries, so they are shown only when the hook approves the
// request; with no hook they are never shown.
func WithAuthorizer(allow func(r *http.Request) bool) Option {
	return optionFunc(func(c *config) { c.authorize = allow })
}

// WithListener sets a function called on every Change: a check added or
// removed, a status changed, draining begun. It is called outside the
// checker's locks and may call any method of the Checker. It is shorthand
// for calling Subscribe after New.
func WithListener(f func(Change)) Option { return optionFunc(func(c *config) { c.listener = f }) }

// WithMeterProvider sets where check metrics go. Nil or unset means the
// global provider, which records nothing until the application installs an
// SDK.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) { c.meter = mp })
}

// WithClock sets the clock used for result times and cache ages. Nil or
// unset means time.Now. Timeouts and intervals always use real timers, which
// testing/synctest controls.
func WithClock(now func() time.Time) Option { return optionFunc(func(c *config) { c.now = now }) }

// New returns a Checker with no checks. Call Close when done with it to stop
// periodic checks.
func New(opts ...Option) *Checker {
	var cfg config
	for _, o := range opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	c := &Checker{cfg: cfg}
	c.init()
	return c
}

// init completes a Checker made by New or a zero one, once.
func (c *Checker) init() {
	c.once.Do(func() {
		if c.cfg.now == nil {
			c.cfg.now = time.Now
		}
		if c.cfg.meter == nil {
			c.cfg.meter = otel.GetMeterProvider()
		}
		c.metrics = newMetrics(c.cfg.meter)
		c.entries = make(map[string]*entry)
		c.subs = make(map[int]func(Change))
		c.base, c.cancel = context.WithCancel(context.Background())
		c.snapshot.Store(new([]*entry))
		if c.cfg.listener != nil {
			c.subs[c.nextSub] = c.cfg.listener
			c.nextSub++
		}
	})
}

// Register adds a check. It returns an error naming the field when the check
// is not valid or its name is taken, and ErrClosed after Close. A periodic
// check (Interval > 0) starts running at once.
func (c *Checker) Register(check Check) error {
	c.init()
	if err := check.validate(); err != nil {
		return err
	}
	e := newEntry(c, check.withDefaults())
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	if _, ok := c.entries[check.Name]; ok {
		c.mu.Unlock()
		return fmt.Errorf("health: check Name %q is already registered", check.Name)
	}
	c.entries[check.Name] = e
	c.publishLocked()
	e.start()
	c.mu.Unlock()
	// The check's first StatusChanged waits for this (see entry.added).
	defer close(e.added)
	c.notify(Change{Kind: CheckAdded, Name: check.Name, From: StatusUnknown, To: StatusUnknown, Time: c.cfg.now()})
	return nil
}

// Unregister removes the named check and stops it if it is periodic. It
// reports whether the check was registered.
func (c *Checker) Unregister(name string) bool {
	c.init()
	c.mu.Lock()
	e, ok := c.entries[name]
	if ok {
		delete(c.entries, name)
		c.publishLocked()
	}
	c.mu.Unlock()
	if !ok {
		return false
	}
	e.stopLoop()
	last := e.remove()
	c.notify(Change{Kind: CheckRemoved, Name: name, From: last, To: StatusUnknown, Time: c.cfg.now()})
	return true
}

func (c *Checker) publishLocked() {
	list := make([]*entry, 0, len(c.entries))
	for _, e := range c.entries {
		list = append(list, e)
	}
	slices.SortFunc(list, func(a, b *entry) int { return strings.Compare(a.check.Name, b.check.Name) })
	c.snapshot.Store(&list)
}

// Drain makes readiness fail from now on while liveness keeps its status, so
// that Kubernetes stops sending traffic before the server shuts down. It is
// idempotent.
func (c *Checker) Drain() {
	c.init()
	if c.draining.Swap(true) {
		return
	}
	c.notify(Change{Kind: DrainStarted, From: StatusPass, To: StatusFail, Time: c.cfg.now()})
}

// Draining reports whether Drain has been called.
func (c *Checker) Draining() bool { return c.draining.Load() }

// Close stops periodic checks and cancels the context of every running
// check. It waits for the background loops, not for check functions: one
// that ignores its context would otherwise block shutdown. Close is
// idempotent and always returns nil.
func (c *Checker) Close() error {
	c.init()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	list := *c.snapshot.Load()
	c.mu.Unlock()
	c.cancel()
	for _, e := range list {
		e.stopLoop()
	}
	return nil
}

// Subscribe calls f on every Change until the returned function is called;
// the change's Kind says what happened. f runs outside the checker's locks,
// on the goroutine that produced the change, and may call any method of the
// Checker. A check's CheckAdded comes before its first StatusChanged.
// Subscribe(nil) subscribes nothing and returns a cancel that does nothing.
func (c *Checker) Subscribe(f func(Change)) (cancel func()) {
	if f == nil {
		return func() {}
	}
	c.init()
	c.mu.Lock()
	id := c.nextSub
	c.nextSub++
	c.subs[id] = f
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		delete(c.subs, id)
		c.mu.Unlock()
	}
}

func (c *Checker) notify(ch Change) {
	c.mu.Lock()
	fs := make([]func(Change), 0, len(c.subs))
	for _, f := range c.subs {
		fs = append(fs, f)
	}
	c.mu.Unlock()
	for _, f := range fs {
		f(ch)
	}
}

// Names returns the names of the registered checks, sorted.
func (c *Checker) Names() []string {
	c.init()
	list := *c.snapshot.Load()
	names := make([]string, len(list))
	for i, e := range list {
		names[i] = e.check.Name
	}
	return names
}

// Evaluate runs the checks of probe whose results are too old, waits for
// them up to their timeouts or until ctx is done, and reports the probe's
// status. Names in exclude are left out. A probe of Liveness|Readiness|Startup
// takes every check, as /healthz does.
//
// A probe that is zero or names a probe other than these three answers for
// no check: Evaluate then runs nothing and reports StatusFail with Err
// saying so, rather than a pass that nothing proved.
func (c *Checker) Evaluate(ctx context.Context, probe Probe, exclude ...string) Report {
	c.init()
	var r Report
	switch {
	case probe == 0:
		return Report{Status: StatusFail, Err: errors.New("health: Evaluate: probe is zero")}
	case probe&^allProbes != 0:
		return Report{Status: StatusFail, Err: fmt.Errorf("health: Evaluate: probe %v is unknown", probe)}
	}
	r.Status, r.Draining = c.evaluate(ctx, probe, "", exclude, &r.Checks)
	return r
}

// Status reports probe's status from the checks' last results, as
// Evaluate would, but runs no check and waits for nothing: a listener
// (see Subscribe) may call it to learn whether a check's change moved
// readiness. While a check of the probe has no result yet, the status is
// not known and Status reports StatusUnknown, except for Liveness, which
// such a check does not fail; a draining checker's readiness is
// StatusFail all the same. A probe other than Liveness, Readiness,
// Startup or a union of them reports StatusFail.
func (c *Checker) Status(probe Probe) Status {
	c.init()
	if probe == 0 || probe&^allProbes != 0 {
		return StatusFail
	}
	if c.draining.Load() && probe&Readiness != 0 && probe != allProbes {
		return StatusFail
	}
	status := StatusPass
	for _, e := range *c.snapshot.Load() {
		if !c.takes(e, probe, "", nil) {
			continue
		}
		st := e.status()
		if st == StatusUnknown && probe != Liveness {
			return StatusUnknown
		}
		status = max(status, effect(st, e.check.Severity, probe))
	}
	return status
}

// CheckResult runs the named check if its result is too old and returns its
// result. It reports false when no check has that name.
func (c *Checker) CheckResult(ctx context.Context, name string) (Result, bool) {
	c.init()
	e := c.lookup(name)
	if e == nil {
		return Result{}, false
	}
	if ch := e.ensure(c.cfg.now()); ch != nil {
		select {
		case <-ch:
		case <-ctx.Done():
		}
	}
	return e.result(), true
}

func (c *Checker) lookup(name string) *entry {
	for _, e := range *c.snapshot.Load() {
		if e.check.Name == name {
			return e
		}
	}
	return nil
}

// evaluate computes the status of probe over its checks, or of the single
// named check when only is set. It fills *results when results is not nil;
// the terse HTTP path passes nil so that it does not allocate.
func (c *Checker) evaluate(ctx context.Context, probe Probe, only string, exclude []string, results *[]Result) (status Status, draining bool) {
	draining = c.draining.Load()
	if draining && probe&Readiness != 0 && probe != allProbes && results == nil {
		// Nothing a check says can make a draining process ready; do not
		// touch dependencies to find out.
		return StatusFail, true
	}
	list := *c.snapshot.Load()
	now := c.cfg.now()

	// Start every stale run first, then wait, so that a probe takes as long
	// as its slowest check rather than the sum of them.
	var waitBuf [8]<-chan struct{}
	waits := waitBuf[:0]
	for _, e := range list {
		if !c.takes(e, probe, only, exclude) {
			continue
		}
		if ch := e.ensure(now); ch != nil {
			waits = append(waits, ch)
		}
	}
	for _, ch := range waits {
		select {
		case <-ch:
		case <-ctx.Done():
		}
	}

	status = StatusPass
	for _, e := range list {
		if !c.takes(e, probe, only, exclude) {
			continue
		}
		st := e.status()
		if results != nil {
			*results = append(*results, e.result())
		}
		status = max(status, effect(st, e.check.Severity, probe))
	}
	if draining && probe&Readiness != 0 && probe != allProbes {
		status = StatusFail
	}
	return status, draining
}

func (c *Checker) takes(e *entry, probe Probe, only string, exclude []string) bool {
	if e.check.Probes&probe == 0 {
		return false
	}
	if only != "" {
		return e.check.Name == only
	}
	return !slices.Contains(exclude, e.check.Name)
}

// effect is what a check's status does to its probe's status.
func effect(st Status, sev Severity, probe Probe) Status {
	switch st {
	case StatusPass:
		return StatusPass
	case StatusUnknown:
		if probe == Liveness {
			// Restarting a process because a check has not run yet would
			// turn a slow start into a restart loop.
			return StatusPass
		}
	}
	if sev == NonCritical {
		return StatusWarn
	}
	return StatusFail
}
