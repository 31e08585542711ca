package breaker

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Retry is an http.RoundTripper that retries failed requests with
// exponential backoff and full jitter, within a retry budget. Put it
// outside a Transport, so that each attempt passes the breaker:
//
//	client := &http.Client{Transport: &breaker.Retry{Base: &breaker.Transport{}}}
//
// It retries only requests that are safe to send again: GET, HEAD, OPTIONS,
// PUT and DELETE, or any request with an Idempotency-Key header; a body is
// replayed through GetBody. It retries transport errors and 429, 502, 503
// and 504 responses, never an error matching ErrOpen, and waits at least
// what a Retry-After header asks.
//
// The budget keeps retries from multiplying load during an outage: each
// request earns BudgetRatio retry tokens, and a retry spends one; with no
// token left a retry may still go at MinRetriesPerSecond (a token bucket
// from x/time/rate). Set the fields before first use.
type Retry struct {
	// Base sends each attempt. Nil means http.DefaultTransport.
	Base http.RoundTripper
	// MaxAttempts bounds attempts per request, the first included. Zero
	// means 3.
	MaxAttempts int
	// MaxElapsed bounds the time from the first attempt to the start of
	// the last. Zero means 10 seconds.
	MaxElapsed time.Duration
	// BaseDelay and MaxDelay bound the backoff: attempt n waits a random
	// time in [0, min(MaxDelay, BaseDelay × 2^n)). Zero means 100ms and 2s.
	BaseDelay, MaxDelay time.Duration
	// BudgetRatio is the share of requests that may be retried. Zero
	// means 0.1.
	BudgetRatio float64
	// MinRetriesPerSecond is the floor of the budget. Zero means 1.
	MinRetriesPerSecond float64

	once   sync.Once
	mu     sync.Mutex // guards tokens
	tokens float64
	floor  *rate.Limiter
	err    error
}

// maxTokens caps the saved budget, so that a long quiet spell does not
// bank an unlimited burst of retries.
const maxTokens = 100

func (r *Retry) init() {
	switch {
	case r.MaxAttempts < 0:
		r.err = fmt.Errorf("breaker: Retry.MaxAttempts %d is negative", r.MaxAttempts)
	case r.MaxElapsed < 0 || r.BaseDelay < 0 || r.MaxDelay < 0:
		r.err = fmt.Errorf("breaker: Retry durations must not be negative (MaxElapsed %v, BaseDelay %v, MaxDelay %v)", r.MaxElapsed, r.BaseDelay, r.MaxDelay)
	case r.BudgetRatio < 0 || r.BudgetRatio > 1:
		r.err = fmt.Errorf("breaker: Retry.BudgetRatio %v out of range [0, 1]", r.BudgetRatio)
	case r.MinRetriesPerSecond < 0:
		r.err = fmt.Errorf("breaker: Retry.MinRetriesPerSecond %v is negative", r.MinRetriesPerSecond)
	}
	if r.MaxAttempts == 0 {
		r.MaxAttempts = 3
	}
	if r.MaxElapsed == 0 {
		r.MaxElapsed = 10 * time.Second
	}
	if r.BaseDelay == 0 {
		r.BaseDelay = 100 * time.Millisecond
	}
	if r.MaxDelay == 0 {
		r.MaxDelay = 2 * time.Second
	}
	if r.BudgetRatio == 0 {
		r.BudgetRatio = 0.1
	}
	if r.MinRetriesPerSecond == 0 {
		r.MinRetriesPerSecond = 1
	}
	r.floor = rate.NewLimiter(rate.Limit(r.MinRetriesPerSecond), max(1, int(r.MinRetriesPerSecond)))
}

// earn credits one request to the budget.
func (r *Retry) earn() {
	r.mu.Lock()
	r.tokens = min(r.tokens+r.BudgetRatio, maxTokens)
	r.mu.Unlock()
}

// spend takes one retry from the budget, or from the floor.
func (r *Retry) spend() bool {
	r.mu.Lock()
	if r.tokens >= 1 {
		r.tokens--
		r.mu.Unlock()
		return true
	}
	r.mu.Unlock()
	return r.floor.Allow()
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
		return nil, r.err
	}
	base := r.Base
	if base == nil {
		base = http.DefaultTransport
	}
	r.earn()
	canRetry := idempotent(req) && (req.Body == nil || req.Body == http.NoBody || req.GetBody != nil)
	start := time.Now()
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
		if !canRetry || attempt+1 >= r.MaxAttempts || !retryable(req, resp, err) {
			return resp, err
		}
		wait := backoff(r.BaseDelay, r.MaxDelay, attempt)
		if resp != nil {
			if d, ok := RetryAfter(resp, time.Now()); ok {
				wait = max(wait, d)
			}
		}
		if time.Since(start)+wait > r.MaxElapsed || !r.spend() {
			return resp, err
		}
		if resp != nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-req.Context().Done():
			t.Stop()
			return nil, req.Context().Err()
		}
	}
}

func retryable(req *http.Request, resp *http.Response, err error) bool {
	if err != nil {
		// Neither an open breaker nor a caller who gave up wants another try.
		return !errors.Is(err, ErrOpen) && req.Context().Err() == nil
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// backoff is full jitter: a random wait in [0, min(max, base × 2^attempt)).
func backoff(base, maxDelay time.Duration, attempt int) time.Duration {
	ceil := maxDelay
	if attempt < 30 {
		ceil = min(maxDelay, base<<attempt)
	}
	if ceil <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(ceil)))
}
