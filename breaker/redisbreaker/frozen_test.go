package redisbreaker_test

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ybiyri/runkit/breaker"
	"github.com/ybiyri/runkit/breaker/redisbreaker"
)

// stateLog records a breaker's changes, with when each was reported.
type stateLog struct {
	mu      sync.Mutex
	changes []stateChange
}

type stateChange struct {
	to breaker.State
	at time.Time
}

func (s *stateLog) record(_ string, _, to breaker.State) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changes = append(s.changes, stateChange{to, time.Now()})
}

func (s *stateLog) list() []stateChange {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]stateChange(nil), s.changes...)
}

// Redis frozen (SIGSTOP) while a change is on its way: the round trip
// ends at Timeout, not at the client's 3s read timeout, and the outage is
// logged then; Check says how long Redis has really been silent. Thawed a
// second later, it runs the open it had been sent, which is past its
// deadline: the other replica, which never heard of it in time, does not
// open, while the replica that tripped closed meanwhile on its own.
func TestFrozenRedisDuringAChange(t *testing.T) {
	srv := startRedis(t)
	const timeout = 300 * time.Millisecond
	lcfg := redisbreaker.Config{Timeout: timeout, LeaseTTL: 200 * time.Millisecond}
	a := newReplica(t, "a", srv, lcfg, fleetConfig, nil)
	b := newReplica(t, "b", srv, lcfg, fleetConfig, nil)
	connected(t, a, b)
	cfg := breaker.Config{Name: "db", ConsecutiveFailures: 1, OpenTimeout: 200 * time.Millisecond, Jitter: -1, HalfOpenProbes: 1}
	ba, _ := breaker.New[int](cfg)
	var seenB stateLog
	cfg.OnStateChange = seenB.record
	bb, _ := breaker.New[int](cfg)
	a.reg.Add(ba)
	b.reg.Add(bb)
	ctx := context.Background()

	srv.Pause()
	tripped := time.Now()
	ba.Execute(ctx, func(context.Context) (int, error) { return 0, errDown })
	took := eventually(t, 5*time.Second, "A logs the outage", func() bool { return strings.Contains(a.logs.String(), "redis unreachable") })
	t.Logf("outage logged %v after the change", took)
	// Timeout, and room for a loaded machine's scheduling: a link whose
	// round trip had no deadline logged it 20–40s late, or never.
	if took > timeout+500*time.Millisecond {
		t.Errorf("the outage was logged %v after the change that met a frozen Redis, want within Timeout %v + 500ms", time.Since(tripped), timeout)
	}
	// A probes on its own and closes while Redis is frozen.
	eventually(t, 5*time.Second, "A closes on its own", func() bool {
		ba.Execute(ctx, succeed)
		return ba.State() == breaker.Closed
	})
	time.Sleep(time.Second - time.Since(tripped))
	err := a.link.Check(ctx)
	m := regexp.MustCompile(`silent for ([0-9.]+[a-zµ]+)`).FindStringSubmatch(errString(err))
	if m == nil {
		t.Fatalf("Check while Redis is frozen = %v, want how long it has been silent", err)
	}
	if d, _ := time.ParseDuration(m[1]); d < time.Second-50*time.Millisecond {
		t.Errorf("Check after a second of silence says %q, want at least about 1s", m[0])
	}

	srv.Resume()
	connected(t, a, b)
	// A's close went out, or was known already; B never opened.
	eventually(t, 5*time.Second, "A shares again", func() bool { return strings.Contains(a.logs.String(), "redis reachable again") })
	time.Sleep(200 * time.Millisecond)
	for _, c := range seenB.list() {
		t.Errorf("B went %v at %v, %v after the trip: a change past its deadline was made", c.to, c.at.Format(time.StampMicro), c.at.Sub(tripped))
	}
	if s := bb.State(); s != breaker.Closed {
		t.Errorf("B = %v, want closed", s)
	}

	a.close()
	if err := a.link.Check(ctx); err == nil || err.Error() != "redisbreaker: the link is closed; circuit breakers are local" {
		t.Errorf("Check after Close = %v, want the link is closed", err)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// An idle link has no reason to talk to Redis but Check: wired as a
// readiness check, it pings when Redis has said nothing for Timeout, so
// that a Redis that froze while nothing happened fails the next Checks
// within twice Timeout and a probe period (250ms of slack on a loaded
// machine), and the outage is logged.
func TestIdleLinkNoticesFrozenRedisThroughCheck(t *testing.T) {
	srv := startRedis(t)
	const timeout = 200 * time.Millisecond
	a := newReplica(t, "a", srv, redisbreaker.Config{Timeout: timeout}, fleetConfig, nil)
	connected(t, a)
	srv.Pause()
	defer srv.Resume()
	ctx := context.Background()
	took := eventually(t, 5*time.Second, "Check fails", func() bool {
		time.Sleep(20 * time.Millisecond) // a readiness probe's period, shortened
		return a.link.Check(ctx) != nil
	})
	t.Logf("Check failed %v after Redis froze", took)
	if took > 2*timeout+250*time.Millisecond {
		t.Errorf("Check failed %v after Redis froze, want within twice Timeout %v + 250ms", took, timeout)
	}
	eventually(t, time.Second, "the outage is logged", func() bool { return strings.Contains(a.logs.String(), "redis unreachable") })
}
