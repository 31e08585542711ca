package redisbreaker_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ybiyri/runkit/breaker"
	"github.com/ybiyri/runkit/breaker/redisbreaker"
)

// holdProxy forwards TCP connections to a server; while held, what the
// clients send waits in the proxy, as on a slow path to Redis, and what
// the server sends still flows. While messages are held, what the server
// sends on a connection that subscribed waits instead: published changes
// are late, and commands are answered at once.
type holdProxy struct {
	ln           net.Listener
	target       string
	mu           sync.Mutex
	held         bool
	heldMessages bool
	cond         *sync.Cond
	conns        []net.Conn
	wg           sync.WaitGroup
}

func newHoldProxy(t *testing.T, target string) *holdProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &holdProxy{ln: ln, target: target}
	p.cond = sync.NewCond(&p.mu)
	p.wg.Go(p.accept)
	t.Cleanup(p.close)
	return p
}

func (p *holdProxy) Addr() string { return p.ln.Addr().String() }

func (p *holdProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		var subscribed atomic.Bool
		p.wg.Go(func() {
			p.pump(c, s, func() bool { return p.heldMessages && subscribed.Load() }, nil)
		})
		p.wg.Go(func() {
			p.pump(s, c, func() bool { return p.held }, func(b []byte) {
				if bytes.Contains(bytes.ToLower(b), []byte("subscribe")) {
					subscribed.Store(true)
				}
			})
		})
	}
}

// pump copies what src sends to dst, each read waiting while held (read
// under p.mu) says so and shown to saw first, if set; it closes dst when
// src ends.
func (p *holdProxy) pump(dst, src net.Conn, held func() bool, saw func([]byte)) {
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if saw != nil {
			saw(buf[:n])
		}
		p.mu.Lock()
		for held() {
			p.cond.Wait()
		}
		p.mu.Unlock()
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *holdProxy) hold(on bool) {
	p.mu.Lock()
	p.held = on
	p.mu.Unlock()
	p.cond.Broadcast()
}

func (p *holdProxy) holdMessages(on bool) {
	p.mu.Lock()
	p.heldMessages = on
	p.mu.Unlock()
	p.cond.Broadcast()
}

func (p *holdProxy) close() {
	p.hold(false)
	p.holdMessages(false)
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// proxiedPair starts Redis and two connected replicas with LeaseTTL open:
// the first, "a", reaches Redis through a holdProxy; the second, "b",
// directly.
func proxiedPair(t *testing.T, open time.Duration) (redisServer, *holdProxy, *replica, *replica) {
	t.Helper()
	srv := startRedis(t)
	proxy := newHoldProxy(t, srv.Addr)
	rdb := redis.NewClient(&redis.Options{Addr: proxy.Addr(), DialTimeout: clientTimeout, ReadTimeout: clientTimeout, WriteTimeout: clientTimeout})
	lcfg := redisbreaker.Config{LeaseTTL: open}
	proxied := newReplicaClient(t, "a", rdb, lcfg, fleetConfig, nil)
	direct := newReplica(t, "b", srv, lcfg, fleetConfig, nil)
	connected(t, proxied, direct)
	return srv, proxy, proxied, direct
}

// A close that reaches Redis after a newer open, made by another replica
// meanwhile, changes nothing: neither the fleet's open breakers nor the
// other replica's breaker. A's probe closes its breaker; its close is held
// on the way to Redis (for less than Timeout); the lease ends, B probes,
// fails and opens; then A's close arrives. A follows B's open.
func TestLateCloseLosesToNewerOpen(t *testing.T) {
	const open = 300 * time.Millisecond
	srv, proxy, a, b := proxiedPair(t, open)
	cfg := breaker.Config{Name: "db", ConsecutiveFailures: 1, OpenTimeout: open, Jitter: -1, HalfOpenProbes: 1}
	cfg.OnStateChange = func(_ string, _, to breaker.State) {
		if to == breaker.Closed {
			proxy.hold(true) // before the link hears of the close
		}
	}
	ba, _ := breaker.New[int](cfg)
	var seenB stateLog
	cfg.OnStateChange = seenB.record
	bb, _ := breaker.New[int](cfg)
	a.reg.Add(ba)
	b.reg.Add(bb)
	ctx := context.Background()

	ba.Execute(ctx, func(context.Context) (int, error) { return 0, errDown })
	eventually(t, 5*time.Second, "B opens with A", func() bool { return bb.State() == breaker.Open })
	eventually(t, 5*time.Second, "A probes and closes", func() bool {
		ba.Execute(ctx, succeed)
		return ba.State() == breaker.Closed
	})
	// A's lease ends; B takes it, and its probe fails.
	eventually(t, 5*time.Second, "B probes and opens by itself", func() bool {
		bb.Execute(ctx, func(context.Context) (int, error) { return 0, errDown })
		return len(seenB.list()) >= 3 // open (A's), half-open, open
	})
	openKey, _, _ := redisbreaker.Keys("test:"+t.Name(), "")
	eventually(t, 5*time.Second, "B's open is in Redis", func() bool {
		return srv.Client(t).ZScore(ctx, openKey, "db").Err() == nil
	})
	proxy.hold(false) // within Timeout: A's round trip is still waiting
	// A's close is answered: A still follows B's open.
	eventually(t, 5*time.Second, "A's close is answered", func() bool { return a.link.Check(ctx) == nil })
	time.Sleep(100 * time.Millisecond)
	var oe *breaker.OpenError
	if _, err := bb.Execute(ctx, succeed); !errors.As(err, &oe) {
		t.Errorf("B after A's late close: %v, want still open", err)
	}
	if s := ba.State(); s != breaker.Open {
		t.Errorf("A after its late close: %v, want open, as B's newer open says", s)
	}
	if _, err := srv.Client(t).ZScore(ctx, openKey, "db").Result(); err != nil {
		t.Errorf("ZSCORE %s db = %v, want B's open still there", openKey, err)
	}
	var states []string
	for _, c := range seenB.list() {
		states = append(states, c.to.String())
	}
	if got := strings.Join(states, " "); got != "open half-open open" {
		t.Errorf("B went %s, want open half-open open", got)
	}
}

// A replica whose open period ends after the fleet closed, but before the
// close's message reaches it, does not probe the healthy upstream again:
// the lease's answer says the fleet closed, and the replica follows. The
// fleet probes HalfOpenProbes times in all.
func TestReplicaThatMissedTheCloseDoesNotProbe(t *testing.T) {
	const open = 300 * time.Millisecond
	srv, proxy, x, a := proxiedPair(t, open)
	cfg := breaker.Config{Name: "db", ConsecutiveFailures: 1, OpenTimeout: open, Jitter: -1, HalfOpenProbes: 1, ProbeTimeout: time.Second}
	ba, _ := breaker.New[int](cfg)
	var seenX stateLog
	cfg.OnStateChange = seenX.record
	bx, _ := breaker.New[int](cfg)
	a.reg.Add(ba)
	x.reg.Add(bx)
	ctx := context.Background()
	var probes atomic.Int64
	probe := func(ctx context.Context) (int, error) {
		if _, ok := ctx.Deadline(); ok { // ProbeTimeout's: a half-open probe
			probes.Add(1)
		}
		return 1, nil
	}

	ba.Execute(ctx, func(context.Context) (int, error) { return 0, errDown })
	eventually(t, 5*time.Second, "X opens with A", func() bool { return bx.State() == breaker.Open })
	proxy.holdMessages(true)
	eventually(t, 5*time.Second, "A probes and closes", func() bool {
		ba.Execute(ctx, probe)
		return ba.State() == breaker.Closed
	})
	openKey, _, _ := redisbreaker.Keys("test:"+t.Name(), "")
	eventually(t, 5*time.Second, "A's close is in Redis", func() bool {
		return errors.Is(srv.Client(t).ZScore(ctx, openKey, "db").Err(), redis.Nil)
	})
	// X's open period has ended too; its calls ask for the lease, which
	// A holds for LeaseTTL and which then lapses.
	eventually(t, 5*time.Second, "X closes", func() bool {
		bx.Execute(ctx, probe)
		return bx.State() == breaker.Closed
	})
	if n := probes.Load(); n != 1 {
		t.Errorf("the fleet probed %d times, want 1 (HalfOpenProbes): X probed after the fleet closed", n)
	}
	proxy.holdMessages(false)
	time.Sleep(100 * time.Millisecond) // the held close arrives: an old change for X
	if s := bx.State(); s != breaker.Closed {
		t.Errorf("X after the held close arrived: %v, want closed", s)
	}
	var states []string
	for _, c := range seenX.list() {
		states = append(states, c.to.String())
	}
	t.Logf("X went %s", strings.Join(states, " "))
}

// A time left read from Redis at connect is held to the same bound as a
// message's: a stray score far in the future is ignored, and logged once,
// rather than force a breaker open for years.
func TestStrayScoreIsIgnoredAtConnect(t *testing.T) {
	srv := startRedis(t)
	c := srv.Client(t)
	ctx := context.Background()
	ns := "test:" + t.Name()
	openKey, _, _ := redisbreaker.Keys(ns, "")
	now, err := c.Time(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	c.ZAdd(ctx, openKey, redis.Z{Score: float64(now.Add(2 * 365 * 24 * time.Hour).UnixMilli()), Member: "db"})
	c.HSet(ctx, "{"+ns+"}:version", "db", now.UnixMilli())
	r := newReplica(t, "a", srv, redisbreaker.Config{}, fleetConfig, nil)
	br, _ := breaker.New[int](breaker.Config{Name: "db"})
	r.reg.Add(br)
	connected(t, r)
	eventually(t, 5*time.Second, "the stray entry is logged", func() bool { return strings.Contains(r.logs.String(), "not runkit's") })
	if s := br.State(); s != breaker.Closed {
		t.Errorf("breaker after a stray score two years ahead: %v, want closed", s)
	}
}
