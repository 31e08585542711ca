package redisbreaker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/metric"

	"github.com/ybiyri/runkit/breaker"
)

// Defaults for the zero fields of Config.
const (
	DefaultNamespace = "runkit:breaker"
	DefaultLeaseTTL  = 10 * time.Second
	DefaultTimeout   = 2 * time.Second
)

// Bounds of Config's durations, which New holds them to. The minimums
// keep a healthy Redis from seeming unreachable and a lease from ending
// before the round trip that asks for it. The maximums bound how long a
// hung Redis, or a replica that died holding a lease, can keep the fleet's
// half-open breakers from probing.
const (
	MinTimeout  = 100 * time.Millisecond
	MaxTimeout  = time.Minute
	MinLeaseTTL = 100 * time.Millisecond
	MaxLeaseTTL = time.Minute
)

// Config configures a Link. Every zero field has the documented default.
type Config struct {
	// Namespace names the keys and the channel in Redis (see the package
	// doc). Breakers are shared among the replicas that use the same
	// namespace: give each fleet its own. It may not hold braces, spaces
	// or control characters. Empty means "runkit:breaker".
	Namespace string
	// Replica names this process to the others: it is the value of the
	// probe lease and is in every message. It may not hold spaces or
	// control characters. Empty means 16 random hex digits.
	Replica string
	// LeaseTTL is how long a replica holds the fleet's right to probe a
	// half-open breaker, from MinLeaseTTL (100ms) to MaxLeaseTTL (1m).
	// Zero means 10 seconds.
	//
	// Each breaker's lease is held at most its own OpenTimeout: the lease
	// is taken before the probes that fail and reopen the breaker, so a
	// lease no longer than the open time has ended when the next round of
	// probes is due. New refuses a LeaseTTL longer than the OpenTimeout
	// of a breaker the registry holds; for a breaker added later with a
	// shorter OpenTimeout (a Transport's per-host breakers), the lease is
	// held to that OpenTimeout and the link logs a warning, once, naming
	// it. Keep LeaseTTL above the breakers' ProbeTimeout too, so that a
	// holder finishes its probes: otherwise another replica may take over
	// the lease and probe as well.
	LeaseTTL time.Duration
	// Timeout is how long Redis may go without answering before the
	// registry falls back to local breakers, and how long a half-open
	// breaker's call waits for the lease before it probes on its own,
	// from MinTimeout (100ms) to MaxTimeout (1m). Every round trip the
	// link makes ends at Timeout, answered or not (a command it gave up on
	// may hold a connection until the client's own timeouts end it), and
	// a change that Redis runs after it changes nothing. Zero means 2
	// seconds.
	Timeout time.Duration
	// Logger receives one line when Redis becomes unreachable (or refuses
	// the client's credentials) and one when it is back; a slow Logger
	// cannot hold up the goroutine that talks to Redis. Nil means
	// slog.Default().
	Logger *slog.Logger
	// MeterProvider receives the link's metrics. Nil means the global
	// provider, a no-op until the application installs an SDK.
	MeterProvider metric.MeterProvider
}

func (c Config) withDefaults() (Config, error) {
	bad := func(s string, braces bool) bool {
		return strings.ContainsFunc(s, func(r rune) bool {
			return unicode.IsSpace(r) || unicode.IsControl(r) || (braces && (r == '{' || r == '}'))
		})
	}
	switch {
	case bad(c.Namespace, true):
		return c, fmt.Errorf("redisbreaker: Namespace %q holds a brace, a space or a control character", c.Namespace)
	case bad(c.Replica, false):
		return c, fmt.Errorf("redisbreaker: Replica %q holds a space or a control character", c.Replica)
	case c.LeaseTTL < 0:
		return c, fmt.Errorf("redisbreaker: LeaseTTL %v is negative", c.LeaseTTL)
	case c.LeaseTTL > 0 && c.LeaseTTL < MinLeaseTTL:
		return c, fmt.Errorf("redisbreaker: LeaseTTL %v is under the minimum %v: the lease would end before its holder could probe", c.LeaseTTL, MinLeaseTTL)
	case c.LeaseTTL > MaxLeaseTTL:
		return c, fmt.Errorf("redisbreaker: LeaseTTL %v is over the maximum %v: a replica that died holding the lease would keep the fleet from probing that long", c.LeaseTTL, MaxLeaseTTL)
	case c.Timeout < 0:
		return c, fmt.Errorf("redisbreaker: Timeout %v is negative", c.Timeout)
	case c.Timeout > 0 && c.Timeout < MinTimeout:
		return c, fmt.Errorf("redisbreaker: Timeout %v is under the minimum %v: a healthy Redis would seem unreachable", c.Timeout, MinTimeout)
	case c.Timeout > MaxTimeout:
		return c, fmt.Errorf("redisbreaker: Timeout %v is over the maximum %v: a hung Redis would hold up the breakers' probes that long", c.Timeout, MaxTimeout)
	}
	if c.Namespace == "" {
		c.Namespace = DefaultNamespace
	}
	if c.Replica == "" {
		var b [8]byte
		rand.Read(b[:])
		c.Replica = hex.EncodeToString(b[:])
	}
	if c.LeaseTTL == 0 {
		c.LeaseTTL = DefaultLeaseTTL
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}

// Keys returns the names a namespace uses in Redis: the sorted set of the
// fleet's open breakers, the probe lease of the breaker name, and the
// channel of changes. They share the hash tag {namespace}, so that in a
// Redis Cluster they live on one node and scripts may use them together;
// so do the hashes of versions, {namespace}:version and {namespace}:closed.
func Keys(namespace, name string) (open, lease, channel string) {
	tag := tag(namespace)
	return tag + ":open", tag + ":probe:" + name, tag + ":changes"
}

func tag(namespace string) string {
	if namespace == "" {
		namespace = DefaultNamespace
	}
	return "{" + namespace + "}"
}

// Link shares the state changes of a Registry's breakers with the other
// replicas through Redis. It implements breaker.Link: calls are decided
// by the local breakers, and every exchange with Redis happens on the
// link's own goroutines, which Close stops. Make one with New: the zero
// Link shares nothing, and set on a registry leaves its breakers local.
type Link struct {
	client                                  redis.UniversalClient
	reg                                     *breaker.Registry
	cfg                                     Config
	openKey, versionKey, closedKey, channel string
	m                                       *metrics

	mu      sync.Mutex // guards entries, fleet, dirty and the lease checks below
	entries map[string]*entry
	dirty   bool             // an entry has something to send
	fleet   map[string]fleet // the fleet's breakers, as Redis last said
	// Breakers whose OpenTimeout is shorter than LeaseTTL: refused while
	// New links the registry, logged once after.
	started   bool   // New has returned the link
	refusal   error  // the first such breaker while New links
	warned    bool   // one was logged
	leaseNote string // " (zero means 10s)" when LeaseTTL was zero

	wake      chan struct{} // something to send; one slot, never blocks
	pingNow   chan struct{} // Check asks for a ping; one slot
	connected atomic.Bool
	closed    atomic.Bool
	busy      atomic.Int64          // unix nanoseconds a round trip began; 0 when none is in flight
	heard     atomic.Int64          // unix nanoseconds Redis last answered; 0 before it first did
	downSince atomic.Int64          // unix nanoseconds; 0 before the first attempt
	lastErr   atomic.Pointer[error] // why Redis was last found unreachable

	// The goroutine's own.
	malformed bool      // a malformed message or answer was logged
	clockAt   time.Time // when Redis last said its time
	clockMs   int64     // what it said, in milliseconds

	notes notes // callbacks and log lines, run off the goroutine that talks to Redis

	ctx       context.Context // canceled by Close
	cancel    context.CancelFunc
	done      chan struct{}
	stopped   chan struct{}  // the Redis goroutine has returned
	notified  chan struct{}  // the notes goroutine has returned
	trips     sync.WaitGroup // round trips left behind past their deadline
	closeOnce sync.Once
}

// fleet is the fleet's state of one breaker.
type fleet struct {
	version int64     // Redis milliseconds of the change; only a newer one wins
	until   time.Time // zero when closed
}

// entry is what the link knows of one local breaker.
type entry struct {
	state    breaker.State
	until    time.Time // when open
	forced   bool      // the last change came from another replica
	at       time.Time // when the last change happened
	openedAt time.Time // when it last opened
	leaseTTL time.Duration

	send      op        // a change to publish
	sendUntil time.Time // for send == opOpen
	sendAt    time.Time // when it happened

	lease   leaseState
	leaseAt time.Time // asked at, held until or refused until
	waiter  chan bool // the call waiting for the lease's answer: whether it probes
}

// answer tells the call waiting for the lease, if any, whether it probes.
func (e *entry) answer(probe bool) {
	if e.waiter != nil {
		e.waiter <- probe // one slot, one answer
		e.waiter = nil
	}
}

type op uint8

const (
	opNone op = iota
	opOpen
	opClose
)

type leaseState uint8

const (
	leaseNone    leaseState = iota
	leaseWanted             // asked for, not yet sent
	leaseAsked              // sent, no answer yet
	leaseHeld               // this replica may probe until leaseAt
	leaseRefused            // another replica probes, or the fleet is still open, until leaseAt
)

// New links the breakers of reg, those it holds and those added later
// (a breaker.Transport's per-host breakers among them), to the breakers of
// the same name in the other replicas that use the same Redis and
// namespace. The client is the caller's, so that a cluster or sentinel
// setup works as configured; Close does not close it. New does not wait
// for Redis: until it answers, the breakers are local. A registry has one
// link: on a registry that has one, New returns an error matching
// breaker.ErrLinked; Close the other link first.
func New(client redis.UniversalClient, reg *breaker.Registry, cfg Config) (*Link, error) {
	if client == nil {
		return nil, errors.New("redisbreaker: client is nil")
	}
	if v := reflect.ValueOf(client); v.Kind() == reflect.Pointer && v.IsNil() {
		return nil, fmt.Errorf("redisbreaker: client is a nil %T", client)
	}
	if reg == nil {
		return nil, errors.New("redisbreaker: registry is nil")
	}
	var leaseNote string
	if cfg.LeaseTTL == 0 {
		leaseNote = fmt.Sprintf(" (zero means %v)", DefaultLeaseTTL)
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &Link{
		client:    client,
		reg:       reg,
		cfg:       cfg,
		m:         newMetrics(cfg.MeterProvider, cfg.Namespace),
		entries:   make(map[string]*entry),
		fleet:     make(map[string]fleet),
		wake:      make(chan struct{}, 1),
		pingNow:   make(chan struct{}, 1),
		notes:     notes{wake: make(chan struct{}, 1)},
		ctx:       ctx,
		cancel:    cancel,
		done:      make(chan struct{}),
		stopped:   make(chan struct{}),
		notified:  make(chan struct{}),
		leaseNote: leaseNote,
	}
	l.openKey, _, l.channel = Keys(cfg.Namespace, "")
	l.versionKey = tag(cfg.Namespace) + ":version"
	l.closedKey = tag(cfg.Namespace) + ":closed"
	if err := reg.SetLink(l); err != nil {
		cancel()
		return nil, fmt.Errorf("redisbreaker: %w", err)
	}
	// SetLink added the registry's breakers: a LeaseTTL too long for one
	// of them is known now.
	l.mu.Lock()
	l.started = true
	refusal := l.refusal
	l.mu.Unlock()
	if refusal != nil {
		reg.Unlink(l)
		cancel()
		return nil, refusal
	}
	l.m.connected(false) // a series from the start: local until Redis answers
	go l.run()
	go l.runNotes()
	return l, nil
}

// errNotNew is what a Link not made by New answers.
var errNotNew = errors.New("redisbreaker: the Link was not made by New")

// checkLease returns how long the breaker's lease is held: LeaseTTL, or
// the breaker's OpenTimeout if shorter, which it refuses while New links
// the registry and logs once after (see Config.LeaseTTL).
func (l *Link) checkLease(name string) time.Duration {
	s, ok := l.reg.Lookup(name)
	if !ok {
		return l.cfg.LeaseTTL
	}
	c, ok := s.(interface{ Config() breaker.Config })
	if !ok {
		return l.cfg.LeaseTTL
	}
	open := c.Config().OpenTimeout
	if open >= l.cfg.LeaseTTL || open <= 0 {
		return l.cfg.LeaseTTL
	}
	l.mu.Lock()
	started, warn := l.started, l.started && !l.warned
	if !started && l.refusal == nil {
		l.refusal = fmt.Errorf("redisbreaker: LeaseTTL %v%s is longer than breaker %q's OpenTimeout %v: the lease would outlive the open time and hold up the fleet's next probes; set LeaseTTL to at most %v",
			l.cfg.LeaseTTL, l.leaseNote, name, open, open)
	}
	if warn {
		l.warned = true
	}
	l.mu.Unlock()
	if warn {
		l.cfg.Logger.Warn("LeaseTTL is longer than a linked breaker's OpenTimeout: its probe lease is held to its OpenTimeout; logged once, for the first such breaker",
			"namespace", l.cfg.Namespace, "breaker", name, "lease_ttl", l.cfg.LeaseTTL.String(), "open_timeout", open.String())
	}
	return open
}

// Replica returns the name this process goes by in Redis.
func (l *Link) Replica() string { return l.cfg.Replica }

// Close unlinks the registry's breakers, which go on as local breakers,
// unless the registry was given another link meanwhile, and stops the
// link's goroutines; it returns once they have stopped, which a Redis
// command left behind past its deadline may delay up to the client's own
// timeouts, and a callback of a breaker change that is running, until it
// returns. It is safe to call more than once, and on a Link not made by
// New, zero or nil, which runs nothing.
func (l *Link) Close() error {
	if l == nil || l.stopped == nil {
		return nil // not made by New: nothing runs
	}
	l.closeOnce.Do(func() {
		l.closed.Store(true)
		l.reg.Unlink(l)
		close(l.done)
		l.cancel()
	})
	<-l.stopped
	<-l.notified
	l.trips.Wait()
	return nil
}

// errLinkClosed is Check's error after Close.
var errLinkClosed = errors.New("redisbreaker: the link is closed; circuit breakers are local")

// Check fails while the breakers are local because Redis is unreachable,
// with the cause and since when, or not yet reached; when the client was
// closed under the link, it says so rather than blame Redis, and after
// Close it says the link is closed. It has the shape of a health check's
// Func: wire it as a non-critical readiness check, so that on-call sees
// that replicas no longer share what they learn. On a Link not made by
// New it fails.
func (l *Link) Check(context.Context) error {
	if l == nil || l.reg == nil {
		return errNotNew
	}
	if l.closed.Load() {
		return errLinkClosed
	}
	now := time.Now()
	if l.shared(now) {
		if l.silence(now) >= l.cfg.Timeout {
			// Nothing heard for a while: an idle link has no reason to
			// talk to Redis but this one. The answer, or its absence,
			// shows in the next Check.
			select {
			case l.pingNow <- struct{}{}:
			default:
			}
		}
		return nil
	}
	if l.connected.Load() {
		return fmt.Errorf("redisbreaker: Redis has not answered for %v; circuit breakers are local", l.silence(now))
	}
	if since := l.downSince.Load(); since != 0 {
		at := time.Unix(0, since).UTC().Format(time.RFC3339)
		p := l.lastErr.Load() // stored before downSince
		if p == nil {
			return fmt.Errorf("redisbreaker: Redis unreachable since %s; circuit breakers are local", at)
		}
		if errors.Is(*p, redis.ErrClosed) {
			return errClientClosed
		}
		if heard := l.heard.Load(); heard != 0 {
			return fmt.Errorf("redisbreaker: Redis unreachable since %s, silent for %v (%w); circuit breakers are local", at, l.silence(now), *p)
		}
		return fmt.Errorf("redisbreaker: Redis unreachable since %s (%w); circuit breakers are local", at, *p)
	}
	return errors.New("redisbreaker: Redis not reached yet; circuit breakers are local")
}

// silence is how long Redis has not answered, to the millisecond.
func (l *Link) silence(now time.Time) time.Duration {
	return now.Sub(time.Unix(0, l.heard.Load())).Round(time.Millisecond)
}

// Add implements breaker.Link. A breaker that joins while the fleet has
// it open is opened at once, with no call to Redis.
func (l *Link) Add(name string) {
	if l.entries == nil {
		return // not made by New: the breakers are local
	}
	ttl := l.checkLease(name)
	l.mu.Lock()
	l.entries[name] = &entry{leaseTTL: ttl} // a new breaker, or one that replaced its namesake
	until := l.fleet[name].until
	l.mu.Unlock()
	if until.After(time.Now()) {
		l.reg.ForceOpen(name, until)
	}
}

// Remove implements breaker.Link.
func (l *Link) Remove(name string) {
	l.mu.Lock()
	if e := l.entries[name]; e != nil {
		e.answer(false)
	}
	delete(l.entries, name)
	l.mu.Unlock()
}

// Changed implements breaker.Link: a breaker's own open or close is
// queued for the goroutine to publish. The queue holds one change per
// breaker, the latest, so it is bounded by the number of breakers.
// A change forced by another replica's is not sent back.
func (l *Link) Changed(c breaker.Change) {
	if l.entries == nil {
		return
	}
	if c.At.IsZero() {
		c.At = time.Now()
	}
	l.mu.Lock()
	e := l.entries[c.Name]
	if e == nil {
		e = &entry{leaseTTL: l.cfg.LeaseTTL}
		l.entries[c.Name] = e
	}
	e.state, e.until, e.forced, e.at = c.To, c.Until, c.Forced, c.At
	if c.To == breaker.Open {
		e.openedAt = c.At
	}
	if c.To != breaker.HalfOpen {
		e.lease = leaseNone
		e.answer(false)
	}
	switch {
	case c.Forced:
	case c.To == breaker.Open:
		e.send, e.sendUntil, e.sendAt = opOpen, c.Until, c.At
	case c.To == breaker.Closed:
		e.send, e.sendAt = opClose, c.At
	}
	l.dirty = l.dirty || e.send != opNone
	l.mu.Unlock()
	l.poke()
}

// poke wakes the goroutine to send what is queued.
func (l *Link) poke() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Probe implements breaker.Link: a half-open breaker probes only while
// this replica holds the fleet's lease for it. The call that finds no
// lease asks for it and waits for the answer, a round trip, so that the
// call that wins the lease is the probe; the calls meanwhile are refused.
// With Redis unreachable, or its answer later than Timeout, the breaker
// probes on its own.
func (l *Link) Probe(name string) bool {
	if l.m == nil {
		return true // not made by New: the breaker probes on its own
	}
	now := time.Now()
	if !l.shared(now) {
		l.m.unleasedProbe()
		return true
	}
	l.mu.Lock()
	e := l.entries[name]
	if e == nil {
		l.mu.Unlock()
		return true
	}
	switch e.lease {
	case leaseHeld:
		if now.Before(e.leaseAt) {
			l.mu.Unlock()
			return true
		}
	case leaseWanted, leaseAsked:
		asked := e.leaseAt
		l.mu.Unlock()
		if now.Sub(asked) < l.cfg.Timeout {
			return false
		}
		l.m.unleasedProbe()
		return true
	case leaseRefused:
		if now.Before(e.leaseAt) {
			l.mu.Unlock()
			return false
		}
	}
	e.answer(false)
	answer := make(chan bool, 1)
	e.lease, e.leaseAt, e.waiter = leaseWanted, now, answer
	l.dirty = true
	l.mu.Unlock()
	l.poke()
	t := time.NewTimer(l.cfg.Timeout)
	defer t.Stop()
	select {
	case probe := <-answer:
		return probe
	case <-t.C:
		l.m.unleasedProbe()
		return true
	}
}

// shared reports whether the breakers are shared: Redis answered, and no
// round trip has been waiting on it for longer than Timeout.
func (l *Link) shared(now time.Time) bool {
	if !l.connected.Load() {
		return false
	}
	busy := l.busy.Load()
	return busy == 0 || now.Sub(time.Unix(0, busy)) < l.cfg.Timeout
}

// Notify implements breaker.Notifier: the callbacks of the changes the
// link forces run on the link's notes goroutine, so that a slow
// OnStateChange or Logger holds up neither reads nor pings.
func (l *Link) Notify(deliver func()) { l.notes.add(deliver) }

var _ breaker.Notifier = (*Link)(nil)

// notes runs callbacks and log lines in order on a goroutine of their own.
type notes struct {
	mu    sync.Mutex // guards queue
	queue []func()
	wake  chan struct{} // one slot
}

func (n *notes) add(f func()) {
	n.mu.Lock()
	n.queue = append(n.queue, f)
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// run runs what is queued until the queue is empty.
func (n *notes) run() {
	for {
		n.mu.Lock()
		q := n.queue
		n.queue = nil
		n.mu.Unlock()
		if len(q) == 0 {
			return
		}
		for _, f := range q {
			f()
		}
	}
}

// runNotes is the notes goroutine: it runs until the Redis goroutine has
// stopped, then runs what is left.
func (l *Link) runNotes() {
	defer close(l.notified)
	for {
		select {
		case <-l.notes.wake:
			l.notes.run()
		case <-l.stopped:
			l.notes.run()
			return
		}
	}
}

// log logs on the notes goroutine.
func (l *Link) log(level slog.Level, msg string, args ...any) {
	l.notes.add(func() { l.cfg.Logger.Log(context.Background(), level, msg, args...) })
}
