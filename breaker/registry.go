package breaker

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// Stater is what a Registry needs of a breaker; every *Breaker[T] is one.
type Stater interface {
	Name() string
	State() State
}

// Registry holds a service's breakers so that their state can be reported
// together, and linked to other processes through a [Link]. The zero value
// is ready to use.
type Registry struct {
	mu       sync.Mutex // guards breakers and link
	breakers map[string]Stater
	link     Link
}

// Add registers b under its name, replacing any breaker of that name.
// With a Link set, a *Breaker is linked (another Stater is only listed).
// It returns an error, and registers nothing, when b is nil or a nil
// pointer, as New returns with its error.
func (r *Registry) Add(b Stater) error {
	if b == nil {
		return errors.New("breaker: Registry.Add(nil): no breaker to add")
	}
	if v := reflect.ValueOf(b); v.Kind() == reflect.Pointer && v.IsNil() {
		return fmt.Errorf("breaker: Registry.Add(%T(nil)): no breaker to add", b)
	}
	name := b.Name()
	r.mu.Lock()
	if r.breakers == nil {
		r.breakers = make(map[string]Stater)
	}
	old := r.breakers[name]
	r.breakers[name] = b
	l := r.link
	if l != nil {
		if lb, ok := old.(linked); ok && old != b {
			lb.setLink(nil)
		}
		if lb, ok := b.(linked); ok {
			lb.setLink(l)
		}
	}
	r.mu.Unlock()
	if _, ok := b.(linked); ok && l != nil {
		l.Add(name)
	}
	return nil
}

// Remove unregisters the breaker of that name.
func (r *Registry) Remove(name string) {
	r.mu.Lock()
	old, ok := r.breakers[name]
	delete(r.breakers, name)
	l := r.link
	lb, linkable := old.(linked)
	if ok && linkable && l != nil {
		lb.setLink(nil)
	}
	r.mu.Unlock()
	if ok && linkable && l != nil {
		l.Remove(name)
	}
}

// Lookup returns the breaker registered under name, and whether there is
// one.
func (r *Registry) Lookup(name string) (Stater, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.breakers[name]
	return b, ok
}

// Open returns the names of the breakers that are open, sorted.
func (r *Registry) Open() []string {
	r.mu.Lock()
	list := make([]Stater, 0, len(r.breakers))
	for _, b := range r.breakers {
		list = append(list, b)
	}
	r.mu.Unlock()
	var open []string
	for _, b := range list {
		if b.State() == Open {
			open = append(open, b.Name())
		}
	}
	slices.Sort(open)
	return open
}

// Check fails while any breaker is open. It has the shape of a health
// check's Func, so an open breaker can show as a non-critical readiness
// check without either package importing the other:
//
//	checker.Register(health.Check{Name: "breakers", Func: registry.Check, Severity: health.NonCritical})
func (r *Registry) Check(context.Context) error {
	if open := r.Open(); len(open) > 0 {
		return fmt.Errorf("open circuit breakers: %s", strings.Join(open, ", "))
	}
	return nil
}
