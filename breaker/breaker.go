package breaker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
)

// State is a breaker's state. Its values are those of the
// runkit.breaker.state metric, recorded from New on: 0 closed, 1
// half-open, 2 open.
type State int

// The states of a breaker.
const (
	// Closed lets every call through and counts its outcome.
	Closed State = iota
	// HalfOpen lets HalfOpenProbes calls through to learn whether the
	// dependency is back.
	HalfOpen
	// Open rejects every call until its open period ends.
	Open
)

// String returns "closed", "half-open" or "open", and "State(n)" for a
// value that is none of them.
func (s State) String() string {
	switch s {
	case Closed:
		return "closed"
	case HalfOpen:
		return "half-open"
	case Open:
		return "open"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// stateOf converts gobreaker's state, which stays out of runkit's API.
func stateOf(s gobreaker.State) State {
	switch s {
	case gobreaker.StateHalfOpen:
		return HalfOpen
	case gobreaker.StateOpen:
		return Open
	}
	return Closed
}

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

// Config configures a Breaker. A zero field means its documented default,
// chosen for a production service; a negative one turns off what the field
// controls where the field says it can be off, and is an error elsewhere.
// A positive duration under MinDuration (1ms) is an error, as is a Window
// whose buckets would be shorter. New and Validate name the field and its
// value.
type Config struct {
	// Name names the breaker in errors, logs and metrics.
	Name string
	// Window is the rolling window over which calls are counted. Zero
	// means one minute; negative means no window: counts run from the
	// last change of state.
	Window time.Duration
	// Buckets is how many buckets the window rolls in. Zero means 10; at
	// most MaxBuckets. It cannot be off.
	Buckets int
	// FailureRatio trips the breaker when the share of failed calls in
	// the window reaches it, once MinCalls calls were counted. It must be
	// at most 1; zero means 0.5; negative turns the ratio off, so that
	// only ConsecutiveFailures trips the breaker.
	FailureRatio float64
	// MinCalls is how many calls the window must hold before the ratio
	// counts, so that one failure out of two calls trips nothing. Zero
	// means 20; negative means no minimum.
	MinCalls int
	// ConsecutiveFailures also trips the breaker after that many failures
	// in a row, whatever the ratio. Zero means 10; negative turns it off.
	// It and FailureRatio cannot both be off.
	ConsecutiveFailures int
	// OpenTimeout is how long the breaker stays open before it probes.
	// Zero means 30 seconds. It cannot be off, and lengthened by Jitter it
	// must fit a time.Duration.
	OpenTimeout time.Duration
	// Jitter lengthens OpenTimeout by a random share in [0, Jitter), drawn
	// once per breaker, so that replicas opened by the same outage do not
	// all probe at the same instant. It must be at most 1; zero means 0.2;
	// negative turns it off.
	Jitter float64
	// HalfOpenProbes is how many calls a half-open breaker lets through;
	// that many successes close it. Zero means 3. It cannot be off.
	HalfOpenProbes int
	// ProbeTimeout is the deadline of a half-open probe, so that a hung
	// probe fails and reopens the breaker rather than keep it half-open;
	// a probe that outlives it counts as a failure whatever it returns.
	// Execute puts it on fn's context: a probe whose function ignores its
	// context holds its slot until the function returns, as the breaker
	// does not abandon a call it cannot stop. Transport applies it to the
	// request. Zero means 5 seconds; negative turns it off.
	ProbeTimeout time.Duration
	// Classify decides how a call's error counts. Nil means DefaultClassify.
	// A call that failed because the caller's own context ended is ignored,
	// and a probe past ProbeTimeout is a failure, before Classify is asked.
	// Transport does not use it: see Transport.Classify.
	Classify func(err error) Outcome
	// OnStateChange is called on every change of state, in order, once
	// gobreaker has released its lock: it may call State. The change from
	// open to half-open is seen at the first call or State after the open
	// period; every other change is reported before the call that made it
	// returns, a call that panicked included.
	OnStateChange func(name string, from, to State)
	// OnChange, when set, is called with every change of state as
	// OnStateChange is, in the same order and on the same terms, with
	// the change's Until, whether it was forced, and its Cause: what an
	// event journal or a trigger needs beyond the two states.
	OnChange func(Change)
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

// MinDuration is the shortest positive duration a field of Config,
// Transport or Retry accepts. 500 written for 500ms is 500ns, and a
// breaker whose every attempt times out in 500ns opens at its first
// calls: such a value is refused, by name and value, rather than run.
// Zero still means the field's default, and a negative value turns the
// field off where it can be off.
const MinDuration = time.Millisecond

// tooShort is the error text of a duration d under MinDuration in field.
// Under a microsecond, d was most likely written as a bare number.
func tooShort(field string, d time.Duration) string {
	msg := fmt.Sprintf("%s %v is under the minimum %v", field, d, MinDuration)
	if d < time.Microsecond {
		msg += fmt.Sprintf(": a number without a unit is nanoseconds; for %dms write %d * time.Millisecond", int64(d), int64(d))
	}
	return msg
}

// MaxBuckets bounds Config.Buckets: each bucket is memory in every
// breaker, and work under its lock when a call follows an idle spell.
const MaxBuckets = 1000

// withDefaults validates c and fills its zero fields. Fields that are off
// stay negative.
func (c Config) withDefaults() (Config, error) { return c.resolve("") }

// resolve is withDefaults for the Config at path, "" for New's own and
// "Transport.Config" for a Transport's template, which errors name so that
// the user finds the field they set.
func (c Config) resolve(path string) (Config, error) {
	f := func(field string) string { return field }
	prefix := fmt.Sprintf("breaker %q: ", c.Name)
	if path != "" {
		f = func(field string) string { return path + "." + field }
	}
	if path != "" || c.Name == "" {
		prefix = "breaker: "
	}
	bad := func(format string, args ...any) (Config, error) {
		return c, fmt.Errorf(prefix+format, args...)
	}
	const maxCount = math.MaxUint32 // gobreaker counts in uint32
	switch {
	case c.Buckets < 0:
		return bad("%s %d is negative; it cannot be off", f("Buckets"), c.Buckets)
	case c.Buckets > MaxBuckets:
		return bad("%s %d over %d", f("Buckets"), c.Buckets, MaxBuckets)
	case math.IsNaN(c.FailureRatio) || c.FailureRatio > 1:
		return bad("%s %v out of range (0, 1]", f("FailureRatio"), c.FailureRatio)
	case c.OpenTimeout < 0:
		return bad("%s %v is negative; it cannot be off", f("OpenTimeout"), c.OpenTimeout)
	case math.IsNaN(c.Jitter) || c.Jitter > 1:
		return bad("%s %v out of range [0, 1]", f("Jitter"), c.Jitter)
	case c.HalfOpenProbes < 0:
		return bad("%s %d is negative; it cannot be off", f("HalfOpenProbes"), c.HalfOpenProbes)
	case c.FailureRatio < 0 && c.ConsecutiveFailures < 0:
		return bad("%s %v and %s %d are both off: the breaker would never open", f("FailureRatio"), c.FailureRatio, f("ConsecutiveFailures"), c.ConsecutiveFailures)
	case c.HalfOpenProbes > maxCount:
		return bad("%s %d over %d", f("HalfOpenProbes"), c.HalfOpenProbes, uint32(maxCount))
	case c.MinCalls > maxCount:
		return bad("%s %d over %d", f("MinCalls"), c.MinCalls, uint32(maxCount))
	case c.ConsecutiveFailures > maxCount:
		return bad("%s %d over %d", f("ConsecutiveFailures"), c.ConsecutiveFailures, uint32(maxCount))
	case 0 < c.OpenTimeout && c.OpenTimeout < MinDuration:
		return bad("%s", tooShort(f("OpenTimeout"), c.OpenTimeout))
	case 0 < c.ProbeTimeout && c.ProbeTimeout < MinDuration:
		return bad("%s", tooShort(f("ProbeTimeout"), c.ProbeTimeout))
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
	jitterNote := ""
	if c.Jitter == 0 {
		c.Jitter = DefaultJitter
		jitterNote = " (zero means 0.2)"
	}
	if c.ProbeTimeout == 0 {
		c.ProbeTimeout = DefaultProbeTimeout
	}
	if c.Jitter > 0 && float64(c.OpenTimeout)*(1+c.Jitter) >= math.MaxInt64 {
		return bad("%s %v with %s %v%s overflows a time.Duration", f("OpenTimeout"), c.OpenTimeout, f("Jitter"), c.Jitter, jitterNote)
	}
	if c.Window > 0 && c.Window/time.Duration(c.Buckets) < MinDuration {
		if c.Buckets == 1 {
			return bad("%s", tooShort(f("Window"), c.Window))
		}
		return bad("%s %v is too short for %s %d: a bucket would be under the minimum %v", f("Window"), c.Window, f("Buckets"), c.Buckets, MinDuration)
	}
	return c, nil
}

// Validate reports what New would refuse in c: an error naming the field
// and its value, nil when c is good. A service may call it at start, to
// fail there rather than at the first call.
func (c Config) Validate() error {
	_, err := c.resolve("")
	return err
}

// Breaker is a circuit breaker for calls returning T, built on
// sony/gobreaker v2. Its methods are safe for concurrent use.
type Breaker[T any] struct {
	cfg      Config
	classify func(error) Outcome                                // nil for DefaultClassify
	cb       atomic.Pointer[gobreaker.CircuitBreaker[struct{}]] // swapped by a Link's force (link.go)
	settings gobreaker.Settings
	timeout  time.Duration // OpenTimeout with this breaker's jitter
	state    atomic.Int32  // a State, as of the last change
	openErr  atomic.Pointer[OpenError]
	probing  *OpenError
	m        *metrics
	link     atomic.Pointer[linkHolder]
	forceMu  sync.Mutex // serializes changes not made by calls: forced, Retry-After
	// trip is the Cause of the last ReadyToTrip that said yes, read by
	// the onStateChange that follows under gobreaker's lock. panicked is
	// set by a call that panics, just before gobreaker counts its
	// failure, and taken by that count's ReadyToTrip or, half-open, by
	// onStateChange.
	trip     atomic.Uint32
	panicked atomic.Bool

	// Changes are queued under gobreaker's lock and delivered after it is
	// released, in order, by whichever caller gets deliverMu. queueMu also
	// guards which engine is current: a change is queued only by it.
	pending   atomic.Bool
	queueMu   sync.Mutex // guards queue
	queue     []change
	deliverMu sync.Mutex
}

type change struct {
	from, to State
	at       time.Time
	until    time.Time // when an open breaker next tries
	forced   bool      // made by Registry.ForceOpen or ForceClose
	cause    Cause
}

// Markers telling gobreaker how a call counts.
var (
	errIgnored = errors.New("breaker: ignored")
	errFailed  = errors.New("breaker: classified as failure")
)

// errProbeTimeout is the cause of a probe context's end at ProbeTimeout.
var errProbeTimeout = errors.New("breaker: probe timed out")

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
		timeout:  cfg.OpenTimeout,
		probing:  &OpenError{Name: cfg.Name, Probing: true},
	}
	if cfg.Jitter > 0 {
		b.timeout += time.Duration(rand.Float64() * cfg.Jitter * float64(cfg.OpenTimeout))
	}
	mp := cfg.MeterProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	b.m = newMetrics(mp, cfg.Name)
	// The state is a series from now on, not from the first change, so
	// that dashboards and alerts see every breaker; recorded once here, it
	// costs the call path nothing.
	b.m.state(Closed)
	ratio, minCalls, consecutive := cfg.FailureRatio, uint32(max(cfg.MinCalls, 0)), uint32(max(cfg.ConsecutiveFailures, 0))
	b.settings = gobreaker.Settings{
		Name:        cfg.Name,
		MaxRequests: uint32(cfg.HalfOpenProbes),
		Timeout:     b.timeout,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			// Asked at every failure of a closed breaker: the failure is
			// a panic's only if this call panicked.
			cause := CausePanic
			if !b.panicked.Swap(false) {
				cause = CauseUnknown
			}
			if consecutive > 0 && c.ConsecutiveFailures >= consecutive {
				b.trip.Store(uint32(cmp.Or(cause, CauseConsecutiveFailures)))
				return true
			}
			counted := c.TotalSuccesses + c.TotalFailures
			if ratio > 0 && counted >= minCalls && float64(c.TotalFailures) >= ratio*float64(counted) {
				b.trip.Store(uint32(cmp.Or(cause, CauseFailureRatio)))
				return true
			}
			return false
		},
		IsExcluded: func(err error) bool { return err == errIgnored },
	}
	if cfg.Window > 0 {
		b.settings.Interval, b.settings.BucketPeriod = cfg.Window, cfg.Window/time.Duration(cfg.Buckets)
	}
	b.cb.Store(b.engine(time.Time{}))
	return b, nil
}

// Timeout returns how long this breaker stays open: OpenTimeout lengthened
// by its jitter.
func (b *Breaker[T]) Timeout() time.Duration { return b.timeout }

// Config returns the breaker's Config with its defaults filled in; a
// field that is off stays negative, and a nil Classify means
// DefaultClassify. A Link reads it, as redisbreaker does to hold its
// lease within OpenTimeout.
func (b *Breaker[T]) Config() Config { return b.cfg }

// Name returns the breaker's name.
func (b *Breaker[T]) Name() string { return b.cfg.Name }

// State returns the breaker's state, reporting the change to half-open if
// the open period has just ended: it may run OnStateChange, so call it
// without holding a lock the callback takes. It may be called from
// OnStateChange.
func (b *Breaker[T]) State() State {
	s := stateOf(b.cb.Load().State())
	b.flush()
	return s
}

// onStateChange runs under the lock of engine cb: it only records, and
// only if cb is still the breaker's engine.
func (b *Breaker[T]) onStateChange(cb *gobreaker.CircuitBreaker[struct{}], from, to gobreaker.State) {
	now := time.Now()
	c := change{from: stateOf(from), to: stateOf(to), at: now, until: now.Add(b.timeout)}
	switch {
	case c.to == Open && c.from == HalfOpen:
		c.cause = CauseProbeFailed
		if b.panicked.Swap(false) {
			c.cause = CausePanic
		}
	case c.to == Open:
		c.cause = Cause(b.trip.Load())
	case c.to == HalfOpen:
		c.cause = CauseOpenTimeout
	case c.to == Closed:
		c.cause = CauseProbesSucceeded
	}
	b.queueMu.Lock()
	if b.cb.Load() == cb {
		b.recordLocked(c)
	}
	b.queueMu.Unlock()
}

// recordLocked sets the state and queues the change; b.queueMu is held.
func (b *Breaker[T]) recordLocked(c change) {
	b.state.Store(int32(c.to))
	if c.to == Open {
		b.openErr.Store(&OpenError{Name: b.cfg.Name, Until: c.until})
	} else {
		c.until = time.Time{}
	}
	b.queue = append(b.queue, c)
	b.pending.Store(true)
}

// flush delivers queued changes, if any.
func (b *Breaker[T]) flush() {
	if b.pending.Load() {
		b.deliver()
	}
}

// deliver hands queued changes to the callback, logger and metrics. If
// another goroutine is delivering, it picks these up too.
func (b *Breaker[T]) deliver() {
	for b.pending.Load() && b.deliverMu.TryLock() {
		b.deliverLocked()
	}
}

// deliverLocked delivers what is queued; deliverMu is held, and released
// even if the callback panics.
func (b *Breaker[T]) deliverLocked() {
	defer b.deliverMu.Unlock()
	b.queueMu.Lock()
	q := b.queue
	b.queue = nil
	b.pending.Store(false)
	b.queueMu.Unlock()
	for _, c := range q {
		b.m.state(c.to)
		if b.cfg.Logger != nil {
			b.cfg.Logger.Info("circuit breaker state changed", "breaker", b.cfg.Name, "from", c.from.String(), "to", c.to.String(), "forced", c.forced)
		}
		if b.cfg.OnStateChange != nil {
			b.cfg.OnStateChange(b.cfg.Name, c.from, c.to)
		}
		ch := Change{Name: b.cfg.Name, From: c.from, To: c.to, Until: c.until, Forced: c.forced, Cause: c.cause, At: c.at}
		if b.cfg.OnChange != nil {
			b.cfg.OnChange(ch)
		}
		if h := b.link.Load(); h != nil {
			h.l.Changed(ch)
		}
	}
}

// Execute runs fn if the breaker lets it through. A call rejected by an
// open breaker returns an error matching ErrOpen at once. A call that fails
// because ctx itself ended (the caller gave up) counts neither way; other
// errors are counted as cfg.Classify says. While half-open, fn's context
// carries the ProbeTimeout deadline. A panic in fn counts as a failure and
// is raised again, after the change of state it caused is reported.
func (b *Breaker[T]) Execute(ctx context.Context, fn func(ctx context.Context) (T, error)) (T, error) {
	defer b.flush()
	var res T
	var callErr error
	var gated bool
	_, gbErr := b.cb.Load().Execute(func() (struct{}, error) {
		if State(b.state.Load()) == HalfOpen {
			if !b.mayProbe() {
				gated = true
				return struct{}{}, errIgnored
			}
			if b.cfg.ProbeTimeout > 0 {
				return struct{}{}, b.probe(ctx, fn, &res, &callErr)
			}
		}
		res, callErr = b.call(ctx, fn)
		if callErr == nil && b.classify == nil {
			b.m.call(Success)
			return struct{}{}, nil
		}
		return struct{}{}, b.judge(ctx, callErr)
	})
	if gated {
		gbErr = gobreaker.ErrTooManyRequests
	}
	if gbErr == gobreaker.ErrOpenState || gbErr == gobreaker.ErrTooManyRequests {
		var zero T
		return zero, b.rejected(gbErr)
	}
	return res, callErr
}

// call runs fn, noting a panic for the change of state it may cause:
// gobreaker counts a panicking call as a failure before raising it again.
func (b *Breaker[T]) call(ctx context.Context, fn func(ctx context.Context) (T, error)) (T, error) {
	returned := false
	defer func() {
		if !returned {
			b.panicked.Store(true)
		}
	}()
	res, err := fn(ctx)
	returned = true
	return res, err
}

// admitted is call for admit's function.
func (b *Breaker[T]) admitted(call func(probe bool) Outcome, probe bool) Outcome {
	returned := false
	defer func() {
		if !returned {
			b.panicked.Store(true)
		}
	}()
	o := call(probe)
	returned = true
	return o
}

// probe runs fn as a half-open probe, held to ProbeTimeout.
func (b *Breaker[T]) probe(ctx context.Context, fn func(ctx context.Context) (T, error), res *T, callErr *error) error {
	pctx, cancel := context.WithTimeoutCause(ctx, b.cfg.ProbeTimeout, errProbeTimeout)
	defer cancel()
	*res, *callErr = b.call(pctx, fn)
	if context.Cause(pctx) == errProbeTimeout {
		// Too late, whatever it returned.
		return b.count(Failure)
	}
	return b.judge(ctx, *callErr)
}

// judge classifies a call's error and returns what gobreaker should see.
func (b *Breaker[T]) judge(ctx context.Context, callErr error) error {
	var outcome Outcome
	switch {
	case callErr != nil && ctx.Err() != nil:
		outcome = Ignore
	case b.classify == nil:
		outcome = DefaultClassify(callErr)
	default:
		outcome = b.classify(callErr)
	}
	return b.count(outcome)
}

// count records an outcome and returns what gobreaker should see: nil for
// a success, errIgnored for a call that counts neither way, errFailed for
// a failure.
func (b *Breaker[T]) count(o Outcome) error {
	b.m.call(o)
	switch o {
	case Success:
		return nil
	case Ignore:
		return errIgnored
	}
	return errFailed
}

// rejected returns the error of a call gobreaker rejected with err.
func (b *Breaker[T]) rejected(err error) error {
	b.m.reject()
	if err == gobreaker.ErrTooManyRequests {
		return b.probing
	}
	if e := b.openErr.Load(); e != nil {
		return e
	}
	return &OpenError{Name: b.cfg.Name}
}

// admit runs call if the breaker lets it through, telling it whether it is
// a half-open probe; call returns how it counts. admit returns an error
// matching ErrOpen when the breaker rejects the call, which then does not
// run, and nil otherwise.
func (b *Breaker[T]) admit(call func(probe bool) Outcome) error {
	defer b.flush()
	var gated bool
	_, err := b.cb.Load().Execute(func() (struct{}, error) {
		probe := State(b.state.Load()) == HalfOpen
		if probe && !b.mayProbe() {
			gated = true
			return struct{}{}, errIgnored
		}
		return struct{}{}, b.count(b.admitted(call, probe))
	})
	if gated {
		err = gobreaker.ErrTooManyRequests
	}
	if err == gobreaker.ErrOpenState || err == gobreaker.ErrTooManyRequests {
		return b.rejected(err)
	}
	return nil
}
