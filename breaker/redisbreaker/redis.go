package redisbreaker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ybiyri/runkit/breaker"
)

// The scripts read the time from Redis, so that every replica measures an
// open breaker's time against one clock. Each touches only keys of one
// namespace, which share a hash tag.
var (
	// openScript records that breaker ARGV[1] is open for ARGV[2] ms more
	// (or longer, if the fleet has it open longer), keeps the set's own
	// TTL at its latest member, and publishes the fleet's time left.
	openScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local u = now + tonumber(ARGV[2])
local cur = redis.call('ZSCORE', KEYS[1], ARGV[1])
if cur and tonumber(cur) > u then u = tonumber(cur) end
redis.call('ZADD', KEYS[1], u, ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[1], math.max(1, tonumber(last[2]) - now))
redis.call('PUBLISH', ARGV[3], 'open ' .. string.format('%d', u - now) .. ' ' .. ARGV[4] .. ' ' .. ARGV[1])
return u - now`)

	// closeScript forgets that breaker ARGV[1] is open and publishes its
	// close. The probe lease is left to expire: a replica that has not
	// heard the close yet must not take it and probe again.
	closeScript = redis.NewScript(`
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[2], 'close ' .. ARGV[3] .. ' ' .. ARGV[1])
return 1`)

	// leaseScript answers whether replica ARGV[2] may probe breaker
	// ARGV[1] for ARGV[3] ms: {0, ms} while the fleet has it open that
	// much longer, {1, ms} when the lease is (still) this replica's, and
	// {2, ms} while another replica holds it that much longer.
	leaseScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local u = redis.call('ZSCORE', KEYS[2], ARGV[1])
if u and tonumber(u) > now then return {0, tonumber(u) - now} end
local v = redis.call('GET', KEYS[1])
if (not v) or v == ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return {1, tonumber(ARGV[3])}
end
return {2, redis.call('PTTL', KEYS[1])}`)

	// readScript returns the fleet's open breakers with their time left:
	// name, ms, name, ms...
	readScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local r = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local out = {}
for i = 1, #r, 2 do
  out[#out + 1] = r[i]
  out[#out + 1] = tonumber(r[i + 1]) - now
end
return out`)
)

const (
	minBackoff = 50 * time.Millisecond
	maxBackoff = time.Second
)

// run is the link's goroutine: it connects, serves until Redis fails,
// and reconnects with backoff until Close.
func (l *Link) run(ctx context.Context) {
	defer close(l.stopped)
	backoff := minBackoff
	for {
		ps, err := l.connect(ctx)
		if err == nil {
			backoff = minBackoff
			err = l.serve(ctx, ps)
		}
		if ps != nil {
			ps.Close()
		}
		if l.closing() {
			l.connected.Store(false)
			return
		}
		l.lost(err)
		t := time.NewTimer(backoff)
		select {
		case <-l.done:
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

func (l *Link) closing() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

// connect subscribes, sends what changed while Redis was away, and reads
// the fleet's open breakers.
func (l *Link) connect(ctx context.Context) (*redis.PubSub, error) {
	ps := l.client.Subscribe(ctx)
	if err := ps.Subscribe(ctx, l.channel); err != nil {
		return ps, fmt.Errorf("subscribe: %w", err)
	}
	msg, err := ps.ReceiveTimeout(ctx, l.cfg.Timeout)
	if err != nil {
		return ps, fmt.Errorf("subscribe: %w", err)
	}
	if _, ok := msg.(*redis.Subscription); !ok {
		return ps, fmt.Errorf("subscribe: unexpected %T", msg)
	}
	now := time.Now()
	l.mu.Lock()
	for _, e := range l.entries {
		// Redis may have restarted empty: share again what this replica
		// found by itself. Leases asked of the lost connection are void.
		if e.send == opNone && e.state == breaker.Open && !e.forced && e.until.After(now) {
			e.send, e.sendUntil = opOpen, e.until
			l.dirty = true
		}
		if e.lease == leaseAsked {
			e.lease = leaseNone
		}
	}
	l.mu.Unlock()
	if err := l.flush(ctx); err != nil {
		return ps, err
	}
	res, err := readScript.Run(ctx, l.client, []string{l.openKey}).Slice()
	if err != nil {
		return ps, fmt.Errorf("read open breakers: %w", err)
	}
	now = time.Now()
	fleet := make(map[string]time.Time, len(res)/2)
	for i := 0; i+1 < len(res); i += 2 {
		name, _ := res[i].(string)
		ms, _ := res[i+1].(int64)
		if name != "" && ms > 0 {
			fleet[name] = now.Add(time.Duration(ms) * time.Millisecond)
		}
	}
	l.mu.Lock()
	l.fleet = fleet
	l.mu.Unlock()
	for name, until := range fleet {
		l.reg.ForceOpen(name, until)
	}
	l.found()
	return ps, nil
}

// serve sends changes and applies messages until Redis fails or Close.
// When nothing was heard for Timeout/2 it pings; a ping unanswered for
// Timeout means Redis is unreachable.
func (l *Link) serve(ctx context.Context, ps *redis.PubSub) error {
	heard := time.Now()
	var pinged time.Time // zero when no ping is outstanding
	for !l.closing() {
		if err := l.flush(ctx); err != nil {
			return err
		}
		msg, err := ps.ReceiveTimeout(ctx, poll)
		now := time.Now()
		if err != nil {
			if ne, ok := errors.AsType[net.Error](err); !ok || !ne.Timeout() {
				return fmt.Errorf("receive: %w", err)
			}
		} else {
			heard, pinged = now, time.Time{}
			if m, ok := msg.(*redis.Message); ok {
				l.apply(m.Payload, now)
			}
		}
		switch {
		case !pinged.IsZero() && now.Sub(pinged) > l.cfg.Timeout:
			return fmt.Errorf("no answer from Redis in %v", l.cfg.Timeout)
		case pinged.IsZero() && now.Sub(heard) > l.cfg.Timeout/2:
			if err := ps.Ping(ctx); err != nil {
				return fmt.Errorf("ping: %w", err)
			}
			pinged = now
		}
	}
	return nil
}

// apply acts on one message of the channel.
func (l *Link) apply(payload string, now time.Time) {
	m, err := parseMessage(payload)
	if err != nil {
		if !l.malformed {
			l.malformed = true
			l.cfg.Logger.Warn("ignoring a message on the channel that is not runkit's; the namespace may be shared with something else",
				"namespace", l.cfg.Namespace, "error", err.Error())
		}
		return
	}
	until := now.Add(m.left)
	l.mu.Lock()
	if m.open {
		if until.After(l.fleet[m.name]) {
			l.fleet[m.name] = until
		}
	} else {
		delete(l.fleet, m.name)
	}
	l.prune(now)
	l.mu.Unlock()
	if m.replica == l.cfg.Replica {
		return
	}
	l.m.received()
	if m.open {
		l.reg.ForceOpen(m.name, until)
	} else {
		l.reg.ForceClose(m.name)
	}
}

// prune forgets breakers of the fleet whose open time has passed once the
// map outgrows the local breakers, so that it stays bounded; l.mu is held.
func (l *Link) prune(now time.Time) {
	if len(l.fleet) <= 2*len(l.entries)+64 {
		return
	}
	for name, until := range l.fleet {
		if !until.After(now) {
			delete(l.fleet, name)
		}
	}
}

// job is one script to run for one breaker.
type job struct {
	name  string
	kind  op // opOpen, opClose, or opNone for a lease
	until time.Time
	cmd   *redis.Cmd
}

// flush sends the queued changes and lease requests in one round trip and
// acts on the answers.
func (l *Link) flush(ctx context.Context) error {
	now := time.Now()
	var jobs []job
	l.mu.Lock()
	if !l.dirty {
		l.mu.Unlock()
		return nil
	}
	l.dirty = false
	for name, e := range l.entries {
		// An open whose time passed while Redis was away is news to nobody.
		if e.send == opClose || (e.send == opOpen && e.sendUntil.Sub(now) >= time.Millisecond) {
			jobs = append(jobs, job{name: name, kind: e.send, until: e.sendUntil})
		}
		e.send = opNone
		if e.lease == leaseWanted {
			if e.state == breaker.HalfOpen {
				jobs = append(jobs, job{name: name})
				e.lease = leaseAsked
			} else {
				e.lease = leaseNone
			}
		}
	}
	l.mu.Unlock()
	if len(jobs) == 0 {
		return nil
	}
	l.busy.Store(now.UnixNano())
	defer l.busy.Store(0)
	pipe := l.client.Pipeline()
	for i := range jobs {
		j := &jobs[i]
		switch j.kind {
		case opOpen:
			left := j.until.Sub(now).Milliseconds()
			j.cmd = openScript.Eval(ctx, pipe, []string{l.openKey}, j.name, left, l.channel, l.cfg.Replica)
		case opClose:
			j.cmd = closeScript.Eval(ctx, pipe, []string{l.openKey}, j.name, l.channel, l.cfg.Replica)
		default:
			_, lease, _ := Keys(l.cfg.Namespace, j.name)
			j.cmd = leaseScript.Eval(ctx, pipe, []string{lease, l.openKey}, j.name, l.cfg.Replica, l.cfg.LeaseTTL.Milliseconds())
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		l.requeue(jobs)
		return fmt.Errorf("send changes: %w", err)
	}
	answered := time.Now()
	var forced []job
	l.mu.Lock()
	for _, j := range jobs {
		if j.kind != opNone {
			l.m.sent()
			continue
		}
		e := l.entries[j.name]
		res, err := j.cmd.Int64Slice()
		if e == nil || e.lease != leaseAsked || err != nil || len(res) != 2 {
			continue
		}
		left := time.Duration(res[1]) * time.Millisecond
		switch res[0] {
		case 0: // the fleet has it open longer: this replica's clock ran ahead
			e.lease = leaseNone
			forced = append(forced, job{name: j.name, until: answered.Add(left)})
		case 1: // counted from the request, so that it ends before Redis's
			e.lease, e.leaseAt = leaseHeld, now.Add(left)
		default:
			e.lease, e.leaseAt = leaseRefused, answered.Add(left)
		}
	}
	l.mu.Unlock()
	for _, j := range forced {
		l.reg.ForceOpen(j.name, j.until)
	}
	return nil
}

// requeue puts back the changes a failed round trip did not send, unless
// a newer change replaced them; on reconnect they go first.
func (l *Link) requeue(jobs []job) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, j := range jobs {
		e := l.entries[j.name]
		if e == nil {
			continue
		}
		if j.kind == opNone {
			if e.lease == leaseAsked {
				e.lease = leaseNone
			}
			continue
		}
		if e.send == opNone {
			e.send, e.sendUntil = j.kind, j.until
			l.dirty = true
		}
	}
}

// found marks Redis reachable, logging the return after an outage.
func (l *Link) found() {
	if l.connected.Swap(true) {
		return
	}
	l.m.connected(true)
	if l.downSince.Load() != 0 {
		l.cfg.Logger.Info("redis reachable again; circuit breakers are shared",
			"namespace", l.cfg.Namespace, "replica", l.cfg.Replica)
	}
}

// errClientClosed is Check's error when the client was closed under the
// link: Redis is not to blame, and the client will not come back.
var errClientClosed = errors.New("redisbreaker: the Redis client is closed; circuit breakers are local")

// lost marks Redis unreachable: logged once per outage and counted. Check
// reports the latest cause.
func (l *Link) lost(err error) {
	l.lastErr.Store(&err)
	first := l.downSince.Load() == 0
	if !l.connected.Swap(false) && !first {
		return
	}
	l.downSince.Store(time.Now().UnixNano())
	l.m.connected(false)
	l.m.outage()
	msg := "redis unreachable; circuit breakers are local until it returns"
	if errors.Is(err, redis.ErrClosed) {
		msg = "the redis client is closed; circuit breakers are local: close the link before its client"
	}
	l.cfg.Logger.Warn(msg, "namespace", l.cfg.Namespace, "replica", l.cfg.Replica, "error", err.Error())
}
