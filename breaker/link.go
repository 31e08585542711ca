package breaker

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/sony/gobreaker/v2"
)

// Link connects the breakers of a [Registry] to the breakers of the same
// name in other processes, so that what one replica learns about a
// dependency protects the fleet; package breaker/redisbreaker provides one
// over Redis. Its methods are called on the call path: Add, Remove and
// Changed must not block, and Probe may wait only for a bounded time.
type Link interface {
	// Add is called when a breaker joins the registry (or the link is set
	// while it is there), Remove when it leaves; both outside the
	// registry's lock, so they may call ForceOpen.
	Add(name string)
	Remove(name string)
	// Changed is called with every change of a linked breaker's state, in
	// order, outside the breaker's locks.
	Changed(Change)
	// Probe is asked before a half-open breaker lets a call through as a
	// probe: false rejects the call as if the probes were all in flight,
	// so that the fleet, not each replica, sends HalfOpenProbes probes.
	// It may hold the call while it asks the fleet, so that the call that
	// wins the right to probe is the probe; bounded, as the link documents.
	Probe(name string) bool
}

// Notifier is a Link that runs the callbacks of the changes it forces
// (ForceOpen, ForceClose) on a goroutine of its own, so that a slow
// OnStateChange or Logger cannot hold up the goroutine that forces them.
// The state changes at once either way: only the callbacks wait.
type Notifier interface {
	Link
	// Notify is given, by ForceOpen and ForceClose of a breaker linked
	// through it, a func that runs the change's OnStateChange, Logger,
	// metrics and Changed; without a Notifier they run before ForceOpen
	// returns. Notify must not block; the link calls deliver later, on
	// another goroutine. A call of the breaker meanwhile delivers the
	// change itself, and deliver then finds nothing left to run.
	Notify(deliver func())
}

// Change is a change of a breaker's state, as a [Link] sees it.
type Change struct {
	Name     string
	From, To State
	// Until is when a breaker that moved to Open next lets a call
	// through; zero for the other states.
	Until time.Time
	// Forced is true for a change made by Registry.ForceOpen or
	// ForceClose, false for one the breaker's own calls made.
	Forced bool
	// Cause says what made the change.
	Cause Cause
	// At is when the change happened, which may be before the link hears
	// of it.
	At time.Time
}

// Cause says what made a breaker change state.
type Cause uint8

// The causes of a change of state.
const (
	// CauseUnknown is the zero Cause; no change reports it.
	CauseUnknown Cause = iota
	// CauseFailureRatio: the share of failed calls in the window reached
	// Config.FailureRatio, with at least MinCalls calls counted.
	CauseFailureRatio
	// CauseConsecutiveFailures: Config.ConsecutiveFailures calls failed
	// in a row.
	CauseConsecutiveFailures
	// CausePanic: a call panicked, which counts as a failure, and that
	// failure opened the breaker.
	CausePanic
	// CauseProbeFailed: a half-open probe failed, and the breaker opened
	// again.
	CauseProbeFailed
	// CauseOpenTimeout: the open period ended; the breaker is half-open.
	CauseOpenTimeout
	// CauseProbesSucceeded: HalfOpenProbes probes succeeded; the breaker
	// closed.
	CauseProbesSucceeded
	// CauseRetryAfter: a Transport's host answered 429 or 503 with a
	// Retry-After, which holds its breaker open.
	CauseRetryAfter
	// CauseForced: Registry.ForceOpen or ForceClose, the doing of another
	// replica through a Link (redisbreaker: the fleet through Redis).
	CauseForced
)

// String returns the cause in a few words: "failure ratio",
// "consecutive failures", "panic", "probe failed", "open period ended",
// "probes succeeded", "retry-after", "forced", or "unknown".
func (c Cause) String() string {
	switch c {
	case CauseFailureRatio:
		return "failure ratio"
	case CauseConsecutiveFailures:
		return "consecutive failures"
	case CausePanic:
		return "panic"
	case CauseProbeFailed:
		return "probe failed"
	case CauseOpenTimeout:
		return "open period ended"
	case CauseProbesSucceeded:
		return "probes succeeded"
	case CauseRetryAfter:
		return "retry-after"
	case CauseForced:
		return "forced"
	}
	return "unknown"
}

// ErrLinked is matched (errors.Is) by the error of SetLink on a registry
// that has another link.
var ErrLinked = errors.New("breaker: the registry already has a link")

// SetLink links every breaker the registry holds, and every one added
// later, through l. A registry has one link: SetLink returns an error
// matching ErrLinked, and changes nothing, when another is set, as its
// owner still runs it; unlink that one first. SetLink of the link already
// set does nothing, and SetLink(nil) unlinks whatever link is set. A
// breaker is linked through one registry at a time.
func (r *Registry) SetLink(l Link) error {
	r.mu.Lock()
	old := r.link
	if sameLink(l, old) {
		r.mu.Unlock()
		return nil
	}
	if l != nil && old != nil {
		r.mu.Unlock()
		return fmt.Errorf("%w (%T); unlink it first", ErrLinked, old)
	}
	r.relinkLocked(old, l)
	return nil
}

// Unlink unlinks the registry if l is its link, and reports whether it
// was; a link's Close calls it, so that it never unlinks a successor.
func (r *Registry) Unlink(l Link) bool {
	r.mu.Lock()
	if l == nil || !sameLink(r.link, l) {
		r.mu.Unlock()
		return false
	}
	r.relinkLocked(l, nil)
	return true
}

// sameLink reports whether a and b are the same link, without the panic
// of == on a Link whose type is not comparable.
func sameLink(a, b Link) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	ta := reflect.TypeOf(a)
	return ta == reflect.TypeOf(b) && ta.Comparable() && a == b
}

// Link returns the registry's link, nil when it has none.
func (r *Registry) Link() Link {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.link
}

// relinkLocked replaces the link old by l, r.mu held; it releases r.mu
// before telling the links, which may call back into the registry.
func (r *Registry) relinkLocked(old, l Link) {
	r.link = l
	var names []string
	for name, b := range r.breakers {
		if lb, ok := b.(linked); ok {
			lb.setLink(l)
			names = append(names, name)
		}
	}
	r.mu.Unlock()
	for _, name := range names {
		if old != nil {
			old.Remove(name)
		}
		if l != nil {
			l.Add(name)
		}
	}
}

// ForceOpen moves the breaker of that name to open until the given time,
// unless it is open until later already; a Link calls it when another
// replica's breaker opened. It reports whether the registry holds a
// breaker of that name that can be forced.
func (r *Registry) ForceOpen(name string, until time.Time) bool {
	lb, ok := r.linked(name)
	if ok {
		lb.forceOpen(until)
	}
	return ok
}

// ForceClose closes the breaker of that name if it is open or half-open;
// a Link calls it when another replica's probes closed theirs. It reports
// whether the registry holds a breaker of that name that can be forced.
func (r *Registry) ForceClose(name string) bool {
	lb, ok := r.linked(name)
	if ok {
		lb.forceClose()
	}
	return ok
}

func (r *Registry) linked(name string) (linked, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	lb, ok := r.breakers[name].(linked)
	return lb, ok
}

// linked is what a Registry needs of a breaker to link it.
type linked interface {
	setLink(Link)
	forceOpen(until time.Time)
	forceClose()
}

type linkHolder struct{ l Link }

func (b *Breaker[T]) setLink(l Link) {
	if l == nil {
		b.link.Store(nil)
		return
	}
	b.link.Store(&linkHolder{l})
}

// mayProbe asks the link, if any, whether a half-open call may go.
func (b *Breaker[T]) mayProbe() bool {
	h := b.link.Load()
	return h == nil || h.l.Probe(b.cfg.Name)
}

// engine returns a new gobreaker engine for b, open until the given time
// when it is not zero. Its state changes are recorded only while it is b's
// current engine.
//
// gobreaker has no way to set a breaker's state and expiry but through
// its SharedDataStore: a DistributedCircuitBreaker loads its state from
// the store on State. An in-memory store lets the new engine start open
// until an instant while keeping the breaker's own OpenTimeout for the
// next time it opens by itself.
func (b *Breaker[T]) engine(openUntil time.Time) *gobreaker.CircuitBreaker[struct{}] {
	var cb *gobreaker.CircuitBreaker[struct{}]
	s := b.settings
	s.OnStateChange = func(_ string, from, to gobreaker.State) { b.onStateChange(cb, from, to) }
	if openUntil.IsZero() {
		cb = gobreaker.NewCircuitBreaker[struct{}](s)
		return cb
	}
	store := &memoryStore{}
	d, err := gobreaker.NewDistributedCircuitBreaker[struct{}](store, s)
	if err == nil {
		cb = d.CircuitBreaker
		var st gobreaker.SharedState
		if err = json.Unmarshal(store.data, &st); err == nil {
			st.State, st.Expiry = gobreaker.StateOpen, openUntil
			store.data, err = json.Marshal(st)
		}
		if err == nil {
			_, err = d.State()
		}
	}
	if err != nil {
		// The store in memory cannot fail; were it to, a closed engine is
		// the breaker's own behaviour.
		cb = gobreaker.NewCircuitBreaker[struct{}](s)
	}
	return cb
}

// forceOpen moves b to open until the given time, unless it is open until
// later already: what another replica found.
func (b *Breaker[T]) forceOpen(until time.Time) {
	b.openUntil(until, true)
	b.notify()
}

// openUntil moves b to open until the given time, unless it is open until
// later already; forced says whether the change is another replica's doing
// rather than b's own calls' (a Retry-After). The change is queued, not
// delivered: the caller delivers it once forceMu is released, so that no
// callback runs under it.
func (b *Breaker[T]) openUntil(until time.Time, forced bool) {
	b.forceMu.Lock()
	defer b.forceMu.Unlock()
	if !until.After(time.Now()) {
		return
	}
	if State(b.state.Load()) == Open {
		if e := b.openErr.Load(); e != nil && !e.Until.Before(until) {
			return
		}
	}
	b.swap(b.engine(until), until, forced)
}

// forceClose closes b unless it is closed.
func (b *Breaker[T]) forceClose() {
	b.forceMu.Lock()
	if b.cb.Load().State() != gobreaker.StateClosed {
		b.swap(b.engine(time.Time{}), time.Time{}, true)
	}
	b.forceMu.Unlock()
	b.notify()
}

// notify delivers a forced change through the link when it is a
// Notifier, and here otherwise.
func (b *Breaker[T]) notify() {
	if !b.pending.Load() {
		return
	}
	if h := b.link.Load(); h != nil {
		if n, ok := h.l.(Notifier); ok {
			n.Notify(b.deliver)
			return
		}
	}
	b.deliver()
}

// swap makes cb the engine and queues the change to its state, for the
// caller to deliver. Calls in flight on the old engine finish there and
// count for nothing.
func (b *Breaker[T]) swap(cb *gobreaker.CircuitBreaker[struct{}], until time.Time, forced bool) {
	to := stateOf(cb.State()) // not current yet: a change here is not recorded
	b.queueMu.Lock()
	from := State(b.state.Load())
	b.cb.Store(cb)
	if from != to || to == Open {
		c := change{from: from, to: to, at: time.Now(), until: until, forced: forced, cause: CauseRetryAfter}
		if forced {
			c.cause = CauseForced
		}
		if from == to {
			// Open until later: the error says so, nobody is told of a
			// change that is none.
			b.openErr.Store(&OpenError{Name: b.cfg.Name, Until: until})
		} else {
			b.recordLocked(c)
		}
	}
	b.queueMu.Unlock()
}

// memoryStore is a gobreaker.SharedDataStore of one breaker in memory.
type memoryStore struct{ data []byte }

func (*memoryStore) Lock(string) error                  { return nil }
func (*memoryStore) Unlock(string) error                { return nil }
func (s *memoryStore) GetData(string) ([]byte, error)   { return s.data, nil }
func (s *memoryStore) SetData(_ string, d []byte) error { s.data = d; return nil }
