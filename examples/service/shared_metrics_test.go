package main

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/metric"

	"github.com/ybiyri/runkit/breaker"
	"github.com/ybiyri/runkit/breaker/redisbreaker"
	"github.com/ybiyri/runkit/internal/redistest"
)

// recordSharedBreakerMetrics records every metric of breaker/redisbreaker
// into mp against a real redis-server: two replicas share a trip (sent,
// received, connected), then Redis dies (an outage) and a half-open
// breaker probes without the lease.
func recordSharedBreakerMetrics(t *testing.T, mp metric.MeterProvider) {
	t.Helper()
	srv := redistest.Start(t)
	ctx := context.Background()
	var regs [2]*breaker.Registry
	var links [2]*redisbreaker.Link
	var breakers [2]*breaker.Breaker[int]
	for i := range 2 {
		rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, DialTimeout: time.Second, ReadTimeout: time.Second})
		defer rdb.Close()
		regs[i] = &breaker.Registry{}
		l, err := redisbreaker.New(rdb, regs[i], redisbreaker.Config{Namespace: "metrics", MeterProvider: mp,
			Timeout: time.Second, LeaseTTL: redisbreaker.MinLeaseTTL, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		links[i] = l
		breakers[i], _ = breaker.New[int](breaker.Config{Name: "payments", ConsecutiveFailures: 1, OpenTimeout: redisbreaker.MinLeaseTTL})
		regs[i].Add(breakers[i])
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 10s", what)
			}
		}
	}
	waitFor("both links connect", func() bool { return links[0].Check(ctx) == nil && links[1].Check(ctx) == nil })
	breakers[0].Execute(ctx, func(context.Context) (int, error) { return 0, errors.New("down") })
	waitFor("the second replica opens", func() bool { return breakers[1].State() == breaker.Open })
	srv.Kill()
	waitFor("the links fall back to local", func() bool { return links[0].Check(ctx) != nil })
	probed := false
	waitFor("a probe without the lease", func() bool {
		breakers[0].Execute(ctx, func(context.Context) (int, error) { probed = true; return 1, nil })
		return probed
	})
}
