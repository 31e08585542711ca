package breaker_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ybiyri/runkit/breaker"
)

// fakeLink records what a Registry tells it and answers Probe from allow.
type fakeLink struct {
	mu      sync.Mutex
	events  []string
	changes []breaker.Change
	allow   bool
	asked   int
}

func (f *fakeLink) Add(name string) {
	f.mu.Lock()
	f.events = append(f.events, "add "+name)
	f.mu.Unlock()
}
func (f *fakeLink) Remove(name string) {
	f.mu.Lock()
	f.events = append(f.events, "remove "+name)
	f.mu.Unlock()
}
func (f *fakeLink) Changed(c breaker.Change) {
	f.mu.Lock()
	f.changes = append(f.changes, c)
	f.mu.Unlock()
}
func (f *fakeLink) Probe(string) bool { f.mu.Lock(); defer f.mu.Unlock(); f.asked++; return f.allow }

func (f *fakeLink) lastChange(t *testing.T) breaker.Change {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.changes) == 0 {
		t.Fatal("no change reported")
	}
	return f.changes[len(f.changes)-1]
}

func TestRegistryLinksBreakers(t *testing.T) {
	var reg breaker.Registry
	a := mustNew(t, breaker.Config{Name: "a"})
	reg.Add(a)
	l := &fakeLink{}
	reg.SetLink(l)
	b := mustNew(t, breaker.Config{Name: "b"})
	reg.Add(b)
	reg.Remove("a")
	reg.SetLink(nil)
	want := []string{"add a", "add b", "remove a", "remove b"}
	if !slices.Equal(l.events, want) {
		t.Errorf("link saw %q, want %q", l.events, want)
	}
	if reg.ForceOpen("a", time.Now().Add(time.Minute)) {
		t.Error("ForceOpen of a removed breaker reported true")
	}
}

func TestForceOpenAndClose(t *testing.T) {
	var reg breaker.Registry
	l := &fakeLink{allow: true}
	reg.SetLink(l)
	var seen []string
	b := mustNew(t, breaker.Config{Name: "db", ConsecutiveFailures: 1, OpenTimeout: time.Hour,
		OnStateChange: func(_ string, from, to breaker.State) { seen = append(seen, from.String()+">"+to.String()) }})
	reg.Add(b)
	ctx := t.Context()

	until := time.Now().Add(time.Minute)
	if !reg.ForceOpen("db", until) {
		t.Fatal("ForceOpen(db) = false")
	}
	if b.State() != breaker.Open {
		t.Fatalf("state after ForceOpen = %v, want open", b.State())
	}
	_, err := b.Execute(ctx, succeed)
	var oe *breaker.OpenError
	if !errors.As(err, &oe) || !oe.Until.Equal(until) {
		t.Fatalf("call on a forced-open breaker = %v, want an OpenError until %v", err, until)
	}
	if c := l.lastChange(t); !c.Forced || c.To != breaker.Open || !c.Until.Equal(until) {
		t.Errorf("change = %+v, want forced open until %v", c, until)
	}
	// Open until earlier changes nothing; until later extends.
	reg.ForceOpen("db", until.Add(-time.Second))
	if _, err := b.Execute(ctx, succeed); !errors.As(err, &oe) || !oe.Until.Equal(until) {
		t.Errorf("after ForceOpen earlier: %v, want until %v", err, until)
	}
	later := until.Add(time.Minute)
	reg.ForceOpen("db", later)
	if _, err := b.Execute(ctx, succeed); !errors.As(err, &oe) || !oe.Until.Equal(later) {
		t.Errorf("after ForceOpen later: %v, want until %v", err, later)
	}

	reg.ForceClose("db")
	if b.State() != breaker.Closed {
		t.Fatalf("state after ForceClose = %v, want closed", b.State())
	}
	if c := l.lastChange(t); !c.Forced || c.From != breaker.Open || c.To != breaker.Closed {
		t.Errorf("change = %+v, want forced open to closed", c)
	}
	// The breaker still trips by itself, with its own OpenTimeout.
	before := time.Now()
	b.Execute(ctx, fail)
	c := l.lastChange(t)
	if c.Forced || c.To != breaker.Open || c.Until.Before(before.Add(time.Hour)) {
		t.Errorf("own trip = %+v, want unforced open an hour on", c)
	}
	want := []string{"closed>open", "open>closed", "closed>open"}
	if !slices.Equal(seen, want) {
		t.Errorf("OnStateChange saw %q, want %q", seen, want)
	}
}

func TestForcedOpenEndsHalfOpenAndProbeIsAsked(t *testing.T) {
	synctest.Test(t, testForcedOpenEndsHalfOpen)
}

func testForcedOpenEndsHalfOpen(t *testing.T) {
	var reg breaker.Registry
	l := &fakeLink{}
	reg.SetLink(l)
	b := mustNew(t, breaker.Config{Name: "db", ConsecutiveFailures: 1, OpenTimeout: time.Hour, HalfOpenProbes: 2})
	reg.Add(b)
	ctx := t.Context()
	reg.ForceOpen("db", time.Now().Add(30*time.Millisecond))
	time.Sleep(31 * time.Millisecond) // the forced open time, not OpenTimeout, is what passes
	calls := 0
	probe := func(context.Context) (int, error) { calls++; return 1, nil }
	_, err := b.Execute(ctx, probe)
	var oe *breaker.OpenError
	if !errors.As(err, &oe) || !oe.Probing || calls != 0 {
		t.Fatalf("half-open call the link refused = %v (fn ran %d times), want a probing OpenError", err, calls)
	}
	l.mu.Lock()
	l.allow = true
	l.mu.Unlock()
	for range 2 {
		if _, err := b.Execute(ctx, probe); err != nil {
			t.Fatal(err)
		}
	}
	if b.State() != breaker.Closed || calls != 2 {
		t.Fatalf("after 2 allowed probes: state %v, %d calls; want closed after 2", b.State(), calls)
	}
	if l.asked < 3 {
		t.Errorf("Probe asked %d times, want 3", l.asked)
	}
	if c := l.lastChange(t); c.Forced || c.From != breaker.HalfOpen || c.To != breaker.Closed {
		t.Errorf("change = %+v, want an unforced close from half-open", c)
	}
}

// A registry has one link: a second is refused while the first is set,
// and the first goes on hearing of the registry's breakers.
func TestRegistryRefusesSecondLink(t *testing.T) {
	var reg breaker.Registry
	first, second := &fakeLink{}, &fakeLink{}
	if err := reg.SetLink(first); err != nil {
		t.Fatal(err)
	}
	if err := reg.SetLink(first); err != nil {
		t.Errorf("SetLink of the link already set = %v, want nil", err)
	}
	err := reg.SetLink(second)
	if !errors.Is(err, breaker.ErrLinked) {
		t.Fatalf("SetLink of a second link = %v, want ErrLinked", err)
	}
	if reg.Link() != first {
		t.Errorf("Link() = %v after a refused SetLink, want the first link", reg.Link())
	}
	reg.Add(mustNew(t, breaker.Config{Name: "db"}))
	if reg.Unlink(second) {
		t.Error("Unlink of a link that is not the registry's reported true")
	}
	if !reg.Unlink(first) || reg.Link() != nil {
		t.Errorf("Unlink of the registry's link: Link() = %v, want none", reg.Link())
	}
	if err := reg.SetLink(second); err != nil {
		t.Fatalf("SetLink once unlinked = %v", err)
	}
	if want := []string{"add db", "remove db"}; !slices.Equal(first.events, want) {
		t.Errorf("first link saw %q, want %q", first.events, want)
	}
	if want := []string{"add db"}; !slices.Equal(second.events, want) {
		t.Errorf("second link saw %q, want %q", second.events, want)
	}
}

// Add refuses what is not a breaker, the nil that breaker.New returns with
// its error included, rather than panic.
func TestRegistryAddNil(t *testing.T) {
	var reg breaker.Registry
	reg.SetLink(&fakeLink{})
	bad, _ := breaker.New[int](breaker.Config{Jitter: 5})
	for _, s := range []breaker.Stater{nil, bad, (*breaker.Breaker[string])(nil)} {
		if err := reg.Add(s); err == nil || !strings.Contains(err.Error(), "Registry.Add") {
			t.Errorf("Add(%#v) = %v, want an error naming Registry.Add", s, err)
		}
	}
	if err := reg.Check(t.Context()); err != nil || len(reg.Open()) != 0 {
		t.Errorf("after refused Adds: Check %v, Open %v; want nil and none", err, reg.Open())
	}
	if err := reg.Add(mustNew(t, breaker.Config{Name: "ok"})); err != nil {
		t.Errorf("Add(a breaker) = %v", err)
	}
}

// valueLink is a Link of a type that == cannot compare.
type valueLink struct{ _ []string } // the slice makes it uncomparable

func (valueLink) Add(string)             {}
func (valueLink) Remove(string)          {}
func (valueLink) Changed(breaker.Change) {}
func (valueLink) Probe(string) bool      { return true }

func TestRegistryLinkOfUncomparableType(t *testing.T) {
	var reg breaker.Registry
	if err := reg.SetLink(valueLink{}); err != nil {
		t.Fatal(err)
	}
	if err := reg.SetLink(valueLink{}); !errors.Is(err, breaker.ErrLinked) {
		t.Errorf("second SetLink = %v, want ErrLinked", err)
	}
	if reg.Unlink(valueLink{}) {
		t.Error("Unlink of an uncomparable link reported true")
	}
	if err := reg.SetLink(nil); err != nil || reg.Link() != nil {
		t.Errorf("SetLink(nil) = %v, Link() %v; want unlinked", err, reg.Link())
	}
}

// notifyingLink is a fakeLink that is a Notifier: it keeps the deliveries
// it is given until the test runs them.
type notifyingLink struct {
	fakeLink
	deliveries []func()
}

func (n *notifyingLink) Notify(deliver func()) {
	n.mu.Lock()
	n.deliveries = append(n.deliveries, deliver)
	n.mu.Unlock()
}

// Through a Notifier link, a forced change takes effect at once and its
// callbacks wait for the link to deliver them; a change the breaker's own
// calls make, or a Retry-After, is delivered as before. A call of the
// breaker meanwhile delivers the change itself.
func TestNotifierDeliversForcedChanges(t *testing.T) {
	var reg breaker.Registry
	l := &notifyingLink{}
	reg.SetLink(l)
	var seen []string
	b := mustNew(t, breaker.Config{Name: "db", ConsecutiveFailures: 1, OpenTimeout: time.Hour,
		OnStateChange: func(_ string, from, to breaker.State) { seen = append(seen, from.String()+">"+to.String()) }})
	reg.Add(b)
	at := time.Now()
	reg.ForceOpen("db", time.Now().Add(time.Minute))
	if len(seen) != 0 || len(l.changes) != 0 || len(l.deliveries) != 1 {
		t.Fatalf("after ForceOpen: OnStateChange saw %q, the link %d changes and %d deliveries; want nothing run and one delivery", seen, len(l.changes), len(l.deliveries))
	}
	if _, err := b.Execute(t.Context(), succeed); !errors.Is(err, breaker.ErrOpen) {
		t.Fatalf("call after ForceOpen = %v, want ErrOpen", err)
	}
	// The call delivered the change; the link's delivery finds nothing.
	l.deliveries[0]()
	if want := []string{"closed>open"}; !slices.Equal(seen, want) {
		t.Errorf("OnStateChange saw %q, want %q", seen, want)
	}
	if c := l.lastChange(t); !c.Forced || c.At.Before(at) {
		t.Errorf("change = %+v, want forced, at the ForceOpen", c)
	}
	reg.ForceClose("db")
	if len(l.deliveries) != 2 || len(seen) != 1 {
		t.Fatalf("after ForceClose: %d deliveries, OnStateChange saw %q; want a second delivery, not run", len(l.deliveries), seen)
	}
	l.deliveries[1]()
	b.Execute(t.Context(), fail)
	if want := []string{"closed>open", "open>closed", "closed>open"}; !slices.Equal(seen, want) {
		t.Errorf("OnStateChange saw %q, want %q", seen, want)
	}
	if len(l.deliveries) != 2 {
		t.Errorf("the breaker's own trip went through Notify")
	}
}
