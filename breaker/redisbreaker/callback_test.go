package redisbreaker_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ybiyri/runkit/breaker"
	"github.com/ybiyri/runkit/breaker/redisbreaker"
)

// A callback that sleeps 5s, run for a change another replica made,
// holds up neither the link's reads nor its pings: while it sleeps,
// another breaker's open still arrives within 100ms, Redis is not
// reported unreachable though five times Timeout pass, and the breaker
// whose callback sleeps rejects calls from the start. (The callbacks of
// forced changes used to run on the goroutine that talks to Redis.)
func TestSlowCallbackDoesNotStallTheLink(t *testing.T) {
	srv := startRedis(t)
	const timeout = 200 * time.Millisecond
	lcfg := redisbreaker.Config{Timeout: timeout}
	a := newReplica(t, "a", srv, lcfg, fleetConfig, nil)
	b := newReplica(t, "b", srv, lcfg, fleetConfig, nil)
	connected(t, a, b)
	release := make(chan struct{})
	defer close(release)
	sleeping := make(chan struct{}, 1)
	slow := func(_ string, _, to breaker.State) {
		if to == breaker.Open {
			sleeping <- struct{}{}
			select {
			case <-time.After(5 * time.Second):
			case <-release: // the test is done
			}
		}
	}
	var quickB stateLog
	newPair := func(name string, cb func(string, breaker.State, breaker.State)) (*breaker.Breaker[int], *breaker.Breaker[int]) {
		ba, _ := breaker.New[int](breaker.Config{Name: name, ConsecutiveFailures: 1, OpenTimeout: time.Minute})
		bb, _ := breaker.New[int](breaker.Config{Name: name, OpenTimeout: time.Minute, OnStateChange: cb})
		a.reg.Add(ba)
		b.reg.Add(bb)
		return ba, bb
	}
	slowA, slowB := newPair("slow", slow)
	quickA, quickB2 := newPair("quick", quickB.record)
	ctx := context.Background()

	slowA.Execute(ctx, func(context.Context) (int, error) { return 0, errDown })
	select {
	case <-sleeping:
	case <-time.After(5 * time.Second):
		t.Fatal("B's callback for the slow breaker did not run")
	}
	if _, err := slowB.Execute(ctx, succeed); !errors.As(err, new(*breaker.OpenError)) {
		t.Errorf("B's slow breaker while its callback sleeps: %v, want open", err)
	}
	start := time.Now()
	quickA.Execute(ctx, func(context.Context) (int, error) { return 0, errDown })
	took := eventually(t, 5*time.Second, "B's quick breaker opens", func() bool { return quickB2.State() == breaker.Open })
	// The callback sleeps 5s: an open that waited for it would take that
	// long. (TestPropagationP99 keeps the link's 100ms.)
	if took > time.Second {
		t.Errorf("B's quick breaker opened %v after A's, while another callback slept; want within 1s, not after the callback", took)
	}
	// Five times Timeout with nothing to send: B pings, and Redis answers.
	for time.Since(start) < 5*timeout {
		if err := b.link.Check(ctx); err != nil {
			t.Fatalf("B's Check while a callback sleeps: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if logs := b.logs.String(); strings.Contains(logs, "unreachable") {
		t.Errorf("B reported Redis unreachable while a callback slept:\n%s", logs)
	}
}
