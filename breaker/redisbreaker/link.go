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

// Bounds of Config's durations, which New holds them to. The minimums are
// ten of the link's 10 ms slices, so that a healthy Redis never seems
// unreachable and a lease outlasts the round trip that asks for it. The
// maximums bound how long a hung Redis, or a replica that died holding a
// lease, can keep the fleet's half-open breakers from probing.
const (
	MinTimeout  = 100 * time.Millisecond
	MaxTimeout  = time.Minute
	MinLeaseTTL = 100 * time.Millisecond
	MaxLeaseTTL = time.Minute
)

// poll is how long the link's goroutine waits for a message before it
// sends what the breakers changed meanwhile: the most a change waits to
// leave the process.
const poll = 10 * time.Millisecond

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
	// It may not be longer than the OpenTimeout of a linked breaker: the
	// lease is taken before the probes that fail and reopen the breaker,
	// so a lease no longer than the open time has ended when the next
	// round of probes is due. New refuses a LeaseTTL longer than the
	// OpenTimeout of a breaker the registry holds; a breaker added later
	// with a shorter OpenTimeout is still shared, and the link logs a
	// warning, once, naming it. Keep LeaseTTL above the breakers'
	// ProbeTimeout too, so that a holder finishes its probes: otherwise
	// another replica may take over the lease and probe as well.
	LeaseTTL time.Duration
	// Timeout is how long Redis may go without answering before the
	// registry falls back to local breakers, and how long a half-open
	// breaker waits for its lease before it probes on its own, from
	// MinTimeout (100ms) to MaxTimeout (1m). Commands are also bounded by
	// the client's own dial, read and write timeouts. Zero means 2
	// seconds.
	Timeout time.Duration
	// Logger receives one line when Redis becomes unreachable and one
	// when it is back. Nil means slog.Default().
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
// Redis Cluster they live on one node and scripts may use them together.
func Keys(namespace, name string) (open, lease, channel string) {
	if namespace == "" {
		namespace = DefaultNamespace
	}
	tag := "{" + namespace + "}"
	return tag + ":open", tag + ":probe:" + name, tag + ":changes"
}

// Link shares the state changes of a Registry's breakers with the other
// replicas through Redis. It implements breaker.Link: calls are decided
// by the local breakers, and every exchange with Redis happens on the
// link's own goroutine, which Close stops. Make one with New: the zero
// Link shares nothing, and set on a registry leaves its breakers local.
type Link struct {
	client           redis.UniversalClient
	reg              *breaker.Registry
	cfg              Config
	openKey, channel string
	m                *metrics

	mu      sync.Mutex // guards entries, fleet, dirty and the lease checks below
	entries map[string]*entry
	dirty   bool                 // an entry has something to send
	fleet   map[string]time.Time // open-until of the fleet's breakers, as Redis last said
	// Breakers whose OpenTimeout is shorter than LeaseTTL: refused while
	// New links the registry, logged once after.
	started   bool   // New has returned the link
	refusal   error  // the first such breaker while New links
	warned    bool   // one was logged
	leaseNote string // " (zero means 10s)" when LeaseTTL was zero

	connected atomic.Bool
	busy      atomic.Int64          // unix nanoseconds a round trip began; 0 when none is in flight
	downSince atomic.Int64          // unix nanoseconds; 0 before the first attempt
	lastErr   atomic.Pointer[error] // why Redis was last found unreachable
	malformed bool                  // a malformed message was logged; the goroutine's own
	cancel    context.CancelFunc
	done      chan struct{}
	stopped   chan struct{}
	closeOnce sync.Once
}

// entry is what the link knows of one local breaker.
type entry struct {
	state  breaker.State
	until  time.Time // when open
	forced bool      // the last change came from another replica

	send      op        // a change to publish
	sendUntil time.Time // for send == opOpen

	lease   leaseState
	leaseAt time.Time // asked at, held until or refused until
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
		fleet:     make(map[string]time.Time),
		cancel:    cancel,
		done:      make(chan struct{}),
		stopped:   make(chan struct{}),
		leaseNote: leaseNote,
	}
	l.openKey, _, l.channel = Keys(cfg.Namespace, "")
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
	go l.run(ctx)
	return l, nil
}

// errNotNew is what a Link not made by New answers.
var errNotNew = errors.New("redisbreaker: the Link was not made by New")

// checkLease refuses or logs a breaker whose OpenTimeout is shorter than
// LeaseTTL (see Config.LeaseTTL).
func (l *Link) checkLease(name string) {
	s, ok := l.reg.Lookup(name)
	if !ok {
		return
	}
	c, ok := s.(interface{ Config() breaker.Config })
	if !ok {
		return
	}
	open := c.Config().OpenTimeout
	if open >= l.cfg.LeaseTTL {
		return
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
		l.cfg.Logger.Warn("LeaseTTL is longer than a linked breaker's OpenTimeout: the fleet's next probes may wait for the lease to end; logged once, for the first such breaker",
			"namespace", l.cfg.Namespace, "breaker", name, "lease_ttl", l.cfg.LeaseTTL.String(), "open_timeout", open.String())
	}
}

// Replica returns the name this process goes by in Redis.
func (l *Link) Replica() string { return l.cfg.Replica }

// Close unlinks the registry's breakers, which go on as local breakers,
// unless the registry was given another link meanwhile, and stops the
// link's goroutine; it returns once the goroutine has
// stopped, which a Redis command in flight may delay up to the client's
// timeouts. It is safe to call more than once, and on a Link not made by
// New, zero or nil, which runs nothing.
func (l *Link) Close() error {
	if l == nil || l.stopped == nil {
		return nil // not made by New: nothing runs
	}
	l.closeOnce.Do(func() {
		l.reg.Unlink(l)
		close(l.done)
		l.cancel()
	})
	<-l.stopped
	return nil
}

// Check fails while the breakers are local because Redis is unreachable,
// with the cause, or not yet reached; when the client was closed under
// the link, it says so rather than blame Redis. It has the shape of a
// health check's Func: wire it as a non-critical readiness check, so that
// on-call sees that replicas no longer share what they learn. On a Link
// not made by New it fails.
func (l *Link) Check(context.Context) error {
	if l == nil || l.reg == nil {
		return errNotNew
	}
	if l.shared(time.Now()) {
		return nil
	}
	if l.connected.Load() {
		return fmt.Errorf("redisbreaker: Redis has not answered for %v; circuit breakers are local", l.cfg.Timeout)
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
		return fmt.Errorf("redisbreaker: Redis unreachable since %s (%w); circuit breakers are local", at, *p)
	}
	return errors.New("redisbreaker: Redis not reached yet; circuit breakers are local")
}

// Add implements breaker.Link. A breaker that joins while the fleet has
// it open is opened at once, with no call to Redis.
func (l *Link) Add(name string) {
	if l.entries == nil {
		return // not made by New: the breakers are local
	}
	l.checkLease(name)
	l.mu.Lock()
	l.entries[name] = &entry{} // a new breaker, or one that replaced its namesake
	until := l.fleet[name]
	l.mu.Unlock()
	if until.After(time.Now()) {
		l.reg.ForceOpen(name, until)
	}
}

// Remove implements breaker.Link.
func (l *Link) Remove(name string) {
	l.mu.Lock()
	delete(l.entries, name)
	l.mu.Unlock()
}

// Changed implements breaker.Link: a breaker's own open or close is
// queued for the goroutine to publish. The queue holds one change per
// breaker, the latest, so it is bounded by the number of breakers.
func (l *Link) Changed(c breaker.Change) {
	if l.entries == nil {
		return
	}
	l.mu.Lock()
	e := l.entries[c.Name]
	if e == nil {
		e = &entry{}
		l.entries[c.Name] = e
	}
	e.state, e.until, e.forced = c.To, c.Until, c.Forced
	if c.To != breaker.HalfOpen {
		e.lease = leaseNone
	}
	switch {
	case c.Forced:
		e.send = opNone // what this replica was about to say is out of date
	case c.To == breaker.Open:
		e.send, e.sendUntil = opOpen, c.Until
	case c.To == breaker.Closed:
		e.send = opClose
	}
	l.dirty = l.dirty || e.send != opNone
	l.mu.Unlock()
}

// Probe implements breaker.Link: a half-open breaker probes only while
// this replica holds the fleet's lease for it. Asking for the lease is
// left to the goroutine; meanwhile the call is refused. With Redis
// unreachable, or its answer later than Timeout, the breaker probes on
// its own.
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
	defer l.mu.Unlock()
	e := l.entries[name]
	if e == nil {
		return true
	}
	switch e.lease {
	case leaseHeld:
		if now.Before(e.leaseAt) {
			return true
		}
	case leaseWanted, leaseAsked:
		if now.Sub(e.leaseAt) < l.cfg.Timeout {
			return false
		}
		l.m.unleasedProbe()
		return true
	case leaseRefused:
		if now.Before(e.leaseAt) {
			return false
		}
	}
	e.lease, e.leaseAt = leaseWanted, now
	l.dirty = true
	return false
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
