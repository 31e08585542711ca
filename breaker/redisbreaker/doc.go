// Package redisbreaker shares circuit breakers' state changes across the
// replicas of a service through Redis, so that one replica's discovery
// protects the fleet, while every call is still decided by the local
// breaker with no network round trip, but for the one call a half-open
// breaker lets ask for the fleet's probe lease.
//
// # What is shared
//
// [New] links the breakers of a [breaker.Registry], including the per-host
// breakers of a [breaker.Transport] that has the registry, to the breakers
// of the same name in the replicas that use the same Redis and
// [Config.Namespace]:
//
//   - When a breaker opens by itself, its time left is published; the
//     others open for that time (or keep a longer open they have). A
//     replica that starts or reconnects later reads the open breakers
//     from a sorted set whose TTL ends with the last of them, so a
//     breaker it creates while the fleet has it open starts open.
//   - When an open time ends, a half-open breaker probes only while its
//     replica holds the fleet's probe lease for it (SET with a TTL of
//     [Config.LeaseTTL], held at most the breaker's own OpenTimeout); the
//     others refuse their calls meanwhile, as if their probes were in
//     flight. The call that finds no lease asks for it and waits for the
//     answer, a round trip (at most Timeout, after which it probes on its
//     own), so that the call that wins the lease is the probe: a replica
//     that calls once a minute cannot take the lease and leave the fleet
//     without a probe, and the fleet's first probe starts with the first
//     call after the open time, at any mix of rates. The fleet sends
//     HalfOpenProbes probes, not HalfOpenProbes per replica; the holder
//     sends them at its own rate, until its lease ends.
//   - When the holder's probes close its breaker, the close is published
//     and the others close. A replica whose own open time ends before the
//     close's message reaches it asks for the lease and is answered with
//     the close, so it closes rather than probe the healthy dependency
//     again. When a probe fails, its open is published.
//
// The slack on the number of probes: a replica that probes without the
// lease — Redis unreachable, or the lease's answer later than
// [Config.Timeout] (counted in runkit.breaker.shared.unleased) — may
// add HalfOpenProbes, and so may a replica that takes over a lease its
// holder let expire before it decided.
//
// # Order
//
// Each breaker's shared state has a version: the Redis time, in
// milliseconds, of the change that made it, kept in {ns}:version. A
// change carries the time it happened (measured on the replica's clock,
// told in Redis's), and Redis makes it only if it is newer than the
// version: a close that arrives late does not undo an open another replica
// made after it, and the replica that sent it follows that open. Messages
// and the state read at connect carry the version too, and a replica keeps
// the newest it has heard of. A change also carries a deadline, Timeout
// after it is sent: Redis frozen while a change is on its way runs it when
// it thaws, and a change past its deadline then changes nothing, so that a
// replica's open from before the freeze does not open the fleet after it.
// Every time left read from Redis, at connect as in messages, is held to
// one year; an entry over it is ignored and logged.
//
// Times cross the wire as time left, and Redis scripts measure them with
// Redis's clock, so replicas whose clocks disagree still agree.
//
// # Redis is never in the way
//
// The breakers' hooks only queue: all exchanges with Redis happen on the
// goroutines of the [Link], stopped by [Link.Close] — one that sends and
// applies changes, one that waits on the subscription, and one that runs
// the OnStateChange and Logger of the changes other replicas forced, so
// that a slow callback holds up neither; each round trip runs on a
// goroutine of its own, which the first waits for at most Timeout, so
// that a client whose timeouts are longer cannot hold it up either. The
// number of goroutines does not grow with the number of breakers. The
// queue holds the latest change per breaker, so it is bounded by the
// number of breakers. A change leaves as soon as the goroutine is free:
// nothing polls. From one replica's open to another's, the tests measure
// over 100 trips on loopback a median of 0.6–1.7ms and a p99 of 1.3–31ms
// (2 shared cores, with and without the race detector), and hold the p99
// within 100ms.
//
// An idle link costs nothing: with no change to share, nothing received
// and no Check, its goroutines wait without a timer. A test keeps it with
// two replica processes idle side by side for ten seconds, one linked and
// one not: the linked one makes at most 1.5 times the allocations of the
// other and spends at most 1.5 times its CPU, give or take, each second,
// one allocation and 1ms of the runtime's own noise (both make 0–6
// allocations and spend 6–15ms of CPU a minute). The link used to poll
// every 10ms: 0.85s of CPU a minute and 500 allocations a second.
//
// When Redis is down, slow or partitioned — a command or a ping left
// unanswered for [Config.Timeout] — the breakers are plain local breakers:
// the link logs once, counts runkit.breaker.shared.outages, sets
// runkit.breaker.shared.connected to 0, and reconnects on its own with
// backoff. Every round trip carries Timeout as its deadline, whatever the
// client's own timeouts, so a change that meets a frozen Redis finds it
// out within Timeout. An idle link learns of a broken connection from
// the subscription at once; of a Redis that froze, through [Link.Check],
// which pings when Redis has said nothing for Timeout: wired as a
// readiness check, it fails within twice Timeout and a probe period. A
// refused password is logged as such. Back, the link shares again what
// its breakers found meanwhile and reads the fleet's breakers. Check
// fails meanwhile, with the cause and how long Redis has been silent; it
// has the shape of a health check's Func, to wire as a non-critical
// readiness check. [Config.Timeout] is at least [MinTimeout], so that a
// healthy Redis never seems unreachable.
//
// # Metrics
//
// Through the OpenTelemetry metric API, each with the attribute namespace:
// runkit.breaker.shared.connected (1 shared, 0 local, from New on),
// runkit.breaker.shared.outages, runkit.breaker.shared.changes (by
// direction, sent or received) and runkit.breaker.shared.unleased. The
// telemetry package's table gives their Prometheus names.
//
// # Keys
//
// For namespace ns (default "runkit:breaker"), as [Keys] returns them:
//
//	{ns}:open            sorted set: breaker name → when it is open until (Redis time, ms)
//	{ns}:version         hash: breaker name → the version of its state (Redis time, ms)
//	{ns}:closed          hash: breaker name → the version of its last close
//	{ns}:probe:<name>    string with a TTL: the replica that holds the probe lease
//	{ns}:changes         pub/sub channel: "open <version> <ms left> <replica> <name>", "close <version> <replica> <name>"
//
// The hash tag {ns} keeps them on one node of a Redis Cluster. The scripts
// read Redis's TIME before they write, which needs Redis 5 or later; the
// tests run against Debian's redis-server.
//
// # The client
//
// The client is the caller's [redis.UniversalClient], so that a cluster or
// sentinel setup works as configured; Timeout bounds how long the link
// waits on each command, and the client's dial, read and write timeouts
// how long a command it gave up on may hold a connection. [New] refuses a nil client, typed or not; the
// caller closes the client, after [Link.Close]. The client's password
// shows in no log line and no error.
package redisbreaker
