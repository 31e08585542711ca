package redisbreaker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ybiyri/runkit/breaker"
)

// The scripts read the time from Redis, so that every replica measures an
// open breaker's time against one clock, and return it first, so that a
// replica can say when its changes happened and until when they hold on
// that clock. Each touches only keys of one namespace, which share a hash
// tag.
//
// A change carries the Redis time it happened at, its version, and a
// deadline: a script that runs after its deadline (a command written to a
// Redis that was frozen, and run when it thaws) changes nothing, and a
// change no newer than the breaker's version in {ns}:version changes
// nothing either. Both answer {code, now, version, ms left}: code 1 when
// the change was made, 2 when a newer one stands (its version and time
// left, 0 when closed), 3 when it came after its deadline.
var (
	// openScript records that breaker ARGV[1] is open for ARGV[2] ms more
	// (or longer, if the fleet has it open longer), keeps the keys' TTLs
	// at the latest open, and publishes the fleet's time left.
	openScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now > tonumber(ARGV[4]) then return {3, now, 0, 0} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local cur = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if tonumber(ARGV[3]) <= cur then
  if s then return {2, now, cur, tonumber(s) - now} end
  return {2, now, cur, 0}
end
local v = math.max(cur + 1, math.min(tonumber(ARGV[3]), now))
local u = now + tonumber(ARGV[2])
if s and tonumber(s) > u then u = tonumber(s) end
redis.call('ZADD', KEYS[1], u, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], string.format('%d', v))
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[1], math.max(1, tonumber(last[2]) - now))
redis.call('PEXPIRE', KEYS[2], math.max(tonumber(ARGV[7]), tonumber(last[2]) - now))
redis.call('PUBLISH', ARGV[5], 'open ' .. string.format('%d', v) .. ' ' .. string.format('%d', u - now) .. ' ' .. ARGV[6] .. ' ' .. ARGV[1])
return {1, now, v, u - now}`)

	// closeScript forgets that breaker ARGV[1] is open, notes the close's
	// version in {ns}:closed and publishes the close. The probe lease is
	// left to expire, and a lease asked for after it is answered with the
	// close: a replica that has not heard the close yet must not probe
	// again.
	closeScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now > tonumber(ARGV[3]) then return {3, now, 0, 0} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local cur = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if tonumber(ARGV[2]) <= cur then
  local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
  if s then return {2, now, cur, tonumber(s) - now} end
  return {2, now, cur, 0}
end
local v = math.max(cur + 1, math.min(tonumber(ARGV[2]), now))
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], string.format('%d', v))
redis.call('HSET', KEYS[3], ARGV[1], string.format('%d', v))
local keep = math.max(tonumber(ARGV[6]), redis.call('PTTL', KEYS[1]))
redis.call('PEXPIRE', KEYS[2], keep)
redis.call('PEXPIRE', KEYS[3], keep)
redis.call('PUBLISH', ARGV[4], 'close ' .. string.format('%d', v) .. ' ' .. ARGV[5] .. ' ' .. ARGV[1])
return {1, now, v, 0}`)

	// leaseScript answers whether replica ARGV[2] may probe breaker
	// ARGV[1] for ARGV[3] ms: {0, now, ms} while the fleet has it open
	// that much longer, {4, now, version} when the fleet's last change is
	// a close newer than ARGV[5] (the newest version the replica knows,
	// or the time of its own open), {1, now, ms} when the lease is
	// (still) this replica's, {2, now, ms} while another replica holds it
	// that much longer, and {3, now, 0} after the deadline ARGV[4],
	// taking nothing.
	leaseScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now > tonumber(ARGV[4]) then return {3, now, 0} end
local u = redis.call('ZSCORE', KEYS[2], ARGV[1])
if u and tonumber(u) > now then return {0, now, tonumber(u) - now} end
local c = redis.call('HGET', KEYS[4], ARGV[1])
if c and tonumber(c) > tonumber(ARGV[5]) and c == redis.call('HGET', KEYS[3], ARGV[1]) then
  return {4, now, tonumber(c)}
end
local v = redis.call('GET', KEYS[1])
if (not v) or v == ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return {1, now, tonumber(ARGV[3])}
end
return {2, now, redis.call('PTTL', KEYS[1])}`)

	// readScript returns Redis's time, then the version and time left (0
	// when closed) of every breaker the fleet knows: now, name, version,
	// ms, name, version, ms...
	readScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local out = {now}
local v = redis.call('HGETALL', KEYS[2])
for i = 1, #v, 2 do
  local s = redis.call('ZSCORE', KEYS[1], v[i])
  local left = 0
  if s then left = tonumber(s) - now end
  out[#out + 1] = v[i]
  out[#out + 1] = tonumber(v[i + 1])
  out[#out + 1] = left
end
return out`)
)

// keepVersions is how long Redis keeps the breakers' versions after the
// last change, when none is open longer: past every change's deadline.
const keepVersions = 2 * MaxTimeout

const (
	minBackoff = 50 * time.Millisecond
	maxBackoff = time.Second
)

// run is the link's Redis goroutine: it connects, serves until Redis
// fails, and reconnects with backoff until Close.
func (l *Link) run() {
	defer close(l.stopped)
	backoff := minBackoff
	for {
		err := l.session()
		l.release()
		if l.closing() {
			l.connected.Store(false)
			return
		}
		if err == nil {
			backoff = minBackoff
			continue
		}
		if l.lost(err) {
			backoff = minBackoff
		}
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

// release answers the calls waiting for a lease that will not come: they
// probe on their own.
func (l *Link) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.entries {
		if e.waiter != nil {
			l.m.unleasedProbe()
			e.answer(true)
		}
		if e.lease == leaseWanted || e.lease == leaseAsked {
			e.lease = leaseNone
		}
	}
}

// received is what the reader hands the goroutine.
type received struct {
	msg any
	err error
}

// read receives from the subscription until it fails or stop is closed;
// the receive blocks, so that an idle link costs nothing.
func read(ctx context.Context, ps *redis.PubSub, in chan<- received, stop <-chan struct{}) {
	for {
		msg, err := ps.Receive(ctx)
		select {
		case in <- received{msg, err}:
		case <-stop:
			return
		}
		if err != nil {
			return
		}
	}
}

// session subscribes, reads the fleet's breakers, shares again what this
// replica found while Redis was away, and serves until Redis fails or
// Close; it returns nil only on Close.
func (l *Link) session() error {
	ctx, cancel := context.WithCancel(l.ctx)
	defer cancel()
	ps := l.client.Subscribe(ctx) // no channel yet: no round trip
	if err := l.roundTrip(ctx, func(ctx context.Context) error { return ps.Subscribe(ctx, l.channel) }); err != nil {
		// The subscribe may still hold the PubSub: close it behind it.
		l.trips.Go(func() { ps.Close() })
		return fmt.Errorf("subscribe: %w", err)
	}
	in := make(chan received, 16)
	stop := make(chan struct{})
	reading := make(chan struct{})
	go func() {
		defer close(reading)
		read(ctx, ps, in, stop)
	}()
	defer func() {
		close(stop)
		// Closing ends a receive in flight; off this goroutine, as the
		// PubSub may be busy reconnecting after an error.
		l.trips.Go(func() {
			ps.Close()
			<-reading
		})
	}()
	timer := time.NewTimer(l.cfg.Timeout)
	defer timer.Stop()
	select {
	case <-l.done:
		return nil
	case <-timer.C:
		return fmt.Errorf("subscribe: %w", errNoAnswer(l.cfg.Timeout))
	case r := <-in:
		if r.err != nil {
			return fmt.Errorf("subscribe: %w", r.err)
		}
		if _, ok := r.msg.(*redis.Subscription); !ok {
			return fmt.Errorf("subscribe: unexpected %T", r.msg)
		}
	}
	l.heardNow()
	if err := l.readFleet(ctx); err != nil {
		return err
	}
	l.found()
	return l.serve(ctx, ps, in, timer)
}

// readFleet reads the fleet's breakers and adopts what is newer than what
// this replica knows; its own opens made while Redis was away are queued
// again first, so that a newer one of them wins.
func (l *Link) readFleet(ctx context.Context) error {
	l.mu.Lock()
	for _, e := range l.entries {
		// Redis may have restarted empty: share again what this replica
		// found by itself.
		if e.send == opNone && e.state == breaker.Open && !e.forced && e.until.After(time.Now()) {
			e.send, e.sendUntil, e.sendAt = opOpen, e.until, e.at
			l.dirty = true
		}
	}
	l.mu.Unlock()
	var res []any
	err := l.roundTrip(ctx, func(ctx context.Context) error {
		var err error
		res, err = readScript.Run(ctx, l.client, []string{l.openKey, l.versionKey}).Slice()
		return err
	})
	if err != nil {
		return fmt.Errorf("read open breakers: %w", err)
	}
	answered := time.Now()
	l.heardNow()
	if len(res) == 0 {
		return errors.New("read open breakers: no time in the answer")
	}
	now, _ := res[0].(int64)
	l.clock(now, answered)
	// What Redis no longer knows, it may have lost with a restart: forget
	// those versions too, so that the changes of a Redis whose clock is
	// behind the old one's are not taken for old ones.
	l.mu.Lock()
	clear(l.fleet)
	l.mu.Unlock()
	for i := 1; i+2 < len(res); i += 3 {
		name, _ := res[i].(string)
		version, _ := res[i+1].(int64)
		ms, _ := res[i+2].(int64)
		if name == "" || version <= 0 || (ms != 0 && !validLeft(ms)) {
			l.malformedOnce("an entry of the fleet's breakers", fmt.Sprintf("%v %v %v", res[i], res[i+1], res[i+2]))
			continue
		}
		l.adopt(name, version, leftUntil(answered, ms), answered, false)
	}
	return nil
}

// leftUntil is the instant ms milliseconds after t, or zero for 0.
func leftUntil(t time.Time, ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return t.Add(time.Duration(ms) * time.Millisecond)
}

// clock notes Redis's time, in milliseconds, as of the local instant at.
func (l *Link) clock(ms int64, at time.Time) {
	if ms > 0 {
		l.clockMs, l.clockAt = ms, at
	}
}

// redisTime is the local instant t on Redis's clock, in milliseconds,
// as the last answer said it; monotonic, as t and clockAt are.
func (l *Link) redisTime(t time.Time) int64 {
	return l.clockMs + t.Sub(l.clockAt).Milliseconds()
}

// serve sends changes and applies messages until Redis fails or Close.
// It waits, with no polling and no timer, for a change to send, a
// message, or a request to ping (Check makes one when Redis has said
// nothing for Timeout): an idle link does nothing at all. A ping
// unanswered for Timeout means Redis is unreachable.
func (l *Link) serve(ctx context.Context, ps *redis.PubSub, in <-chan received, timer *time.Timer) error {
	timer.Stop()
	pinged := false
	for {
		if err := l.flush(ctx); err != nil {
			return err
		}
		select {
		case <-l.done:
			return nil
		case <-l.wake:
		case r := <-in:
			if r.err != nil {
				return fmt.Errorf("receive: %w", r.err)
			}
			now := l.heardNow()
			if pinged {
				pinged = false
				timer.Stop()
			}
			if m, ok := r.msg.(*redis.Message); ok {
				l.apply(m.Payload, now)
			}
		case <-l.pingNow:
			if pinged {
				continue
			}
			// The write is a round trip; the answer comes with the
			// messages, and the timer bounds it.
			if err := l.roundTrip(ctx, func(ctx context.Context) error { return ps.Ping(ctx) }); err != nil {
				return fmt.Errorf("ping: %w", err)
			}
			pinged = true
			timer.Reset(l.cfg.Timeout)
		case <-timer.C:
			return errNoAnswer(l.cfg.Timeout)
		}
	}
}

// errNoAnswer is a round trip's error when Redis did not answer in time.
type errNoAnswer time.Duration

func (e errNoAnswer) Error() string {
	return fmt.Sprintf("no answer from Redis in %v", time.Duration(e))
}

// roundTrip runs f, which talks to Redis, with Timeout as its deadline,
// and returns its error, or one saying Redis did not answer in time. The
// client may not honour the context's deadline (go-redis reads the socket
// with its own ReadTimeout unless ContextTimeoutEnabled is set): f runs on
// a goroutine of its own, which is left to finish behind, so that no
// client setting can hold up this one. Close waits for it.
func (l *Link) roundTrip(ctx context.Context, f func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, l.cfg.Timeout)
	defer cancel()
	done := make(chan error, 1)
	l.trips.Go(func() { done <- f(ctx) })
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		select {
		case err := <-done:
			return err
		default:
		}
		return errNoAnswer(l.cfg.Timeout)
	}
}

// heardNow notes that Redis answered, and returns when.
func (l *Link) heardNow() time.Time {
	now := time.Now()
	l.heard.Store(now.UnixNano())
	return now
}

// apply acts on one message of the channel.
func (l *Link) apply(payload string, now time.Time) {
	m, err := parseMessage(payload)
	if err != nil {
		l.malformedOnce("a message on the channel", err.Error())
		return
	}
	var until time.Time
	if m.open {
		until = now.Add(m.left)
	}
	own := m.replica == l.cfg.Replica
	if !own {
		l.m.received()
	}
	l.adopt(m.name, m.version, until, now, own)
}

// malformedOnce logs, once per link, something read from Redis that is
// not runkit's.
func (l *Link) malformedOnce(what, detail string) {
	if l.malformed {
		return
	}
	l.malformed = true
	l.log(slog.LevelWarn, "ignoring "+what+" that is not runkit's; the namespace may be shared with something else",
		"namespace", l.cfg.Namespace, "error", detail)
}

// adopt makes the fleet's state of a breaker, at a version, this
// replica's, unless it knows a newer one: its local breaker follows,
// unless a change of its own that is newer is on its way (own says the
// state is this replica's own change, which its breaker has).
func (l *Link) adopt(name string, version int64, until, now time.Time, own bool) {
	l.mu.Lock()
	if version <= l.fleet[name].version {
		l.mu.Unlock()
		return
	}
	l.fleet[name] = fleet{version: version, until: until}
	l.prune(now)
	e := l.entries[name]
	force := e != nil && !own
	if force && e.send != opNone {
		if l.redisTime(e.sendAt) > version {
			force = false // this replica's newer change will win
		} else {
			e.send = opNone // out of date
		}
	}
	l.mu.Unlock()
	if !force {
		return
	}
	if until.IsZero() {
		l.reg.ForceClose(name)
	} else {
		l.reg.ForceOpen(name, until)
	}
}

// prune forgets breakers of the fleet that are not local and not open
// once the map outgrows the local breakers, so that it stays bounded;
// l.mu is held.
func (l *Link) prune(now time.Time) {
	if len(l.fleet) <= 2*len(l.entries)+64 {
		return
	}
	for name, f := range l.fleet {
		if _, local := l.entries[name]; !local && !f.until.After(now) {
			delete(l.fleet, name)
		}
	}
}

// job is one script to run for one breaker.
type job struct {
	name  string
	kind  op // opOpen, opClose, or opNone for a lease
	until time.Time
	at    time.Time
	ttl   time.Duration // of a lease
	since int64         // of a lease: the newest version the replica knows of the breaker, or when it opened, in Redis's time
	cmd   *redis.Cmd
}

// flush sends the queued changes and lease requests in one round trip,
// with Timeout as its deadline, and acts on the answers.
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
			at := e.sendAt
			if at.IsZero() || at.After(now) {
				at = now
			}
			jobs = append(jobs, job{name: name, kind: e.send, until: e.sendUntil, at: at})
		}
		e.send = opNone
		if e.lease == leaseWanted {
			since := max(l.fleet[name].version, l.redisTime(e.openedAt))
			jobs = append(jobs, job{name: name, ttl: e.leaseTTL, since: since})
			e.lease = leaseAsked
		}
	}
	l.mu.Unlock()
	if len(jobs) == 0 {
		return nil
	}
	l.busy.Store(now.UnixNano())
	defer l.busy.Store(0)
	deadline := l.redisTime(now) + l.cfg.Timeout.Milliseconds()
	keep := keepVersions.Milliseconds()
	pipe := l.client.Pipeline()
	for i := range jobs {
		j := &jobs[i]
		switch j.kind {
		case opOpen:
			left := j.until.Sub(now).Milliseconds()
			j.cmd = openScript.Eval(ctx, pipe, []string{l.openKey, l.versionKey}, j.name, left, l.redisTime(j.at), deadline, l.channel, l.cfg.Replica, keep)
		case opClose:
			j.cmd = closeScript.Eval(ctx, pipe, []string{l.openKey, l.versionKey, l.closedKey}, j.name, l.redisTime(j.at), deadline, l.channel, l.cfg.Replica, keep)
		default:
			_, lease, _ := Keys(l.cfg.Namespace, j.name)
			ttl := j.ttl
			if ttl <= 0 {
				ttl = l.cfg.LeaseTTL
			}
			j.cmd = leaseScript.Eval(ctx, pipe, []string{lease, l.openKey, l.versionKey, l.closedKey}, j.name, l.cfg.Replica, max(ttl.Milliseconds(), 1), deadline, j.since)
		}
	}
	err := l.roundTrip(ctx, func(ctx context.Context) error {
		_, err := pipe.Exec(ctx)
		return err
	})
	if err != nil {
		l.requeue(jobs)
		return fmt.Errorf("send changes: %w", err)
	}
	answered := l.heardNow()
	var late []job
	for _, j := range jobs {
		res, err := j.cmd.Int64Slice()
		if err != nil || len(res) < 3 {
			l.malformedOnce("an answer of Redis", fmt.Sprint(res, err))
			continue
		}
		l.clock(res[1], answered)
		if j.kind == opNone {
			l.leased(j, res, now, answered)
			continue
		}
		if len(res) < 4 {
			continue
		}
		switch res[0] {
		case 1:
			l.m.sent()
			l.adopt(j.name, res[2], leftUntil(answered, res[3]), answered, true)
		case 2: // a newer change stands: this replica follows it
			if res[3] != 0 && !validLeft(res[3]) {
				l.malformedOnce("an answer of Redis", fmt.Sprint(res))
				continue
			}
			l.follow(j.name, res[2], leftUntil(answered, res[3]))
		case 3: // past its deadline by Redis's clock, which this replica now knows better
			late = append(late, j)
		}
	}
	if late != nil {
		l.requeue(late)
	}
	return nil
}

// follow forces the local breaker to the fleet's state, which refused a
// change of this replica's as older.
func (l *Link) follow(name string, version int64, until time.Time) {
	l.mu.Lock()
	if f := l.fleet[name]; version > f.version {
		l.fleet[name] = fleet{version: version, until: until}
	}
	_, local := l.entries[name]
	l.mu.Unlock()
	if !local {
		return
	}
	if until.IsZero() {
		l.reg.ForceClose(name)
	} else {
		l.reg.ForceOpen(name, until)
	}
}

// leased acts on the answer to a lease request sent at sent.
func (l *Link) leased(j job, res []int64, sent, answered time.Time) {
	left := time.Duration(res[2]) * time.Millisecond
	var forceUntil time.Time
	var closed int64
	var later chan bool // answered once the breaker is forced
	l.mu.Lock()
	e := l.entries[j.name]
	switch {
	case e == nil:
	case e.lease != leaseAsked:
		e.answer(false)
	case res[0] == 4 && res[2] > 0: // the fleet closed, and this replica has not heard yet
		closed = res[2]
		// Refused until the close is applied, which makes the lease moot.
		e.lease, e.leaseAt = leaseRefused, answered.Add(l.cfg.Timeout)
		later, e.waiter = e.waiter, nil
	case res[0] == 0 && validLeft(res[2]): // the fleet has it open longer: this replica's clock ran ahead
		forceUntil = answered.Add(left)
		e.lease, e.leaseAt = leaseRefused, forceUntil
		later, e.waiter = e.waiter, nil
	case res[0] == 0, res[0] == 4:
		e.lease = leaseNone
		e.answer(false)
	case res[0] == 1: // counted from the request, so that it ends before Redis's
		e.lease, e.leaseAt = leaseHeld, sent.Add(left)
		e.answer(true)
	case res[0] == 2:
		if res[2] <= 0 || left > j.ttl {
			left = max(j.ttl, l.cfg.LeaseTTL)
		}
		e.lease, e.leaseAt = leaseRefused, answered.Add(left)
		e.answer(false)
	default: // too late: the call that asked probes on its own
		e.lease = leaseNone
		if e.waiter != nil {
			l.m.unleasedProbe()
			e.answer(true)
		}
	}
	l.mu.Unlock()
	// The breaker is forced before the call that asked is told not to
	// probe: the calls after it go to the new state. Told first, the next
	// call could probe on the old one, where it counts for nothing.
	if !forceUntil.IsZero() {
		l.reg.ForceOpen(j.name, forceUntil)
	}
	if closed != 0 {
		l.follow(j.name, closed, time.Time{})
	}
	if later != nil {
		later <- false // one slot, one answer
	}
}

// requeue puts back the changes a round trip did not make, unless a newer
// change replaced them; on reconnect they go first. Their deadline is
// renewed when they go again; their time stays when they happened.
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
		if e.send == opNone || e.sendAt.Before(j.at) {
			e.send, e.sendUntil, e.sendAt = j.kind, j.until, j.at
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
		l.log(slog.LevelInfo, "redis reachable again; circuit breakers are shared",
			"namespace", l.cfg.Namespace, "replica", l.cfg.Replica)
	}
}

// errClientClosed is Check's error when the client was closed under the
// link: Redis is not to blame, and the client will not come back.
var errClientClosed = errors.New("redisbreaker: the Redis client is closed; circuit breakers are local")

// lost marks Redis unreachable: logged once per outage and counted, and
// reports whether this is a new outage. Check reports the latest cause.
func (l *Link) lost(err error) bool {
	l.lastErr.Store(&err)
	first := l.downSince.Load() == 0
	if !l.connected.Swap(false) && !first {
		return false
	}
	l.downSince.Store(time.Now().UnixNano())
	l.m.connected(false)
	l.m.outage()
	msg := "redis unreachable; circuit breakers are local until it returns"
	switch {
	case errors.Is(err, redis.ErrClosed):
		msg = "the redis client is closed; circuit breakers are local: close the link before its client"
	case refusedLogin(err):
		msg = "redis refused the client's credentials; circuit breakers are local until it accepts them"
	}
	l.log(slog.LevelWarn, msg, "namespace", l.cfg.Namespace, "replica", l.cfg.Replica, "error", err.Error())
	return true
}

// refusedLogin reports whether Redis refused the client's credentials.
func refusedLogin(err error) bool {
	var re redis.Error
	if !errors.As(err, &re) {
		return false
	}
	s := re.Error()
	return strings.HasPrefix(s, "WRONGPASS") || strings.HasPrefix(s, "NOAUTH") || strings.HasPrefix(s, "ERR AUTH")
}
