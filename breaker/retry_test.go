package breaker_test

import (
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ybiyri/runkit/breaker"
	"github.com/ybiyri/runkit/internal/pipenet"
)

// countingServer serves code after latency on n, counting requests.
func countingServer(t *testing.T, n *pipenet.Net, code *atomic.Int32, latency time.Duration) (url string, hits *atomic.Int32) {
	hits = new(atomic.Int32)
	url = n.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		time.Sleep(latency)
		w.WriteHeader(int(code.Load()))
	}))
	return url, hits
}

// During a 5-second outage, 50 clients looping on requests send no more
// retries to each host than the budget allows: BudgetRatio × the host's
// requests in the window plus MinRetriesPerSecond over the time taken. A
// busy healthy host behind the same client lends its budget to no one.
func TestRetryBudgetPerHostDuringOutage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := pipenet.New(t)
		type host struct {
			loopers  int
			code     atomic.Int32
			url      string
			hits     *atomic.Int32
			requests atomic.Int32
		}
		down1, down2, healthy := &host{loopers: 20}, &host{loopers: 5}, &host{loopers: 25}
		down1.code.Store(503)
		down2.code.Store(503)
		healthy.code.Store(200)
		hosts := []*host{down1, down2, healthy}
		for _, h := range hosts {
			h.url, h.hits = countingServer(t, n, &h.code, 100*time.Millisecond)
		}
		const ratio, floor, window = 0.1, 1.0, 10 * time.Second
		client := &http.Client{Transport: &breaker.Retry{Base: n.Transport, BudgetRatio: ratio, MinRetriesPerSecond: floor}}
		const outage = 5 * time.Second
		start := time.Now()
		var wg sync.WaitGroup
		for _, h := range hosts {
			for range h.loopers {
				wg.Go(func() {
					for time.Since(start) < outage {
						h.requests.Add(1)
						drain(client.Get(h.url))
					}
				})
			}
		}
		wg.Wait()
		elapsed := time.Since(start)
		if elapsed >= window {
			t.Fatalf("the loop took %v, longer than the budget's window %v: the bound below assumes one window", elapsed, window)
		}
		for i, h := range hosts[:2] {
			requests, attempts := int(h.requests.Load()), int(h.hits.Load())
			// The floor is a token bucket of rate floor and burst
			// max(1, floor): full at the start, refilled over elapsed.
			bound := requests + int(ratio*float64(requests)+floor*elapsed.Seconds()) + int(max(1, floor))
			if attempts > bound {
				t.Errorf("down host %d: %d attempts for %d requests in %v, want at most %d", i+1, attempts, requests, elapsed, bound)
			}
			if attempts <= requests {
				t.Errorf("down host %d: %d attempts for %d requests, want some retries", i+1, attempts, requests)
			}
			t.Logf("down host %d: %d requests, %d attempts, bound %d", i+1, requests, attempts, bound)
		}
		if h := healthy; h.hits.Load() != h.requests.Load() {
			t.Errorf("healthy host: %d attempts for %d requests, want no retries", h.hits.Load(), h.requests.Load())
		}
	})
}

// Requests older than the window earn nothing: a busy hour does not bank
// retries for the outage that follows it.
func TestRetryBudgetForgetsOldRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := pipenet.New(t)
		var code atomic.Int32
		code.Store(200)
		url, hits := countingServer(t, n, &code, 0)
		client := &http.Client{Transport: &breaker.Retry{Base: n.Transport, BudgetRatio: 0.1, MinRetriesPerSecond: 1}}
		for range 1000 {
			drain(client.Get(url))
		}
		time.Sleep(time.Minute)
		code.Store(503)
		hits.Store(0)
		start := time.Now()
		const requests = 100
		for range requests {
			drain(client.Get(url))
		}
		bound := requests + int(0.1*requests+time.Since(start).Seconds()) + 1
		if got := int(hits.Load()); got > bound {
			t.Errorf("outage after a busy spell a minute ago: %d attempts for %d requests, want at most %d", got, requests, bound)
		}
	})
}

func TestRetryBudgetValidation(t *testing.T) {
	for _, ratio := range []float64{math.NaN(), -0.1, 1.5, math.Inf(1)} {
		r := &breaker.Retry{Base: answer(200), BudgetRatio: ratio}
		req, _ := http.NewRequest("GET", "http://api.test/", nil)
		_, err := r.RoundTrip(req)
		if err == nil || !strings.Contains(err.Error(), "Retry.BudgetRatio") {
			t.Errorf("BudgetRatio %v: %v, want an error naming Retry.BudgetRatio", ratio, err)
		}
	}
}

// A negative value turns off what a Retry field controls.
func TestRetryOff(t *testing.T) {
	// attempts sends one GET through r to a server always answering code
	// with retryAfter, and reports the attempts and the time they took.
	attempts := func(t *testing.T, r *breaker.Retry, retryAfter string) (int, time.Duration) {
		n := pipenet.New(t)
		var hits atomic.Int32
		url := n.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			hits.Add(1)
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			w.WriteHeader(http.StatusServiceUnavailable)
		}))
		r.Base = n.Transport
		start := time.Now()
		drain((&http.Client{Transport: r}).Get(url))
		return int(hits.Load()), time.Since(start)
	}
	t.Run("BaseDelay", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			if n, d := attempts(t, &breaker.Retry{BaseDelay: -1, MaxAttempts: 5, MinRetriesPerSecond: 100}, ""); n != 5 || d != 0 {
				t.Errorf("backoff off: %d attempts in %v, want 5 at once", n, d)
			}
		})
	})
	t.Run("MaxDelay", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			// Capped at the default 2s, 20 attempts wait under 40s; uncapped,
			// the waits double from 1s and the chance of that is nil.
			n, d := attempts(t, &breaker.Retry{BaseDelay: time.Second, MaxDelay: -1, MaxAttempts: 20, MaxElapsed: -1, MinRetriesPerSecond: 100}, "")
			if n != 20 || d < 40*time.Second {
				t.Errorf("cap off: %d attempts in %v, want 20 over more than 40s", n, d)
			}
		})
	})
	t.Run("MaxElapsed", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			n, d := attempts(t, &breaker.Retry{MaxElapsed: -1, MaxAttempts: 3, MinRetriesPerSecond: 100}, "3600")
			if n != 3 || d < 2*time.Hour {
				t.Errorf("MaxElapsed off under Retry-After 3600: %d attempts in %v, want 3 over two hours", n, d)
			}
		})
	})
	t.Run("MaxAttempts", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			n, d := attempts(t, &breaker.Retry{MaxAttempts: -1, MaxElapsed: 5 * time.Second, BaseDelay: -1, MinRetriesPerSecond: 100}, "1")
			if n != 6 || d != 5*time.Second {
				t.Errorf("MaxAttempts off with Retry-After 1s over 5s: %d attempts in %v, want 6 in 5s", n, d)
			}
		})
	})
	t.Run("MinRetriesPerSecond", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			// One request earns 0.1 retry: with no floor, no retry goes.
			if n, _ := attempts(t, &breaker.Retry{MinRetriesPerSecond: -1, BaseDelay: -1}, ""); n != 1 {
				t.Errorf("no floor: %d attempts for one request, want 1", n)
			}
			if n, _ := attempts(t, &breaker.Retry{BaseDelay: -1}, ""); n != 2 {
				t.Errorf("default floor: %d attempts for one request, want 2 (the floor's one token)", n)
			}
		})
	})
}

func TestRetryValidation(t *testing.T) {
	for _, tt := range []struct {
		r    *breaker.Retry
		want string
	}{
		{&breaker.Retry{MaxAttempts: -1, MaxElapsed: -1}, "Retry.MaxAttempts -1 and Retry.MaxElapsed -1ns are both off"},
		{&breaker.Retry{BudgetWindow: -time.Second}, "Retry.BudgetWindow -1s is negative; it cannot be off"},
		{&breaker.Retry{BudgetWindow: 5}, "Retry.BudgetWindow 5ns is too short"},
		{&breaker.Retry{MinRetriesPerSecond: math.NaN()}, "Retry.MinRetriesPerSecond NaN"},
		{&breaker.Retry{MinRetriesPerSecond: math.Inf(1)}, "Retry.MinRetriesPerSecond +Inf"},
		{&breaker.Retry{BaseDelay: time.Hour, MaxDelay: time.Nanosecond}, "Retry.BaseDelay 1h0m0s is over Retry.MaxDelay 1ns"},
		// A zero MaxDelay is its default, 2s, which would cap every wait below BaseDelay.
		{&breaker.Retry{BaseDelay: 5 * time.Second}, "Retry.BaseDelay 5s is over Retry.MaxDelay 2s (zero means 2s)"},
	} {
		tt.r.Base = answer(200)
		req, _ := http.NewRequest("GET", "http://api.test/", nil)
		if _, err := tt.r.RoundTrip(req); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("RoundTrip = %v, want %q", err, tt.want)
		}
	}
}

// The RoundTripper contract: the request body is closed, even on errors.
func TestRetryClosesBodyOnEarlyReturn(t *testing.T) {
	body := newBody()
	req, _ := http.NewRequest(http.MethodPost, "http://api.test/", body)
	if _, err := (&breaker.Retry{Base: answer(200), BudgetRatio: 2}).RoundTrip(req); err == nil || !body.closed.Load() {
		t.Errorf("invalid config: %v, body closed %v; want an error and the body closed", err, body.closed.Load())
	}
}
