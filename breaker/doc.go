// Package breaker stops one sick dependency from taking a service down:
// circuit breakers on sony/gobreaker v2, a per-host HTTP transport, retries
// within a budget, and load shedding on x/time/rate.
//
// # Breakers
//
// [New] returns a [Breaker] whose defaults suit a production service: it
// counts calls over a rolling one-minute window and trips when half of them
// fail once 20 were counted, or after 10 failures in a row; it stays open
// 30 seconds lengthened by up to 20% of jitter, so that replicas opened by
// the same outage do not probe in step; half-open, it lets 3 probes
// through, each held to a 5-second deadline so that a hung probe cannot
// keep it half-open.
//
// [Breaker.Execute] takes the caller's context. A call that fails because
// that context ended — the caller gave up — says nothing about the
// dependency and counts neither way; a dependency's own timeout is a
// failure. A rejected call returns an [*OpenError] matching [ErrOpen] that
// names the breaker and says when it next tries.
//
// State changes reach Config.OnStateChange, the logger and the metrics
// after gobreaker has released its lock, so a callback may call State.
// Metrics go through the OpenTelemetry metric API only:
// runkit.breaker.state, runkit.breaker.calls (by outcome) and
// runkit.breaker.rejections.
//
// # HTTP clients
//
// [Transport] keeps a breaker per host; [Retry] goes outside it:
//
//	client := &http.Client{Transport: &breaker.Retry{Base: &breaker.Transport{}}}
//
// so that every attempt passes the breaker and no retry is sent to an open
// one. The retry budget keeps retries to a share of requests, so they
// cannot multiply load during an outage.
//
// # Servers and health
//
// [RateLimit] answers 429 with Retry-After over a global or per-key limit.
// [Registry.Check] fails while any breaker is open; it has the shape of a
// health check's Func, so a service shows open breakers as a non-critical
// readiness check without this package importing health.
package breaker
