// Package redisbreaker shares circuit breakers' state changes across the
// replicas of a service through Redis, so that one replica's discovery
// protects the fleet, while every call is still decided by the local
// breaker with no network round trip.
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
//     [Config.LeaseTTL], which may not be longer than the breakers'
//     OpenTimeout); the others refuse their calls meanwhile, as if their
//     probes were in flight. The fleet sends HalfOpenProbes probes, not
//     HalfOpenProbes per replica.
//   - When the holder's probes close its breaker, the close is published
//     and the others close. When a probe fails, its open is published.
//
// The slack on the number of probes: a replica that probes without the
// lease — Redis unreachable, or the lease's answer later than
// [Config.Timeout] (counted in runkit.breaker.shared.unleased) — may
// add HalfOpenProbes, and so may a replica that takes over a lease its
// holder let expire before it decided.
//
// Times cross the wire as time left, and Redis scripts measure them with
// Redis's clock, so replicas whose clocks disagree still agree.
//
// # Redis is never in the way
//
// The breakers' hooks only queue: all exchanges with Redis happen on one
// goroutine per registry, owned by the [Link] and stopped by [Link.Close].
// The queue holds the latest change per breaker, so it is bounded by the
// number of breakers. A change leaves within about 10 ms, a round trip
// to Redis in flight permitting (the goroutine reads the channel in 10 ms
// slices between sends); from one replica's open to another's, the tests
// hold the p99 within 100 ms on loopback.
//
// When Redis is down, slow or partitioned — a command or a ping left
// unanswered for [Config.Timeout] — the breakers are plain local breakers:
// the link logs once, counts runkit.breaker.shared.outages, sets
// runkit.breaker.shared.connected to 0, and reconnects on its own with
// backoff. Back, it shares again what its breakers found meanwhile and
// reads what the fleet has open. [Link.Check] fails meanwhile, with the
// cause; it has the shape of a health check's Func, to wire as a
// non-critical readiness check. [Config.Timeout] is at least
// [MinTimeout], so that a healthy Redis never seems unreachable.
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
//	{ns}:probe:<name>    string with a TTL: the replica that holds the probe lease
//	{ns}:changes         pub/sub channel: "open <ms left> <replica> <name>", "close <replica> <name>"
//
// The hash tag {ns} keeps them on one node of a Redis Cluster. The scripts
// read Redis's TIME before they write, which needs Redis 5 or later; the
// tests run against Debian's redis-server.
//
// # The client
//
// The client is the caller's [redis.UniversalClient], so that a cluster or
// sentinel setup works as configured; its dial, read and write timeouts
// bound each command. [New] refuses a nil client, typed or not; the
// caller closes the client, after [Link.Close]. The client's password
// shows in no log line and no error.
package redisbreaker
