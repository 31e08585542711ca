package breaker

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// DefaultMaxHosts bounds the breakers a Transport keeps.
const DefaultMaxHosts = 1024

// Transport is an http.RoundTripper with one breaker per host. Responses
// of 500 and above and 429 count as failures, other 4xx as successes (the
// server answered). A host that answered 429 or 503 with Retry-After gets
// no request until then. An open breaker answers at once with an error
// matching ErrOpen and sends nothing.
//
// It keeps at most MaxHosts breakers; when a new host would exceed that,
// closed breakers idle for longest are evicted first, and an open one only
// if every breaker is open. Set its fields before first use.
type Transport struct {
	// Base sends the requests. Nil means http.DefaultTransport.
	Base http.RoundTripper
	// Config is the template of each host's breaker; its Name is replaced
	// by the host. It is validated on the first request.
	Config Config
	// MaxHosts bounds the number of breakers. Zero means DefaultMaxHosts.
	MaxHosts int
	// Limiter, when set, paces every request: RoundTrip waits for it,
	// up to the request's context.
	Limiter *rate.Limiter
	// Registry, when set, holds every host's breaker while it is kept.
	Registry *Registry

	mu    sync.Mutex // guards hosts
	hosts map[string]*host
	err   error
}

type host struct {
	b        *Breaker[*http.Response]
	lastUsed atomic.Int64 // unix nanoseconds
	notUntil atomic.Int64 // unix nanoseconds of a Retry-After
}

// errStatus marks a response that counts as a failure but is returned.
var errStatus = errors.New("breaker: failing status")

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	h, err := t.host(req.URL.Host)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	h.lastUsed.Store(now.UnixNano())
	if until := h.notUntil.Load(); until > now.UnixNano() {
		return nil, &OpenError{Name: h.b.Name(), Until: time.Unix(0, until)}
	}
	if t.Limiter != nil {
		if err := t.Limiter.Wait(req.Context()); err != nil {
			return nil, err
		}
	}
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	var resp *http.Response
	_, err = h.b.execute(req.Context(), func(context.Context) (*http.Response, error) {
		var err error
		resp, err = base.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			if d, ok := RetryAfter(resp, time.Now()); ok {
				h.notUntil.Store(time.Now().Add(d).UnixNano())
			}
		}
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
			return resp, errStatus
		}
		return resp, nil
	}, errStatus)
	if err == errStatus {
		err = nil
	}
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func (t *Transport) host(name string) (*host, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil {
		return nil, t.err
	}
	if h, ok := t.hosts[name]; ok {
		return h, nil
	}
	if t.hosts == nil {
		if _, err := t.Config.withDefaults(); err != nil {
			t.err = err
			return nil, err
		}
		t.hosts = make(map[string]*host)
	}
	max := t.MaxHosts
	if max <= 0 {
		max = DefaultMaxHosts
	}
	if len(t.hosts) >= max {
		t.evictLocked()
	}
	cfg := t.Config
	cfg.Name = name
	b, err := New[*http.Response](cfg)
	if err != nil {
		return nil, err
	}
	h := &host{b: b}
	t.hosts[name] = h
	if t.Registry != nil {
		t.Registry.Add(b)
	}
	return h, nil
}

// evictLocked removes the breaker idle for longest, preferring closed ones.
func (t *Transport) evictLocked() {
	var victim string
	var victimClosed bool
	var oldest int64
	for name, h := range t.hosts {
		closed := h.b.State() == Closed
		used := h.lastUsed.Load()
		if victim == "" || (closed && !victimClosed) || (closed == victimClosed && used < oldest) {
			victim, victimClosed, oldest = name, closed, used
		}
	}
	delete(t.hosts, victim)
	if t.Registry != nil {
		t.Registry.Remove(victim)
	}
}

// Hosts returns how many breakers the transport keeps.
func (t *Transport) Hosts() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.hosts)
}

// RetryAfter reads a response's Retry-After header, in seconds or as an
// HTTP date, as a delay from now. It reports false when there is none or it
// does not parse.
func RetryAfter(resp *http.Response, now time.Time) (time.Duration, bool) {
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 || secs > 1<<31 {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}
