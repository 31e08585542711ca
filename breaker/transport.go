package breaker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// DefaultMaxHosts bounds the breakers a Transport keeps.
const DefaultMaxHosts = 1024

// DefaultAttemptTimeout is how long an attempt waits for a response's
// headers when Transport.AttemptTimeout is zero.
const DefaultAttemptTimeout = 10 * time.Second

// Transport is an http.RoundTripper with one breaker per host. Responses
// of 500 and above and 429 count as failures, other 4xx as successes (the
// server answered), unless Classify says otherwise. An open breaker
// answers at once with an error matching ErrOpen and sends nothing.
//
// A host that answered 429 or 503 with a Retry-After has its breaker
// opened until then, for at most MaxRetryAfter (by default the breaker's
// own open period), so that a header of years cannot lock a host out. The
// breaker is open like any other: Breaker.State, Registry.Open,
// Registry.Check, the state metric, OnStateChange and a Link all see it,
// and when the time is up it probes through half-open as usual.
//
// Each attempt is held to AttemptTimeout, a half-open probe to the
// shorter of AttemptTimeout and Config.ProbeTimeout, from sending the
// request to receiving the response headers. That deadline is the
// dependency's: running out of it is a failure of the host, and the
// attempt returns a [*TimeoutError]. The caller's deadline (a request
// context's or http.Client.Timeout) is the caller's: an attempt cut off by
// it counts neither way. So set AttemptTimeout below the client's timeout,
// or a hung host never counts against its breaker.
//
// The attempt's context lives until the response body is read to its end
// or closed, so that a streamed body is not cut off while it is read.
//
// It keeps at most MaxHosts breakers; when a new host would exceed that,
// closed breakers idle for longest are evicted first, and an open one only
// if every breaker is open. Set its fields before first use; they are
// validated on the first request, which returns a bad field's error (as
// every later one does) without sending anything, or at start by
// Validate. A positive duration under MinDuration (1ms) is refused.
type Transport struct {
	// Base sends the requests. Nil means http.DefaultTransport.
	Base http.RoundTripper
	// Config is the template of each host's breaker; its Name is replaced
	// by the host. Its Classify must be nil: set Classify below.
	Config Config
	// AttemptTimeout bounds each attempt, from sending the request to
	// receiving the response headers. Zero means DefaultAttemptTimeout;
	// negative turns it off, leaving a hung host to the caller's deadline,
	// which does not count.
	AttemptTimeout time.Duration
	// Classify decides how an attempt counts from its response, or its
	// error when resp is nil. It must not read the body. Nil means
	// DefaultHTTPClassify. An attempt cut off by the caller is ignored,
	// and one cut off by its own timeout is a failure, before Classify is
	// asked.
	Classify func(resp *http.Response, err error) Outcome
	// MaxHosts bounds the number of breakers. Zero means DefaultMaxHosts.
	// It cannot be off.
	MaxHosts int
	// Limiter, when set, paces every request: RoundTrip waits for it,
	// up to the request's context.
	Limiter *rate.Limiter
	// Registry, when set, holds every host's breaker while it is kept.
	Registry *Registry
	// MaxRetryAfter bounds how long a Retry-After holds a host's breaker
	// open. Zero means the breaker's own open period, Config.OpenTimeout
	// lengthened by its jitter; negative turns the hold off, leaving
	// Retry-After to Retry.
	MaxRetryAfter time.Duration

	mu         sync.Mutex // guards hosts, err, attempt, max and retryAfter
	hosts      map[string]*host
	err        error
	attempt    time.Duration // AttemptTimeout resolved; negative for off
	max        int
	retryAfter time.Duration // MaxRetryAfter as set: 0 for the breaker's period
}

type host struct {
	b        *Breaker[*http.Response]
	lastUsed atomic.Int64 // unix nanoseconds
}

// DefaultHTTPClassify counts a transport error, a response of 500 and
// above and 429 Too Many Requests as failures, and any other response as a
// success: a 4xx is the server answering.
func DefaultHTTPClassify(resp *http.Response, err error) Outcome {
	if err != nil || resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		return Failure
	}
	return Success
}

// TimeoutError is the error of an attempt that ran out of the Transport's
// AttemptTimeout or, as a half-open probe, of Config.ProbeTimeout. It
// counts as a failure of the host. It matches context.DeadlineExceeded,
// and its Timeout method reports true, as net.Error's does.
type TimeoutError struct {
	// Name is the breaker's name: the host.
	Name string
	// After is the deadline the attempt ran out of.
	After time.Duration
	// Probe is true for a half-open probe.
	Probe bool
}

func (e *TimeoutError) Error() string {
	what := "attempt"
	if e.Probe {
		what = "half-open probe"
	}
	return fmt.Sprintf("breaker %q: %s got no response within %v", e.Name, what, e.After)
}

// Timeout reports true.
func (e *TimeoutError) Timeout() bool { return true }

// Unwrap returns context.DeadlineExceeded.
func (e *TimeoutError) Unwrap() error { return context.DeadlineExceeded }

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	h, timeout, maxHold, err := t.host(req.URL.Host)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	h.lastUsed.Store(time.Now().UnixNano())
	if t.Limiter != nil {
		if err := t.Limiter.Wait(req.Context()); err != nil {
			closeBody(req)
			return nil, err
		}
	}
	var resp *http.Response
	var sendErr error
	if err := h.b.admit(func(probe bool) Outcome {
		var o Outcome
		resp, o, sendErr = t.send(req, h.b, timeout, probe)
		return o
	}); err != nil {
		closeBody(req)
		return nil, err
	}
	if sendErr != nil {
		return nil, sendErr
	}
	if maxHold >= 0 && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		now := time.Now()
		if d, ok := RetryAfter(resp, now); ok && d > 0 {
			if maxHold == 0 {
				maxHold = h.b.timeout
			}
			h.b.openUntil(now.Add(min(d, maxHold)), false)
			h.b.deliver()
		}
	}
	return resp, nil
}

// send makes one attempt inside the breaker b and says how it counts.
func (t *Transport) send(req *http.Request, b *Breaker[*http.Response], timeout time.Duration, probe bool) (*http.Response, Outcome, error) {
	ctx := req.Context()
	a := &attempt{}
	if pt := b.cfg.ProbeTimeout; probe && pt > 0 && (timeout < 0 || pt < timeout) {
		timeout = pt
	} else {
		probe = false // held to AttemptTimeout, as any attempt
	}
	actx, cancel := context.WithCancelCause(ctx)
	a.cancel = cancel
	if timeout > 0 {
		a.timeout = TimeoutError{Name: b.cfg.Name, After: timeout, Probe: probe}
		a.timer = time.AfterFunc(timeout, a.expire)
	}
	resp, err := t.base().RoundTrip(req.WithContext(actx))
	if a.timer != nil && !a.timer.Stop() {
		a.expire() // the timer's own call may not have run yet
	}
	if context.Cause(actx) == error(&a.timeout) {
		// The deadline passed, at whatever stage: the attempt failed,
		// and a response it may have is cut off.
		if resp != nil {
			resp.Body.Close()
		}
		return nil, Failure, &a.timeout
	}
	if err != nil {
		cancel(nil)
		if ctx.Err() != nil {
			return nil, Ignore, err // the caller gave up
		}
		return nil, t.classify(nil, err), err
	}
	o := t.classify(resp, nil)
	if resp.Body == nil || resp.Body == http.NoBody {
		cancel(nil)
		return resp, o, nil
	}
	a.body = resp.Body
	if w, ok := resp.Body.(io.Writer); ok { // a 101 Switching Protocols
		resp.Body = &attemptRW{a, w}
	} else {
		resp.Body = a
	}
	return resp, o, nil
}

func (t *Transport) classify(resp *http.Response, err error) Outcome {
	if t.Classify != nil {
		return t.Classify(resp, err)
	}
	return DefaultHTTPClassify(resp, err)
}

// attempt owns the context of one attempt and, once the attempt returns a
// response with a body, is that body, releasing the context when the body
// is read to its end or closed.
type attempt struct {
	cancel  context.CancelCauseFunc
	timer   *time.Timer
	timeout TimeoutError // the context's cause when timer fires
	body    io.ReadCloser
}

func (a *attempt) expire() { a.cancel(&a.timeout) }

func (a *attempt) Read(p []byte) (int, error) {
	n, err := a.body.Read(p)
	if err == io.EOF {
		a.cancel(nil)
	}
	return n, err
}

func (a *attempt) Close() error {
	err := a.body.Close()
	a.cancel(nil)
	return err
}

// attemptRW is the body of a response that switched protocols, which is
// also written to.
type attemptRW struct {
	*attempt
	w io.Writer
}

func (a *attemptRW) Write(p []byte) (int, error) { return a.w.Write(p) }

func (t *Transport) base() http.RoundTripper {
	if t.Base == nil {
		return http.DefaultTransport
	}
	return t.Base
}

// CloseIdleConnections closes the idle connections of Base, if it has
// such a method, so that http.Client.CloseIdleConnections reaches it.
func (t *Transport) CloseIdleConnections() { closeIdle(t.base()) }

func closeIdle(rt http.RoundTripper) {
	if c, ok := rt.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// closeBody closes a request's body, as a RoundTripper must even when it
// sends nothing.
func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// host returns the host's breaker, the resolved attempt timeout and
// MaxRetryAfter.
func (t *Transport) host(name string) (*host, time.Duration, time.Duration, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil {
		return nil, 0, 0, t.err
	}
	if h, ok := t.hosts[name]; ok {
		return h, t.attempt, t.retryAfter, nil
	}
	if t.hosts == nil {
		if t.err = t.init(); t.err != nil {
			return nil, 0, 0, t.err
		}
		t.hosts = make(map[string]*host)
	}
	if len(t.hosts) >= t.max {
		t.evictLocked()
	}
	cfg := t.Config
	cfg.Name = name
	b, err := New[*http.Response](cfg)
	if err != nil {
		return nil, 0, 0, err
	}
	h := &host{b: b}
	t.hosts[name] = h
	if t.Registry != nil {
		t.Registry.Add(b)
	}
	return h, t.attempt, t.retryAfter, nil
}

// Validate reports what the first request would refuse in t's fields: an
// error naming the field and its value, nil when they are good. A
// service may call it at start, to fail there rather than at its first
// request; RoundTrip returns the same error, at once, for every request.
func (t *Transport) Validate() error {
	switch {
	case t.Config.Classify != nil:
		return configError{errors.New("breaker: Transport.Config.Classify is not used by Transport; set Transport.Classify")}
	case t.MaxHosts < 0:
		return configError{fmt.Errorf("breaker: Transport.MaxHosts %d is negative; it cannot be off", t.MaxHosts)}
	case 0 < t.AttemptTimeout && t.AttemptTimeout < MinDuration:
		return configError{errors.New("breaker: " + tooShort("Transport.AttemptTimeout", t.AttemptTimeout))}
	case 0 < t.MaxRetryAfter && t.MaxRetryAfter < MinDuration:
		return configError{errors.New("breaker: " + tooShort("Transport.MaxRetryAfter", t.MaxRetryAfter))}
	}
	if _, err := t.Config.resolve("Transport.Config"); err != nil {
		return configError{err}
	}
	return nil
}

// configError is an error of configuration, which no retry mends: Retry
// returns it at once.
type configError struct{ error }

func (e configError) Unwrap() error { return e.error }

// init validates the fields and resolves their defaults.
func (t *Transport) init() error {
	if err := t.Validate(); err != nil {
		return err
	}
	t.max = cmp.Or(t.MaxHosts, DefaultMaxHosts)
	t.attempt = cmp.Or(t.AttemptTimeout, DefaultAttemptTimeout)
	t.retryAfter = t.MaxRetryAfter
	return nil
}

// evictLocked removes the breaker idle for longest, preferring closed ones.
func (t *Transport) evictLocked() {
	var victim string
	var victimClosed bool
	var oldest int64
	for name, h := range t.hosts {
		closed := State(h.b.state.Load()) == Closed // no delivery under t.mu
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
