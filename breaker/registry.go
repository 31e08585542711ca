package breaker

import (
	"context"
	"fmt"
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
// together. The zero value is ready to use.
type Registry struct {
	mu       sync.Mutex // guards breakers
	breakers map[string]Stater
}

// Add registers b under its name, replacing any breaker of that name.
func (r *Registry) Add(b Stater) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.breakers == nil {
		r.breakers = make(map[string]Stater)
	}
	r.breakers[b.Name()] = b
}

// Remove unregisters the breaker of that name.
func (r *Registry) Remove(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.breakers, name)
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
