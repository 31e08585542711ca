package redisbreaker_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ybiyri/runkit/breaker"
	"github.com/ybiyri/runkit/breaker/redisbreaker"
)

// TestPropagationP99 measures, over 100 trips on loopback, the time from
// A's breaker opening to B's: the instants each reports the change, B's
// being when it starts rejecting calls. The p99 must be within 100ms in
// one of three rounds: a neighbour's load on a small machine can stall
// the goroutines of one round, not what the link does.
func TestPropagationP99(t *testing.T) {
	srv := startRedis(t)
	a := newReplica(t, "a", srv, redisbreaker.Config{}, fleetConfig, nil)
	b := newReplica(t, "b", srv, redisbreaker.Config{}, fleetConfig, nil)
	connected(t, a, b)
	var p99s []time.Duration
	for round := range 3 {
		lat := propagation(t, a, b, round)
		p50, p99 := lat[49], lat[98]
		t.Logf("round %d, propagation over 100 trips: p50 %v, p99 %v, max %v", round, p50, p99, lat[99])
		if p99 <= 100*time.Millisecond {
			return
		}
		p99s = append(p99s, p99)
	}
	t.Errorf("propagation p99 = %v in three rounds, want ≤ 100ms in one", p99s)
}

// propagation trips 100 breakers on A and returns, sorted, how long each
// took to open on B.
func propagation(t *testing.T, a, b *replica, round int) []time.Duration {
	ctx := context.Background()
	lat := make([]time.Duration, 0, 100)
	for i := range 100 {
		name := fmt.Sprintf("trip-%d-%d", round, i)
		var openedA, openedB atomic.Int64
		stamp := func(at *atomic.Int64) func(string, breaker.State, breaker.State) {
			return func(_ string, _, to breaker.State) {
				if to == breaker.Open {
					at.Store(time.Now().UnixNano())
				}
			}
		}
		ba, _ := breaker.New[int](breaker.Config{Name: name, ConsecutiveFailures: 1, OpenTimeout: time.Minute, OnStateChange: stamp(&openedA)})
		bb, _ := breaker.New[int](breaker.Config{Name: name, OpenTimeout: time.Minute, OnStateChange: stamp(&openedB)})
		a.reg.Add(ba)
		b.reg.Add(bb)
		ba.Execute(ctx, func(context.Context) (int, error) { return 0, errors.New("down") })
		eventually(t, 10*time.Second, name+" opens on B", func() bool { return openedB.Load() != 0 })
		if _, err := bb.Execute(ctx, succeed); !errors.Is(err, breaker.ErrOpen) {
			t.Fatalf("%s: B's call = %v, want ErrOpen", name, err)
		}
		lat = append(lat, time.Duration(openedB.Load()-openedA.Load()))
		a.reg.Remove(name)
		b.reg.Remove(name)
	}
	slices.Sort(lat)
	return lat
}

func TestNewRejectsBadConfig(t *testing.T) {
	srv := startRedis(t)
	c := srv.Client(t)
	for _, tc := range []struct {
		cfg  redisbreaker.Config
		want string
	}{
		{redisbreaker.Config{Namespace: "my fleet"}, `Namespace "my fleet"`},
		{redisbreaker.Config{Namespace: "{fleet}"}, `Namespace "{fleet}"`},
		{redisbreaker.Config{Replica: "pod 1"}, `Replica "pod 1"`},
		{redisbreaker.Config{LeaseTTL: -time.Second}, "LeaseTTL -1s is negative"},
		{redisbreaker.Config{LeaseTTL: time.Microsecond}, "LeaseTTL 1µs"},
		{redisbreaker.Config{Timeout: -time.Second}, "Timeout -1s is negative"},
	} {
		l, err := redisbreaker.New(c, &breaker.Registry{}, tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v; want an error with %q", tc.cfg, err, tc.want)
		}
		if l != nil {
			l.Close()
		}
	}
	l, err := redisbreaker.New(c, &breaker.Registry{}, redisbreaker.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if r := l.Replica(); len(r) != 16 || strings.Trim(r, "0123456789abcdef") != "" {
		t.Errorf("default Replica() = %q, want 16 hex digits", r)
	}
	l.Close()
	if _, err := redisbreaker.New(nil, &breaker.Registry{}, redisbreaker.Config{}); err == nil || !strings.Contains(err.Error(), "client is nil") {
		t.Errorf("New(nil client) = %v", err)
	}
	if _, err := redisbreaker.New(c, nil, redisbreaker.Config{}); err == nil || !strings.Contains(err.Error(), "registry is nil") {
		t.Errorf("New(nil registry) = %v", err)
	}
}

// The password of a client that cannot log in shows in no log line and
// no Check error; the refusal is logged as one, not as Redis unreachable.
func TestNoSecretInLogs(t *testing.T) {
	const secret = "s3cret-Passw0rd"
	srv := startRedis(t, "--requirepass", "another-one")
	r := newReplicaWithPassword(t, srv, secret)
	eventually(t, 10*time.Second, "the failed login is logged", func() bool { return strings.Contains(r.logs.String(), "redis refused the client's credentials") })
	err := r.link.Check(context.Background())
	if err == nil {
		t.Fatal("Check = nil with a wrong password")
	}
	if logs := r.logs.String() + err.Error(); strings.Contains(logs, secret) {
		t.Errorf("the password shows:\n%s", logs)
	}
	if logs := r.logs.String(); strings.Contains(logs, "redis unreachable") {
		t.Errorf("a refused password was logged as Redis unreachable:\n%s", logs)
	}
}

// The lease holder's failed probe opens the fleet again, for the holder's
// own OpenTimeout; and only the holder probed.
func TestFailedProbeReopensTheFleet(t *testing.T) {
	srv := startRedis(t)
	cfg := breaker.Config{Name: "db", ConsecutiveFailures: 1, OpenTimeout: 200 * time.Millisecond, Jitter: 0.01, HalfOpenProbes: 1}
	a := newReplica(t, "a", srv, redisbreaker.Config{LeaseTTL: cfg.OpenTimeout}, fleetConfig, nil)
	b := newReplica(t, "b", srv, redisbreaker.Config{LeaseTTL: cfg.OpenTimeout}, fleetConfig, nil)
	connected(t, a, b)
	ba, _ := breaker.New[int](cfg)
	bb, _ := breaker.New[int](cfg)
	a.reg.Add(ba)
	b.reg.Add(bb)
	ctx := context.Background()
	ba.Execute(ctx, func(context.Context) (int, error) { return 0, errors.New("down") })
	eventually(t, 5*time.Second, "B opens", func() bool { return bb.State() == breaker.Open })

	// Both keep calling once the open time ends; one holds the lease, and
	// its probe fails.
	ran := map[*breaker.Breaker[int]]int{}
	var prober, other *breaker.Breaker[int]
	eventually(t, 5*time.Second, "one replica probes", func() bool {
		for _, br := range []*breaker.Breaker[int]{ba, bb} {
			br.Execute(ctx, func(context.Context) (int, error) { ran[br]++; return 0, errors.New("down") })
			if ran[br] > 0 {
				prober = br
				return true
			}
		}
		return false
	})
	other = ba
	if prober == ba {
		other = bb
	}
	if prober.State() != breaker.Open {
		t.Fatalf("the prober after a failed probe: %v, want open", prober.State())
	}
	var oe *breaker.OpenError
	eventually(t, 5*time.Second, "the other replica learns the new open", func() bool {
		_, err := other.Execute(ctx, succeed)
		return errors.As(err, &oe) && time.Until(oe.Until) > 100*time.Millisecond
	})
	if n := ran[ba] + ran[bb]; n != 1 {
		t.Errorf("the fleet sent %d probes, want 1", n)
	}
}

// A message that is not runkit's is logged once and changes nothing.
func TestMalformedMessagesAreLoggedOnce(t *testing.T) {
	srv := startRedis(t)
	a := newReplica(t, "a", srv, redisbreaker.Config{}, fleetConfig, nil)
	b := newReplica(t, "b", srv, redisbreaker.Config{}, fleetConfig, nil)
	connected(t, a, b)
	_, _, channel := redisbreaker.Keys("test:"+t.Name(), "")
	c := srv.Client(t)
	for _, m := range []string{"hello", "open soon a x"} {
		if err := c.Publish(context.Background(), channel, m).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// The link still works, and has read both by then.
	ba, _ := breaker.New[int](breaker.Config{Name: "db", ConsecutiveFailures: 1})
	bb, _ := breaker.New[int](breaker.Config{Name: "db"})
	a.reg.Add(ba)
	b.reg.Add(bb)
	ba.Execute(context.Background(), func(context.Context) (int, error) { return 0, errors.New("down") })
	eventually(t, 5*time.Second, "B opens", func() bool { return bb.State() == breaker.Open })
	if n := strings.Count(b.logs.String(), "not runkit's"); n != 1 {
		t.Errorf("B logged %d lines for 2 malformed messages, want 1:\n%s", n, b.logs.String())
	}
}

// A registry has one link: a second New on it fails and leaves the first
// in charge, and closing a link that was unlinked by hand does not unlink
// its successor.
func TestOneLinkPerRegistry(t *testing.T) {
	srv := startRedis(t)
	c := srv.Client(t)
	reg := &breaker.Registry{}
	first, err := redisbreaker.New(c, reg, redisbreaker.Config{Namespace: "one"})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	second, err := redisbreaker.New(c, reg, redisbreaker.Config{Namespace: "two"})
	if !errors.Is(err, breaker.ErrLinked) || second != nil {
		t.Fatalf("New on a linked registry = %v, %v; want ErrLinked and no link", second, err)
	}
	if reg.Link() != breaker.Link(first) {
		t.Fatalf("registry's link = %v, want the first", reg.Link())
	}
	reg.SetLink(nil)
	third, err := redisbreaker.New(c, reg, redisbreaker.Config{Namespace: "three"})
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	first.Close()
	if reg.Link() != breaker.Link(third) {
		t.Errorf("after the first link's Close, registry's link = %v, want the third", reg.Link())
	}
}
