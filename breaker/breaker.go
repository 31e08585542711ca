package breaker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
)

// State is a breaker's state.
type State = gobreaker.State

// The states of a breaker.
const (
	Closed   = gobreaker.StateClosed
	HalfOpen = gobreaker.StateHalfOpen
	Open     = gobreaker.StateOpen
)

// Outcome is how a call counts toward tripping the breaker.
type Outcome uint8

const (
	// Failure counts against the dependency.
	Failure Outcome = iota
	// Success counts for it.
	Success
	// Ignore counts neither way: the call says nothing about the
	// dependency's health.
	Ignore
)

// ErrOpen is matched (errors.Is) by the error of every call the breaker
// rejects, whether it is open or its half-open probes are all taken.
var ErrOpen = errors.New("breaker: open")

// OpenError is the error of a rejected call.
type OpenError struct {
	// Name is the breaker's name.
	Name string
	// Until is when the breaker next lets a call through, zero when not
	// known (half-open, waiting for its probes).
	Until time.Time
	// Probing is true when the breaker is half-open and its probes are all
	// in flight.
	Probing bool
}

func (e *OpenError) Error() string {
	if e.Probing {
		return fmt.Sprintf("breaker %q is half-open and its probes are in flight", e.Name)
	}
	if e.Until.IsZero() {
		return fmt.Sprintf("breaker %q is open", e.Name)
	}
	return fmt.Sprintf("breaker %q is open; next try at %s", e.Name, e.Until.UTC().Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrOpen) true.
func (e *OpenError) Is(target error) bool { return target == ErrOpen }

// Defaults for the zero fields of Config.
const (
	DefaultWindow              = time.Minute
	DefaultBuckets             = 10
	DefaultFailureRatio        = 0.5
	DefaultMinCalls            = 20
	DefaultConsecutiveFailures = 10
	DefaultOpenTimeout         = 30 * time.Second
	DefaultJitter              = 0.2
	DefaultHalfOpenProbes      = 3
	DefaultProbeTimeout        = 5 * time.Second
)

// Config configures a Breaker. Every zero field has the documented default,
// chosen for a production service.
type Config struct {
	// Name names the breaker in errors, logs and metrics.
	Name string
	// Window is the rolling window over which calls are counted. Zero
	// means one minute.
	Window time.Duration
	// Buckets is how many buckets the window rolls in. Zero means 10.
	Buckets int
	// FailureRatio trips the breaker when the share of failed calls in
	// the window reaches it, once MinCalls calls were counted. It must be
	// in (0, 1]; zero means 0.5.
	FailureRatio float64
	// MinCalls is how many calls the window must hold before the ratio
	// counts, so that one failure out of two calls trips nothing. Zero
	// means 20.
	MinCalls int
	// ConsecutiveFailures also trips the breaker after that many failures
	// in a row, whatever the ratio. Zero means 10.
	ConsecutiveFailures int
	// OpenTimeout is how long the breaker stays open before it probes.
	// Zero means 30 seconds.
	OpenTimeout time.Duration
	// Jitter lengthens OpenTimeout by a random share in [0, Jitter), drawn
	// once per breaker, so that replicas opened by the same outage do not
	// all probe at the same instant. It must be in [0, 1]; zero means 0.2.
	// Use a tiny positive value to turn it off.
	Jitter float64
	// HalfOpenProbes is how many calls a half-open breaker lets through;
	// that many successes close it. Zero means 3.
	HalfOpenProbes int
	// ProbeTimeout is the deadline of a half-open probe's context, so that
	// a hung probe fails and reopens the breaker rather than keep it
	// half-open. A probe whose function ignores its context holds its slot
	// until the function returns: the breaker does not abandon a call it
	// cannot stop. Zero means 5 seconds.
	ProbeTimeout time.Duration
	// Classify decides how a call's error counts. Nil means DefaultClassify.
	// A call that failed because the caller's own context ended is ignored
	// before Classify is asked.
	Classify func(err error) Outcome
	// OnStateChange is called on every change of state, outside the
	// breaker's locks: it may call State.
	OnStateChange func(name string, from, to State)
	// Logger, when set, logs every change of state.
	Logger *slog.Logger
	// MeterProvider receives the breaker's metrics. Nil means the global
	// provider, a no-op until the application installs an SDK.
	MeterProvider metric.MeterProvider
}

// DefaultClassify counts nil as a success and every error as a failure.
func DefaultClassify(err error) Outcome {
	if err == nil {
		return Success
	}
	return Failure
}

func (c Config) withDefaults() (Config, error) {
	switch {
	case c.Window < 0:
		return c, fmt.Errorf("breaker %q: Window %v is negative", c.Name, c.Window)
	case c.Buckets < 0:
		return c, fmt.Errorf("breaker %q: Buckets %d is negative", c.Name, c.Buckets)
	case math.IsNaN(c.FailureRatio) || c.FailureRatio < 0 || c.FailureRatio > 1:
		return c, fmt.Errorf("breaker %q: FailureRatio %v out of range (0, 1]", c.Name, c.FailureRatio)
	case c.MinCalls < 0:
		return c, fmt.Errorf("breaker %q: MinCalls %d is negative", c.Name, c.MinCalls)
	case c.ConsecutiveFailures < 0:
		return c, fmt.Errorf("breaker %q: ConsecutiveFailures %d is negative", c.Name, c.ConsecutiveFailures)
	case c.OpenTimeout < 0:
		return c, fmt.Errorf("breaker %q: OpenTimeout %v is negative", c.Name, c.OpenTimeout)
	case math.IsNaN(c.Jitter) || c.Jitter < 0 || c.Jitter > 1:
		return c, fmt.Errorf("breaker %q: Jitter %v out of range [0, 1]", c.Name, c.Jitter)
	case c.HalfOpenProbes < 0:
		return c, fmt.Errorf("breaker %q: HalfOpenProbes %d is negative", c.Name, c.HalfOpenProbes)
	case c.ProbeTimeout < 0:
		return c, fmt.Errorf("breaker %q: ProbeTimeout %v is negative", c.Name, c.ProbeTimeout)
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Buckets, DefaultBuckets)
	def(&c.MinCalls, DefaultMinCalls)
	def(&c.ConsecutiveFailures, DefaultConsecutiveFailures)
	def(&c.HalfOpenProbes, DefaultHalfOpenProbes)
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	if c.FailureRatio == 0 {
		c.FailureRatio = DefaultFailureRatio
	}
	if c.OpenTimeout == 0 {
		c.OpenTimeout = DefaultOpenTimeout
	}
	if c.Jitter == 0 {
		c.Jitter = DefaultJitter
	}
	if c.ProbeTimeout == 0 {
		c.ProbeTimeout = DefaultProbeTimeout
	}
	if c.Window/time.Duration(c.Buckets) == 0 {
		return c, fmt.Errorf("breaker %q: Window %v is too short for %d buckets", c.Name, c.Window, c.Buckets)
	}
	if c.HalfOpenProbes > math.MaxUint32 || c.MinCalls > math.MaxUint32 || c.ConsecutiveFailures > math.MaxUint32 {
		return c, fmt.Errorf("breaker %q: a count is over %d", c.Name, uint32(math.MaxUint32))
	}
	return c, nil
}

// Breaker is a circuit breaker for calls returning T, built on
// sony/gobreaker v2. Its methods are safe for concurrent use.
type Breaker[T any] struct {
	cfg      Config
	classify func(error) Outcome // nil for DefaultClassify
	cb       *gobreaker.CircuitBreaker[struct{}]
	timeout  time.Duration // OpenTimeout with this breaker's jitter
	state    atomic.Int32
	openErr  atomic.Pointer[OpenError]
	probing  *OpenError
	m        *metrics

	// Changes are queued under gobreaker's lock and delivered after it is
	// released, in order, by whichever caller gets deliverMu.
	pending   atomic.Bool
	queueMu   sync.Mutex
	queue     []change
	deliverMu sync.Mutex
}

type change struct {
	from, to State
	at       time.Time
}

// errIgnored tells gobreaker to count a call as excluded.
var errIgnored = errors.New("breaker: ignored")

// New returns a breaker, or an error naming the field of cfg that is not
// valid.
func New[T any](cfg Config) (*Breaker[T], error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	b := &Breaker[T]{
		cfg:      cfg,
		classify: cfg.Classify,
		timeout:  cfg.OpenTimeout + time.Duration(rand.Float64()*cfg.Jitter*float64(cfg.OpenTimeout)),
		probing:  &OpenError{Name: cfg.Name, Probing: true},
	}
	mp := cfg.MeterProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	b.m = newMetrics(mp, cfg.Name)
	ratio, minCalls, consecutive := cfg.FailureRatio, uint32(cfg.MinCalls), uint32(cfg.ConsecutiveFailures)
	b.cb = gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		Name:         cfg.Name,
		MaxRequests:  uint32(cfg.HalfOpenProbes),
		Interval:     cfg.Window,
		BucketPeriod: cfg.Window / time.Duration(cfg.Buckets),
		Timeout:      b.timeout,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			if c.ConsecutiveFailures >= consecutive {
				return true
			}
			counted := c.TotalSuccesses + c.TotalFailures
			return counted >= minCalls && float64(c.TotalFailures) >= ratio*float64(counted)
		},
		IsExcluded:    func(err error) bool { return err == errIgnored },
		OnStateChange: b.onStateChange,
	})
	return b, nil
}

// Timeout returns how long this breaker stays open: OpenTimeout lengthened
// by its jitter.
func (b *Breaker[T]) Timeout() time.Duration { return b.timeout }

// Name returns the breaker's name.
func (b *Breaker[T]) Name() string { return b.cfg.Name }

// State returns the breaker's state. It may be called from OnStateChange.
func (b *Breaker[T]) State() State { return b.cb.State() }

// onStateChange runs under gobreaker's lock: it only records.
func (b *Breaker[T]) onStateChange(_ string, from, to State) {
	now := time.Now()
	b.state.Store(int32(to))
	if to == Open {
		b.openErr.Store(&OpenError{Name: b.cfg.Name, Until: now.Add(b.timeout)})
	}
	b.queueMu.Lock()
	b.queue = append(b.queue, change{from, to, now})
	b.queueMu.Unlock()
	b.pending.Store(true)
}

// deliver hands queued changes to the callback, logger and metrics. If
// another goroutine is delivering, it picks these up too.
func (b *Breaker[T]) deliver() {
	for b.pending.Load() && b.deliverMu.TryLock() {
		b.queueMu.Lock()
		q := b.queue
		b.queue = nil
		b.pending.Store(false)
		b.queueMu.Unlock()
		for _, c := range q {
			b.m.state(c.to)
			if b.cfg.Logger != nil {
				b.cfg.Logger.Info("circuit breaker state changed", "breaker", b.cfg.Name, "from", c.from.String(), "to", c.to.String())
			}
			if b.cfg.OnStateChange != nil {
				b.cfg.OnStateChange(b.cfg.Name, c.from, c.to)
			}
		}
		b.deliverMu.Unlock()
	}
}

// Execute runs fn if the breaker lets it through. A call rejected by an
// open breaker returns an error matching ErrOpen at once. A call that fails
// because ctx itself ended (the caller gave up) counts neither way; other
// errors are counted as cfg.Classify says. While half-open, fn's context
// carries the ProbeTimeout deadline. A panic in fn counts as a failure and
// is raised again.
func (b *Breaker[T]) Execute(ctx context.Context, fn func(ctx context.Context) (T, error)) (T, error) {
	return b.execute(ctx, fn, nil)
}

// execute is Execute with an optional marker error: a call returning it is
// a failure whose error the caller does not see.
func (b *Breaker[T]) execute(ctx context.Context, fn func(ctx context.Context) (T, error), silent error) (T, error) {
	var res T
	var callErr error
	_, gbErr := b.cb.Execute(func() (struct{}, error) {
		callCtx := ctx
		if State(b.state.Load()) == HalfOpen {
			var cancel context.CancelFunc
			callCtx, cancel = context.WithTimeout(ctx, b.cfg.ProbeTimeout)
			defer cancel()
		}
		res, callErr = fn(callCtx)
		if callErr == nil && b.classify == nil {
			b.m.call(Success)
			return struct{}{}, nil
		}
		return struct{}{}, b.judge(ctx, callErr, silent)
	})
	if b.pending.Load() {
		b.deliver()
	}
	if gbErr == gobreaker.ErrOpenState || gbErr == gobreaker.ErrTooManyRequests {
		b.m.reject()
		var zero T
		if gbErr == gobreaker.ErrTooManyRequests {
			return zero, b.probing
		}
		if e := b.openErr.Load(); e != nil {
			return zero, e
		}
		return zero, &OpenError{Name: b.cfg.Name}
	}
	return res, callErr
}

// judge classifies a call's error and returns what gobreaker should see:
// nil for a success, errIgnored for a call that counts neither way, and a
// non-nil error for a failure.
func (b *Breaker[T]) judge(ctx context.Context, callErr, silent error) error {
	if silent != nil && callErr == silent {
		b.m.call(Failure)
		return silent
	}
	var outcome Outcome
	switch {
	case callErr != nil && ctx.Err() != nil:
		outcome = Ignore
	case b.classify == nil:
		outcome = DefaultClassify(callErr)
	default:
		outcome = b.classify(callErr)
	}
	b.m.call(outcome)
	switch outcome {
	case Success:
		return nil
	case Ignore:
		return errIgnored
	}
	if callErr == nil {
		return errFailed
	}
	return callErr
}

// errFailed stands for a call with no error that Classify counted as a
// failure.
var errFailed = errors.New("breaker: classified as failure")
