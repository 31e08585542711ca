package breaker

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Retry is an http.RoundTripper that retries failed requests with
// exponential backoff and full jitter, within a retry budget per host. Put
// it outside a Transport, so that each attempt passes the breaker:
//
//	client := &http.Client{Transport: &breaker.Retry{Base: &breaker.Transport{}}}
//
// It retries only requests that are safe to send again: GET, HEAD, OPTIONS,
// PUT and DELETE, or any request with an Idempotency-Key header; a body is
// replayed through GetBody. It retries transport errors and 429, 502, 503
// and 504 responses, never an error matching ErrOpen nor one after the
// caller's context ended, and waits at least what a Retry-After header
// asks.
//
// The budget keeps retries from multiplying load during an outage, the way
// gRPC's retry throttling and Finagle's RetryBudget do: the retries sent to
// a host in the last BudgetWindow are at most BudgetRatio times the
// requests sent to it in that window, plus MinRetriesPerSecond (a token
// bucket with a burst of max(1, MinRetriesPerSecond)) so that a host with
// little traffic can still be retried. A request counts once however many
// times it is tried. During an outage shorter than the window a host
// therefore gets at most (1 + BudgetRatio) × requests + MinRetriesPerSecond
// × seconds + max(1, MinRetriesPerSecond) attempts.
//
// Zero fields mean their defaults and negative ones turn off what the
// field says, as in Config; a positive duration under MinDuration (1ms)
// is refused. Set the fields before first use; they are validated on the
// first request, which returns a bad field's error (as every later one
// does) without sending anything, or at start by Validate. Retry returns
// a Transport's configuration error at once, without retrying it.
type Retry struct {
	// Base sends each attempt. Nil means http.DefaultTransport.
	Base http.RoundTripper
	// MaxAttempts bounds attempts per request, the first included: 1
	// never retries. Zero means 3; negative means no bound but MaxElapsed.
	MaxAttempts int
	// MaxElapsed bounds the time from the first attempt to the start of
	// the last. Zero means 10 seconds; negative means no bound but
	// MaxAttempts. It and MaxAttempts cannot both be off.
	MaxElapsed time.Duration
	// BaseDelay and MaxDelay bound the backoff: attempt n waits a random
	// time in [0, min(MaxDelay, BaseDelay × 2^n)). Zero means 100ms and
	// 2s. A negative BaseDelay turns backoff off (a retry waits only for
	// Retry-After); a negative MaxDelay lifts the cap. BaseDelay may not be
	// over MaxDelay, its default included.
	BaseDelay, MaxDelay time.Duration
	// BudgetRatio is the share of a host's requests that may be retried,
	// in (0, 1]. Zero means 0.1. It cannot be off.
	BudgetRatio float64
	// BudgetWindow is how far back the budget counts requests and
	// retries, in ten slots. Zero means 10 seconds. It cannot be off.
	BudgetWindow time.Duration
	// MinRetriesPerSecond is the floor of each host's budget. Zero means
	// 1; negative turns the floor off.
	MinRetriesPerSecond float64

	once sync.Once
	err  error
	set  retrySettings // the fields with their defaults, from the first request on

	mu      sync.Mutex // guards budgets
	budgets map[string]*budget
}

// retrySettings are Retry's fields resolved: zeros replaced by their
// defaults, negatives left for off.
type retrySettings struct {
	maxAttempts         int
	maxElapsed          time.Duration
	baseDelay, maxDelay time.Duration
	budgetRatio         float64
	budgetWindow        time.Duration
	minRetriesPerSecond float64
}

// defaultMaxDelay is Retry.MaxDelay when zero.
const defaultMaxDelay = 2 * time.Second

// Validate reports what the first request would refuse in r's fields, or
// in Base's when Base has a Validate method (a *Transport does): an error
// naming the field and its value, nil when they are good. A service may
// call it at start, to fail there rather than at its first request;
// RoundTrip returns the same error, at once, for every request.
func (r *Retry) Validate() error {
	if err := r.validate(); err != nil {
		return err
	}
	if v, ok := r.Base.(interface{ Validate() error }); ok {
		return v.Validate()
	}
	return nil
}

// validate checks r's own fields.
func (r *Retry) validate() error {
	bad := func(format string, args ...any) error { return configError{fmt.Errorf(format, args...)} }
	short := func(field string, d time.Duration) error {
		return configError{errors.New("breaker: " + tooShort(field, d))}
	}
	switch {
	case r.MaxAttempts < 0 && r.MaxElapsed < 0:
		return bad("breaker: Retry.MaxAttempts %d and Retry.MaxElapsed %v are both off: a request could be retried forever", r.MaxAttempts, r.MaxElapsed)
	case math.IsNaN(r.BudgetRatio) || r.BudgetRatio < 0 || r.BudgetRatio > 1:
		return bad("breaker: Retry.BudgetRatio %v out of range (0, 1]", r.BudgetRatio)
	case r.BudgetWindow < 0:
		return bad("breaker: Retry.BudgetWindow %v is negative; it cannot be off", r.BudgetWindow)
	case r.BudgetWindow > 0 && r.BudgetWindow < budgetSlots*MinDuration:
		return bad("breaker: Retry.BudgetWindow %v is too short for %d slots of at least %v", r.BudgetWindow, budgetSlots, MinDuration)
	case math.IsNaN(r.MinRetriesPerSecond) || math.IsInf(r.MinRetriesPerSecond, 1):
		return bad("breaker: Retry.MinRetriesPerSecond %v is not a number of retries per second", r.MinRetriesPerSecond)
	case r.BaseDelay > 0 && r.MaxDelay > 0 && r.BaseDelay > r.MaxDelay:
		return bad("breaker: Retry.BaseDelay %v is over Retry.MaxDelay %v: every wait would be capped below it", r.BaseDelay, r.MaxDelay)
	case r.BaseDelay > defaultMaxDelay && r.MaxDelay == 0:
		return bad("breaker: Retry.BaseDelay %v is over Retry.MaxDelay %v (zero means %v): every wait would be capped below it", r.BaseDelay, defaultMaxDelay, defaultMaxDelay)
	case 0 < r.MaxElapsed && r.MaxElapsed < MinDuration:
		return short("Retry.MaxElapsed", r.MaxElapsed)
	case 0 < r.BaseDelay && r.BaseDelay < MinDuration:
		return short("Retry.BaseDelay", r.BaseDelay)
	case 0 < r.MaxDelay && r.MaxDelay < MinDuration:
		return short("Retry.MaxDelay", r.MaxDelay)
	}
	return nil
}

func (r *Retry) init() {
	if r.err = r.validate(); r.err != nil {
		return
	}
	r.set = retrySettings{
		maxAttempts:         cmp.Or(r.MaxAttempts, 3),
		maxElapsed:          cmp.Or(r.MaxElapsed, 10*time.Second),
		baseDelay:           cmp.Or(r.BaseDelay, 100*time.Millisecond),
		maxDelay:            cmp.Or(r.MaxDelay, defaultMaxDelay),
		budgetRatio:         cmp.Or(r.BudgetRatio, 0.1),
		budgetWindow:        cmp.Or(r.BudgetWindow, 10*time.Second),
		minRetriesPerSecond: cmp.Or(r.MinRetriesPerSecond, 1),
	}
	r.budgets = make(map[string]*budget)
}

// budget returns the host's budget, making room for it among the
// DefaultMaxHosts kept.
func (r *Retry) budget(host string, now time.Time) *budget {
	r.mu.Lock()
	defer r.mu.Unlock()
	if b, ok := r.budgets[host]; ok {
		return b
	}
	if len(r.budgets) >= DefaultMaxHosts {
		// Evict the host idle for longest. A budget started afresh
		// allows fewer retries, never more.
		var victim string
		var oldest int64
		for h, b := range r.budgets {
			if used := b.lastUsed(); victim == "" || used < oldest {
				victim, oldest = h, used
			}
		}
		delete(r.budgets, victim)
	}
	b := newBudget(r.set.budgetWindow, r.set.budgetRatio, r.set.minRetriesPerSecond, now)
	r.budgets[host] = b
	return b
}

func idempotent(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete, "":
		return true
	}
	return req.Header.Get("Idempotency-Key") != ""
}

// RoundTrip implements http.RoundTripper.
func (r *Retry) RoundTrip(req *http.Request) (*http.Response, error) {
	r.once.Do(r.init)
	if r.err != nil {
		closeBody(req)
		return nil, r.err
	}
	base := r.base()
	start := time.Now()
	budget := r.budget(req.URL.Host, start)
	budget.request(start)
	canRetry := idempotent(req) && (req.Body == nil || req.Body == http.NoBody || req.GetBody != nil)
	for attempt := 0; ; attempt++ {
		if attempt > 0 && req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, fmt.Errorf("breaker: replay request body: %w", err)
			}
			req = req.Clone(req.Context())
			req.Body = body
		}
		resp, err := base.RoundTrip(req)
		if !canRetry || (r.set.maxAttempts > 0 && attempt+1 >= r.set.maxAttempts) || !retryable(req, resp, err) {
			return resp, err
		}
		wait := backoff(r.set.baseDelay, r.set.maxDelay, attempt)
		if resp != nil {
			if d, ok := RetryAfter(resp, time.Now()); ok {
				wait = max(wait, d)
			}
		}
		now := time.Now()
		if (r.set.maxElapsed > 0 && now.Sub(start)+wait > r.set.maxElapsed) || !budget.retry(now) {
			return resp, err
		}
		if resp != nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-req.Context().Done():
				t.Stop()
				return nil, req.Context().Err()
			}
		}
	}
}

func (r *Retry) base() http.RoundTripper {
	if r.Base == nil {
		return http.DefaultTransport
	}
	return r.Base
}

// CloseIdleConnections closes the idle connections of Base, if it has
// such a method, so that http.Client.CloseIdleConnections reaches it.
func (r *Retry) CloseIdleConnections() { closeIdle(r.base()) }

func retryable(req *http.Request, resp *http.Response, err error) bool {
	if err != nil {
		// Neither an open breaker, a configuration error, nor a caller who
		// gave up wants another try.
		var ce configError
		return !errors.Is(err, ErrOpen) && !errors.As(err, &ce) && req.Context().Err() == nil
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// backoff is full jitter: a random wait in [0, min(max, base × 2^attempt)).
// A negative base is no backoff and a negative max no cap.
func backoff(base, maxDelay time.Duration, attempt int) time.Duration {
	if base <= 0 {
		return 0
	}
	ceil := time.Duration(math.MaxInt64)
	if attempt < 62 && base <= ceil>>attempt {
		ceil = base << attempt
	}
	if maxDelay > 0 {
		ceil = min(ceil, maxDelay)
	}
	return time.Duration(rand.Int64N(int64(ceil)))
}
