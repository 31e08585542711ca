package breaker_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/ybiyri/runkit/breaker"
)

// The baselines use a bare gobreaker v2 breaker with the same window
// settings as breaker.New's defaults: a one-minute window in ten buckets.
func bareGobreaker() *gobreaker.CircuitBreaker[int] {
	return gobreaker.NewCircuitBreaker[int](gobreaker.Settings{
		Name: "bare", Interval: time.Minute, BucketPeriod: 6 * time.Second, Timeout: 30 * time.Second,
	})
}

func BenchmarkGobreakerExecute(b *testing.B) {
	cb := bareGobreaker()
	b.ReportAllocs()
	for b.Loop() {
		cb.Execute(func() (int, error) { return 1, nil })
	}
}

func BenchmarkExecute(b *testing.B) {
	br := mustNew(b, breaker.Config{Name: "bench"})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		br.Execute(ctx, succeed)
	}
}

func BenchmarkGobreakerExecuteOpen(b *testing.B) {
	cb := gobreaker.NewCircuitBreaker[int](gobreaker.Settings{
		Name: "bare", Interval: time.Minute, BucketPeriod: 6 * time.Second, Timeout: time.Hour,
		ReadyToTrip: func(gobreaker.Counts) bool { return true },
	})
	cb.Execute(func() (int, error) { return 0, errDep })
	b.ReportAllocs()
	for b.Loop() {
		cb.Execute(func() (int, error) { return 1, nil })
	}
}

func BenchmarkExecuteOpen(b *testing.B) {
	br := mustNew(b, breaker.Config{Name: "bench", ConsecutiveFailures: 1, OpenTimeout: time.Hour})
	ctx := context.Background()
	br.Execute(ctx, fail)
	b.ReportAllocs()
	for b.Loop() {
		br.Execute(ctx, succeed)
	}
}

func BenchmarkExecuteParallel(b *testing.B) {
	br := mustNew(b, breaker.Config{Name: "bench"})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			br.Execute(ctx, succeed)
		}
	})
}

func benchTransport(b *testing.B, rt http.RoundTripper) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL, nil)
	b.ReportAllocs()
	for b.Loop() {
		resp, err := rt.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
}

// BenchmarkPlainTransport is the baseline for BenchmarkTransport.
func BenchmarkPlainTransport(b *testing.B) {
	t := &http.Transport{}
	defer t.CloseIdleConnections()
	benchTransport(b, t)
}

func BenchmarkTransport(b *testing.B) {
	t := &http.Transport{}
	defer t.CloseIdleConnections()
	benchTransport(b, &breaker.Transport{Base: t})
}
