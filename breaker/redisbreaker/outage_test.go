package redisbreaker_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ybiyri/runkit/breaker"
	"github.com/ybiyri/runkit/breaker/redisbreaker"
)

// localSpeed runs n calls through b and fails if one of them waited on
// Redis, which would take the client's timeout when it is partitioned.
// (The bound leaves room for a loaded machine: local calls take
// microseconds.)
func localSpeed(t *testing.T, b *breaker.Breaker[int], n int) {
	t.Helper()
	ctx := context.Background()
	var slowest time.Duration
	start := time.Now()
	for range n {
		s := time.Now()
		b.Execute(ctx, func(context.Context) (int, error) { return 1, nil })
		slowest = max(slowest, time.Since(s))
	}
	total := time.Since(start)
	if slowest > clientTimeout/2 || total > clientTimeout {
		t.Errorf("%d calls took %v, slowest %v: calls waited on Redis", n, total, slowest)
	}
}

func TestRedisKilledBreakersStayLocalThenShareAgain(t *testing.T) {
	before := goleak.IgnoreCurrent()
	srv := startRedis(t)
	up := newUpstream(t)
	cfg := fleetConfig
	cfg.OpenTimeout = 300 * time.Millisecond
	a := newReplica(t, "a", srv, redisbreaker.Config{Timeout: time.Second}, cfg, nil)
	b := newReplica(t, "b", srv, redisbreaker.Config{Timeout: time.Second}, cfg, nil)
	connected(t, a, b)
	direct := func(r *replica) *breaker.Breaker[int] {
		br, err := breaker.New[int](breaker.Config{Name: "direct", ConsecutiveFailures: 1, OpenTimeout: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		r.reg.Add(br)
		return br
	}
	da, db := direct(a), direct(b)
	up.failing.Store(false)
	if err := b.get(up); err != nil {
		t.Fatal(err)
	}

	srv.Kill()
	localSpeed(t, da, 10000)
	eventually(t, 5*time.Second, "both fall back to local", func() bool {
		return a.link.Check(context.Background()) != nil && b.link.Check(context.Background()) != nil
	})
	if err := a.link.Check(context.Background()); !strings.Contains(err.Error(), "Redis unreachable since") {
		t.Errorf("Check while Redis is down = %v", err)
	}
	localSpeed(t, da, 10000)

	// A's per-host breaker trips by itself, probes by itself after its
	// OpenTimeout, and closes; B hears nothing and stays closed.
	up.failing.Store(true)
	for range cfg.ConsecutiveFailures {
		a.get(up)
	}
	if !isOpen(a, up.host) {
		t.Fatalf("A did not trip locally with Redis down: open %q", a.reg.Open())
	}
	up.failing.Store(false)
	eventually(t, 5*time.Second, "A probes on its own and closes", func() bool {
		a.get(up)
		return breaker.State(a.state.Load()) == breaker.Closed
	})
	if a.metric(t, "runkit.breaker.shared.unleased") == 0 {
		t.Error("unleased = 0 after A probed without Redis")
	}
	if isOpen(b, up.host) {
		t.Error("B opened while Redis was down")
	}
	// A breaker that trips during the outage is shared once Redis is back.
	da.Execute(context.Background(), func(context.Context) (int, error) { return 0, errors.New("down") })
	time.Sleep(3 * 50 * time.Millisecond) // a few reconnection attempts, which must not log again

	srv.Restart()
	connected(t, a, b)
	eventually(t, 5*time.Second, "B learns A's outage-time open after the restart", func() bool { return db.State() == breaker.Open })

	// Sharing resumes for new changes too.
	up.failing.Store(true)
	for range cfg.ConsecutiveFailures {
		a.get(up)
	}
	eventually(t, 5*time.Second, "B opens with A after the restart", func() bool { return isOpen(b, up.host) })

	for _, r := range []*replica{a, b} {
		logs := r.logs.String()
		if n := strings.Count(logs, "redis unreachable"); n != 1 {
			t.Errorf("%s logged the outage %d times, want once:\n%s", r.name, n, logs)
		}
		if n := strings.Count(logs, "redis reachable again"); n != 1 {
			t.Errorf("%s logged the return %d times, want once:\n%s", r.name, n, logs)
		}
		if n := r.metric(t, "runkit.breaker.shared.outages"); n != 1 {
			t.Errorf("%s outages = %d, want 1", r.name, n)
		}
		if n := r.metric(t, "runkit.breaker.shared.connected"); n != 1 {
			t.Errorf("%s connected = %d, want 1", r.name, n)
		}
	}
	a.close()
	b.close()
	up.Close()
	srv.Kill()
	goleak.VerifyNone(t, before)
}

func TestRedisPartitionedBreakersStayLocal(t *testing.T) {
	srv := startRedis(t)
	up := newUpstream(t)
	cfg := fleetConfig
	cfg.OpenTimeout = 200 * time.Millisecond
	lcfg := redisbreaker.Config{Timeout: 300 * time.Millisecond}
	a := newReplica(t, "a", srv, lcfg, cfg, nil)
	b := newReplica(t, "b", srv, lcfg, cfg, nil)
	connected(t, a, b)
	br, _ := breaker.New[int](breaker.Config{Name: "direct"})
	a.reg.Add(br)
	up.failing.Store(false)
	if err := b.get(up); err != nil {
		t.Fatal(err)
	}
	up.failing.Store(true)

	srv.Pause() // connections stay open; nothing answers
	localSpeed(t, br, 10000)
	for range cfg.ConsecutiveFailures {
		a.get(up)
	}
	if !isOpen(a, up.host) {
		t.Fatalf("A did not trip with Redis partitioned: open %q", a.reg.Open())
	}
	up.failing.Store(false)
	eventually(t, 5*time.Second, "A probes on its own and closes", func() bool {
		a.get(up)
		return breaker.State(a.state.Load()) == breaker.Closed
	})
	eventually(t, 5*time.Second, "A falls back to local", func() bool { return a.link.Check(context.Background()) != nil })
	srv.Resume()
	connected(t, a, b)
	up.failing.Store(true)
	for range cfg.ConsecutiveFailures {
		a.get(up)
	}
	eventually(t, 5*time.Second, "B opens with A after the partition", func() bool { return isOpen(b, up.host) })
}

func TestLateReplicaLearnsFromTheKey(t *testing.T) {
	srv := startRedis(t)
	up := newUpstream(t)
	cfg := fleetConfig
	cfg.OpenTimeout = time.Minute
	a := newReplica(t, "a", srv, redisbreaker.Config{}, cfg, nil)
	connected(t, a)
	for range cfg.ConsecutiveFailures {
		a.get(up)
	}
	if !isOpen(a, up.host) {
		t.Fatal("A did not open")
	}
	time.Sleep(2 * poll) // A's change reaches Redis

	// The sorted set of open breakers expires with the last of them: here
	// the one breaker, open for a minute lengthened by its jitter.
	open, _, _ := redisbreaker.Keys("test:"+t.Name(), up.host)
	if ttl, err := srv.Client(t).PTTL(context.Background(), open).Result(); err != nil || ttl < 50*time.Second || ttl > time.Duration(float64(time.Minute)*(1+cfg.Jitter)) {
		t.Errorf("PTTL %s = %v, %v; want the breaker's open time left, about a minute", open, ttl, err)
	}

	// D starts while the fleet is open: its first request is refused
	// without reaching the upstream, though no message came since.
	d := newReplica(t, "d", srv, redisbreaker.Config{}, cfg, nil)
	connected(t, d)
	if err := d.get(up); !errors.Is(err, breaker.ErrOpen) {
		t.Fatalf("D's first request = %v, want ErrOpen", err)
	}
	if n := d.sent.Load(); n != 0 {
		t.Errorf("D sent %d requests to the failing upstream, want 0", n)
	}
	var oe *breaker.OpenError
	if err := d.get(up); !errors.As(err, &oe) || time.Until(oe.Until) < 50*time.Second {
		t.Errorf("D's open error = %v, want open about a minute more", err)
	}
}

const poll = 10 * time.Millisecond

func TestCloseIsIdempotentAndUnlinks(t *testing.T) {
	srv := startRedis(t)
	r := newReplica(t, "a", srv, redisbreaker.Config{}, fleetConfig, nil)
	connected(t, r)
	if err := r.link.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.link.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	br, _ := breaker.New[int](breaker.Config{Name: "x"})
	r.reg.Add(br)
	if r.reg.ForceOpen("x", time.Now().Add(time.Minute)); br.State() != breaker.Open {
		t.Fatal("ForceOpen after Close")
	}
}

// A link runs three goroutines, whatever the number of breakers — one
// talks to Redis, one receives from the subscription, one runs the
// callbacks of the changes it forces — and Close stops them.
func TestOneGoroutinePerRegistry(t *testing.T) {
	srv := startRedis(t)
	c := srv.Client(t)
	// The goroutines the package started, by the stacks that say so.
	ours := func() int {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		return strings.Count(string(buf), "created by github.com/ybiyri/runkit/breaker/redisbreaker.")
	}
	reg := &breaker.Registry{}
	l, err := redisbreaker.New(c, reg, redisbreaker.Config{Namespace: "one"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i := range 100 {
		b, _ := breaker.New[int](breaker.Config{Name: fmt.Sprint("b", i), ConsecutiveFailures: 1})
		reg.Add(b)
		b.Execute(context.Background(), func(context.Context) (int, error) { return 0, errors.New("down") })
	}
	eventually(t, 5*time.Second, "connected", func() bool { return l.Check(context.Background()) == nil })
	time.Sleep(3 * poll) // the 100 opens are sent
	if n := ours(); n != 3 {
		t.Errorf("%d goroutines started by the link, want 3", n)
	}
	l.Close()
	// Close returns once the goroutine is done; it may still be exiting.
	eventually(t, 5*time.Second, "no goroutine of the link after Close", func() bool { return ours() == 0 })
}
