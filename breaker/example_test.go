package breaker_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/ybiyri/runkit/breaker"
)

func ExampleNew() {
	b, err := breaker.New[string](breaker.Config{Name: "payments"})
	fmt.Println(b.State(), err)
	_, err = breaker.New[string](breaker.Config{Name: "payments", FailureRatio: 2})
	fmt.Println(err)
	// Output:
	// closed <nil>
	// breaker "payments": FailureRatio 2 out of range (0, 1]
}

func ExampleBreaker_Execute() {
	b, _ := breaker.New[string](breaker.Config{Name: "payments", ConsecutiveFailures: 2})
	charge := func(ctx context.Context) (string, error) { return "", errors.New("503 from payments") }

	// The caller giving up is not the dependency failing.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b.Execute(ctx, func(ctx context.Context) (string, error) { return "", ctx.Err() })
	fmt.Println(b.State())

	b.Execute(context.Background(), charge)
	b.Execute(context.Background(), charge)
	_, err := b.Execute(context.Background(), charge)
	fmt.Println(b.State(), errors.Is(err, breaker.ErrOpen))
	// Output:
	// closed
	// open true
}

func ExampleTransport() {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer upstream.Close()

	client := &http.Client{Transport: &breaker.Retry{
		BaseDelay: time.Millisecond,
		Base:      &breaker.Transport{Config: breaker.Config{ConsecutiveFailures: 3}},
	}}
	// 500 is not retried (only 429, 502, 503 and 504 are); three of them
	// open the host's breaker, and the fourth request is not sent.
	for range 4 {
		resp, err := client.Get(upstream.URL)
		if err != nil {
			fmt.Println(errors.Is(err, breaker.ErrOpen))
			continue
		}
		fmt.Println(resp.StatusCode)
		resp.Body.Close()
	}
	// Output:
	// 500
	// 500
	// 500
	// true
}

func ExampleRetry() {
	calls := 0
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls++
		if calls == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer flaky.Close()
	client := &http.Client{Transport: &breaker.Retry{BaseDelay: time.Millisecond}}
	resp, _ := client.Get(flaky.URL)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, calls)
	// Output: 200 2
}

func ExampleRateLimit() {
	shed, _ := breaker.RateLimit(breaker.RateLimitConfig{Rate: 1, Burst: 1})
	h := shed(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for range 2 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		fmt.Printf("%d Retry-After=%q\n", rec.Code, rec.Header().Get("Retry-After"))
	}
	// Output:
	// 200 Retry-After=""
	// 429 Retry-After="1"
}

func ExampleRegistry_Check() {
	var reg breaker.Registry
	b, _ := breaker.New[int](breaker.Config{Name: "search", ConsecutiveFailures: 1})
	reg.Add(b)
	b.Execute(context.Background(), func(context.Context) (int, error) { return 0, errors.New("down") })
	// registry.Check is a health check Func: register it as non-critical.
	fmt.Println(reg.Check(context.Background()))
	// Output: open circuit breakers: search
}

func ExampleRetryAfter() {
	resp := &http.Response{Header: http.Header{"Retry-After": {"120"}}}
	d, ok := breaker.RetryAfter(resp, time.Now())
	fmt.Println(d, ok)
	// Output: 2m0s true
}
