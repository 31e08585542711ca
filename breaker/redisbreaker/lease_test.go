package redisbreaker_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ybiyri/runkit/breaker"
	"github.com/ybiyri/runkit/breaker/redisbreaker"
)

// A replica that calls rarely cannot stall the fleet's probes: the call
// that wins the lease is the probe. Three replicas call a recovered
// upstream at 50, 5 and 0.1 calls per second; in each round a different
// one calls first once the open time ends, the quiet one first of all,
// and the fleet's first probe starts within OpenTimeout + 100ms of the
// open, in one of three tries of each order: a neighbour's load on a
// small machine can stall the goroutines of one try. (Taking the lease
// used to refuse the call that asked: a quiet replica then held it with
// nothing to probe, and the busy ones were refused until it expired.)
func TestQuietReplicaDoesNotStallTheFleet(t *testing.T) {
	srv := startRedis(t)
	const open = time.Second
	bcfg := breaker.Config{ConsecutiveFailures: 1, OpenTimeout: open, Jitter: -1, HalfOpenProbes: 3, ProbeTimeout: time.Second}
	names := []string{"busy", "medium", "quiet"}
	periods := []time.Duration{20 * time.Millisecond, 200 * time.Millisecond, 10 * time.Second}
	var rs []*replica
	for _, n := range names {
		rs = append(rs, newReplica(t, n, srv, redisbreaker.Config{}, bcfg, nil))
	}
	connected(t, rs...)
	round := 0
	for _, first := range []int{2, 1, 0} {
		var tries []time.Duration
		for range 3 {
			took := firstProbe(t, rs, round, first, bcfg, periods)
			round++
			t.Logf("try %d, %s calls first: the fleet's first probe %v after the open", round, names[first], took)
			if took <= open+100*time.Millisecond {
				tries = nil
				break
			}
			tries = append(tries, took)
		}
		if tries != nil {
			t.Errorf("%s calls first: the fleet's first probe started %v after the open in three tries, want within OpenTimeout %v + 100ms in one", names[first], tries, open)
		}
	}
}

// firstProbe trips a new breaker on the first replica, has each call at
// its period from the end of the open time, the one named first 1ms after
// it and the others a few ms later, and returns when the first probe
// started, from the open.
func firstProbe(t *testing.T, rs []*replica, round, first int, bcfg breaker.Config, periods []time.Duration) time.Duration {
	name := fmt.Sprint("upstream-", round)
	var probed atomic.Int64 // unix nanoseconds
	var brs []*breaker.Breaker[int]
	for _, r := range rs {
		cfg := bcfg
		cfg.Name = name
		br, err := breaker.New[int](cfg)
		if err != nil {
			t.Fatal(err)
		}
		r.reg.Add(br)
		brs = append(brs, br)
	}
	// The busy replica finds the upstream down; the fleet opens.
	tripped := time.Now()
	brs[0].Execute(context.Background(), func(context.Context) (int, error) { return 0, errDown })
	var oe *breaker.OpenError
	if _, err := brs[0].Execute(context.Background(), succeed); !errors.As(err, &oe) {
		t.Fatalf("round %d: the busy replica after a failure: %v, want open", round, err)
	}
	for i, br := range brs[1:] {
		eventually(t, 5*time.Second, rs[i+1].name+" opens with the fleet", func() bool { return br.State() == breaker.Open })
	}
	// Each replica calls at its rate from the end of the open time,
	// the one named first 1ms after it, the others a few ms later.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i, br := range brs {
		start := oe.Until.Add(3 * time.Millisecond)
		if i == first {
			start = oe.Until.Add(time.Millisecond)
		}
		wg.Go(func() {
			next := start
			for {
				select {
				case <-stop:
					return
				case <-time.After(time.Until(next)):
				}
				br.Execute(context.Background(), func(context.Context) (int, error) {
					probed.CompareAndSwap(0, time.Now().UnixNano())
					return 1, nil
				})
				next = next.Add(periods[i])
			}
		})
	}
	eventually(t, 5*time.Second, "a probe", func() bool { return probed.Load() != 0 })
	close(stop)
	wg.Wait()
	for _, r := range rs {
		r.reg.Remove(name)
	}
	return time.Unix(0, probed.Load()).Sub(tripped)
}

// The probe lease of a breaker a Transport creates lazily, after New, is
// held at most the breaker's OpenTimeout, though LeaseTTL is longer.
func TestLeaseHeldToOpenTimeout(t *testing.T) {
	srv := startRedis(t)
	up := newUpstream(t)
	cfg := fleetConfig
	cfg.OpenTimeout = 300 * time.Millisecond
	cfg.Jitter = -1
	lcfg := redisbreaker.Config{LeaseTTL: 5 * time.Second}
	a := newReplicaClient(t, "a", srv.Client(t), lcfg, cfg, nil)
	a.leaseNote = true
	connected(t, a)
	for range cfg.ConsecutiveFailures {
		a.get(up)
	}
	if !isOpen(a, up.host) {
		t.Fatalf("A did not open: %q", a.reg.Open())
	}
	up.failing.Store(false)
	eventually(t, 5*time.Second, "A probes", func() bool {
		a.get(up)
		return a.sent.Load() > int64(cfg.ConsecutiveFailures)
	})
	_, lease, _ := redisbreaker.Keys("test:"+t.Name(), up.host)
	ttl, err := srv.Client(t).PTTL(context.Background(), lease).Result()
	if err != nil || ttl <= 0 || ttl > cfg.OpenTimeout {
		t.Errorf("PTTL %s = %v, %v; want within the breaker's OpenTimeout %v, not LeaseTTL %v", lease, ttl, err, cfg.OpenTimeout, lcfg.LeaseTTL)
	}
}
