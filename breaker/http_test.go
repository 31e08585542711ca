package breaker_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/ybiyri/runkit/breaker"
)

func TestTransportPerHostAndOpenWithoutNetwork(t *testing.T) {
	badURL, badHits := answering(t, http.StatusInternalServerError, "")
	goodURL, goodHits := answering(t, http.StatusNotFound, "") // a 4xx is the server answering
	var reg breaker.Registry
	tr := &breaker.Transport{Config: breaker.Config{ConsecutiveFailures: 3}, Registry: &reg}
	client := &http.Client{Transport: tr}
	for range 5 {
		if resp, err := client.Get(goodURL); err == nil {
			resp.Body.Close()
		}
		if resp, err := client.Get(badURL); err == nil {
			if resp.StatusCode != 500 {
				t.Errorf("failing host answered %d through the transport, want its 500", resp.StatusCode)
			}
			resp.Body.Close()
		} else if !errors.Is(err, breaker.ErrOpen) {
			t.Errorf("error = %v, want ErrOpen", err)
		}
	}
	if badHits.Load() != 3 || goodHits.Load() != 5 {
		t.Errorf("hits: failing host %d (want 3, then open), healthy host %d (want 5)", badHits.Load(), goodHits.Load())
	}
	if err := reg.Check(t.Context()); err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(badURL, "http://")) {
		t.Errorf("registry check = %v, want the failing host open", err)
	}
	tr.Base = http.DefaultTransport
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
}

// answer is a RoundTripper that answers every request with code, for tests
// of bookkeeping that needs no network.
type answer int

func (a answer) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: int(a), Body: http.NoBody, Request: r}, nil
}

func TestTransportEvictsIdleClosedBreakers(t *testing.T) {
	tr := &breaker.Transport{Base: answer(200), MaxHosts: 3}
	for i := range 10 {
		req, _ := http.NewRequest("GET", "http://h"+strconv.Itoa(i)+"/", nil)
		if _, err := tr.RoundTrip(req); err != nil {
			t.Fatal(err)
		}
		if n := tr.Hosts(); n > 3 {
			t.Fatalf("after %d hosts the transport keeps %d breakers, want at most 3", i+1, n)
		}
	}
	// An open breaker outlives closed ones.
	open := &breaker.Transport{Base: answer(500), MaxHosts: 2, Config: breaker.Config{ConsecutiveFailures: 1}}
	sick, _ := http.NewRequest("GET", "http://sick/", nil)
	open.RoundTrip(sick)
	open.Base = answer(200)
	for _, h := range []string{"a", "b", "c"} {
		req, _ := http.NewRequest("GET", "http://"+h+"/", nil)
		open.RoundTrip(req)
	}
	if _, err := open.RoundTrip(sick); !errors.Is(err, breaker.ErrOpen) {
		t.Errorf("the open breaker was evicted: %v", err)
	}
}

func TestTransportRespectsRetryAfter(t *testing.T) {
	url, hits := answering(t, http.StatusTooManyRequests, "120")
	client := &http.Client{Transport: &breaker.Transport{MaxRetryAfter: 5 * time.Minute}}
	resp, err := client.Get(url)
	if err != nil || resp.StatusCode != 429 {
		t.Fatalf("first request = %v, %v; want the 429", resp, err)
	}
	resp.Body.Close()
	_, err = client.Get(url)
	var oe *breaker.OpenError
	if !errors.As(err, &oe) || time.Until(oe.Until) < 110*time.Second {
		t.Errorf("request within Retry-After = %v, want ErrOpen until about 2 minutes from now", err)
	}
	if hits.Load() != 1 {
		t.Errorf("server saw %d requests, want 1", hits.Load())
	}
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
}

func TestRetryBudgetBoundsLoad(t *testing.T) {
	url, hits := answering(t, http.StatusServiceUnavailable, "")
	// A total outage: without a budget, 200 requests × 3 attempts = 600.
	client := &http.Client{Transport: &breaker.Retry{
		Base: http.DefaultTransport, MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond,
		BudgetRatio: 0.1, MinRetriesPerSecond: 1,
	}}
	const requests = 200
	for range requests {
		resp, err := client.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	// 10% of 200 = 20 retries, plus the floor's burst of 1 and what it
	// refills while the test runs.
	if got := int(hits.Load()); got > requests+20+1+5 {
		t.Errorf("server saw %d requests for %d sent, want at most about %d", got, requests, requests+21)
	}
	if got := int(hits.Load()); got <= requests {
		t.Errorf("server saw %d requests, want some retries", got)
	}
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
}

func TestRetryReplaysBodyAndNeverRetriesOpen(t *testing.T) {
	var bodies []string
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		if calls.Add(1) < 3 {
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	defer srv.Close()
	client := &http.Client{Transport: &breaker.Retry{BaseDelay: time.Millisecond, MaxAttempts: 3, MinRetriesPerSecond: 1000}}
	req, _ := http.NewRequest(http.MethodPut, srv.URL, bytes.NewReader([]byte("payload")))
	resp, err := client.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("PUT = %v, %v", resp, err)
	}
	resp.Body.Close()
	if len(bodies) != 3 || bodies[0] != "payload" || bodies[2] != "payload" {
		t.Errorf("bodies seen = %q, want the payload three times", bodies)
	}

	// Retry outside Transport: an open breaker is not retried.
	downURL, hits := answering(t, http.StatusBadGateway, "")
	retrying := &http.Client{Transport: &breaker.Retry{BaseDelay: time.Millisecond, MaxAttempts: 5, MinRetriesPerSecond: 1000,
		Base: &breaker.Transport{Config: breaker.Config{ConsecutiveFailures: 2}}}}
	_, err = retrying.Get(downURL)
	if !errors.Is(err, breaker.ErrOpen) || hits.Load() != 2 {
		t.Errorf("GET through retry and an opening breaker = %v after %d hits, want ErrOpen after 2", err, hits.Load())
	}
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
}

func TestRateLimit(t *testing.T) {
	mw, err := breaker.RateLimit(breaker.RateLimitConfig{Rate: 0.5, Burst: 2, Key: func(r *http.Request) string { return r.Header.Get("X-Tenant") }})
	if err != nil {
		t.Fatal(err)
	}
	h := mw(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	serve := func(tenant string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("X-Tenant", tenant)
		h.ServeHTTP(rec, req)
		return rec
	}
	for i, want := range []int{200, 200, 429} {
		if rec := serve("a"); rec.Code != want {
			t.Errorf("request %d of tenant a = %d, want %d", i+1, rec.Code, want)
		} else if want == 429 {
			if ra := rec.Header().Get("Retry-After"); ra != "2" {
				t.Errorf("Retry-After = %q, want 2 (one token at 0.5/s)", ra)
			}
		}
	}
	if rec := serve("b"); rec.Code != 200 {
		t.Errorf("tenant b limited by tenant a: %d", rec.Code)
	}
	for _, bad := range []breaker.RateLimitConfig{{Rate: 0, Burst: 1}, {Rate: 1, Burst: 0}, {Rate: rate.Inf, Burst: 1, MaxKeys: -1}} {
		if _, err := breaker.RateLimit(bad); err == nil {
			t.Errorf("RateLimit(%+v) = nil error", bad)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"30":                            30 * time.Second,
		"Thu, 26 Nov 2026 12:01:00 GMT": time.Minute,
		"Thu, 26 Nov 2026 11:00:00 GMT": 0,
	} {
		resp := &http.Response{Header: http.Header{"Retry-After": {v}}}
		if d, ok := breaker.RetryAfter(resp, now); !ok || d != want {
			t.Errorf("RetryAfter(%q) = %v, %v; want %v", v, d, ok, want)
		}
	}
	for _, v := range []string{"", "-1", "soon", "99999999999999"} {
		resp := &http.Response{Header: http.Header{"Retry-After": {v}}}
		if _, ok := breaker.RetryAfter(resp, now); ok {
			t.Errorf("RetryAfter(%q) reported a delay", v)
		}
	}
}

func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"30", "0", "Thu, 26 Nov 2026 12:01:00 GMT", "-5", "1e3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		resp := &http.Response{Header: http.Header{"Retry-After": {v}}}
		if d, ok := breaker.RetryAfter(resp, time.Now()); ok && d < 0 {
			t.Errorf("RetryAfter(%q) = %v, negative", v, d)
		}
	})
}

func TestTransportClientLimiter(t *testing.T) {
	tr := &breaker.Transport{Base: answer(200), Limiter: rate.NewLimiter(rate.Every(time.Hour), 1)}
	req, _ := http.NewRequest("GET", "http://api/", nil)
	if _, err := tr.RoundTrip(req); err != nil {
		t.Fatalf("first request = %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	if _, err := tr.RoundTrip(req.WithContext(ctx)); err == nil {
		t.Error("second request within the limit's hour went through")
	}
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	url, hits := answering(t, http.StatusServiceUnavailable, "3600")
	// The server asks for an hour; the retry policy allows a minute. An
	// answer within 10 s shows that Retry did not wait out its minute, with
	// room for a loaded machine.
	client := &http.Client{Transport: &breaker.Retry{BaseDelay: time.Millisecond, MaxElapsed: time.Minute, MinRetriesPerSecond: 100}}
	start := time.Now()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if hits.Load() != 1 || resp.StatusCode != 503 || time.Since(start) > 10*time.Second {
		t.Errorf("%d attempts in %v, want 1 answered at once: Retry-After is past MaxElapsed", hits.Load(), time.Since(start))
	}
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
}

// answering starts a server that counts its requests and answers each
// with code, and a Retry-After header when retryAfter is set.
func answering(t *testing.T, code int, retryAfter string) (url string, hits *atomic.Int32) {
	t.Helper()
	hits = new(atomic.Int32)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, hits
}
