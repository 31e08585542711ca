package redisbreaker_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ybiyri/runkit/breaker"
	"github.com/ybiyri/runkit/breaker/redisbreaker"
)

// The names a fleet uses in Redis, for a namespace of its own.
func ExampleKeys() {
	open, lease, channel := redisbreaker.Keys("checkout", "payments.internal:443")
	fmt.Println(open)
	fmt.Println(lease)
	fmt.Println(channel)
	// Output:
	// {checkout}:open
	// {checkout}:probe:payments.internal:443
	// {checkout}:changes
}

// Sharing an HTTP client's per-host breakers across the fleet. Redis is
// unreachable here (nothing listens on port 1): the breakers decide alone,
// as they would without the link, and Check says so.
func ExampleNew() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 100 * time.Millisecond})
	defer rdb.Close()
	reg := &breaker.Registry{}
	link, err := redisbreaker.New(rdb, reg, redisbreaker.Config{
		Namespace: "checkout",
		Logger:    slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer link.Close()
	client := &http.Client{Transport: &breaker.Transport{Registry: reg}}
	_ = client // every host this client calls gets a breaker shared by host

	b, _ := breaker.New[string](breaker.Config{Name: "payments", ConsecutiveFailures: 2})
	reg.Add(b)
	charge := func(context.Context) (string, error) { return "", errors.New("503 from payments") }
	for range 3 {
		_, err := b.Execute(context.Background(), charge)
		fmt.Println(errors.Is(err, breaker.ErrOpen))
	}
	fmt.Println("shared:", link.Check(context.Background()) == nil)
	// Output:
	// false
	// false
	// true
	// shared: false
}

func ExampleNew_badConfig() {
	rdb := redis.NewClient(&redis.Options{})
	defer rdb.Close()
	_, err := redisbreaker.New(rdb, &breaker.Registry{}, redisbreaker.Config{Namespace: "check out"})
	fmt.Println(err)
	// Output:
	// redisbreaker: Namespace "check out" holds a brace, a space or a control character
}

// New refuses a LeaseTTL longer than the OpenTimeout of a breaker the
// registry holds: the lease would outlive the open time. Here the default
// LeaseTTL, 10s, meets a breaker open for 5s.
func ExampleNew_leaseTTL() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // none needed here
	defer rdb.Close()
	reg := &breaker.Registry{}
	b, _ := breaker.New[string](breaker.Config{Name: "payments", OpenTimeout: 5 * time.Second})
	reg.Add(b)
	_, err := redisbreaker.New(rdb, reg, redisbreaker.Config{})
	fmt.Println(err)
	link, err := redisbreaker.New(rdb, reg, redisbreaker.Config{LeaseTTL: 4 * time.Second, Logger: slog.New(slog.DiscardHandler)})
	fmt.Println(err)
	link.Close()
	// Output:
	// redisbreaker: LeaseTTL 10s (zero means 10s) is longer than breaker "payments"'s OpenTimeout 5s: the lease would outlive the open time and hold up the fleet's next probes; set LeaseTTL to at most 5s
	// <nil>
}
