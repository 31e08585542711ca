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
// State changes reach Config.OnStateChange, the logger and the metrics in
// order, after gobreaker has released its lock, so a callback may call
// State; a change is reported before the call that made it returns, even
// one that panicked. Metrics go through the OpenTelemetry metric API only:
// runkit.breaker.state, runkit.breaker.calls (by outcome) and
// runkit.breaker.rejections. The state is recorded by [New], closed (0),
// so that every breaker has a series from the start, a Transport's
// per-host breaker from its host's first request; then at every change.
//
// # Zero and off
//
// In [Config], [Transport] and [Retry] a zero field means its documented
// default, and a negative one turns off what the field controls — no
// jitter, no probe deadline, no floor to the retry budget — where its
// documentation says it can be off. A field that cannot be off, such as
// OpenTimeout or Retry.BudgetRatio, rejects a negative value with an error
// naming it. A positive duration under [MinDuration] (1ms) is an error
// too: 500 written for 500ms is 500ns. [Config.Validate],
// [Transport.Validate] and [Retry.Validate] report these errors at start;
// otherwise New reports a Config's, and the first request a Transport's or
// a Retry's.
//
// # HTTP clients
//
// [Transport] keeps a breaker per host; [Retry] goes outside it:
//
//	client := &http.Client{
//		Timeout:   2 * time.Second, // the caller's deadline
//		Transport: &breaker.Retry{Base: &breaker.Transport{
//			AttemptTimeout: 500 * time.Millisecond, // the dependency's
//		}},
//	}
//
// so that every attempt passes the breaker and no retry is sent to an open
// one. A 429 or 503 with Retry-After opens the host's breaker until then,
// for no longer than Transport.MaxRetryAfter (by default the breaker's own
// open period), so that what a host asks shows in the registry and the
// metrics, and a header of years cannot lock a host out. The retry budget keeps each host's retries to a share of its recent
// requests, so they cannot multiply load during an outage.
//
// Two deadlines meet in a request, and they mean different things. The
// caller's — http.Client.Timeout or the request context's deadline — ends
// when the caller stops waiting; an attempt cut off by it counts neither
// way, so impatient callers cannot open a breaker on a dependency that is
// merely slower than them. The dependency's is Transport.AttemptTimeout
// (10 seconds unless set), applied inside the breaker to each attempt until
// its response headers arrive; running out of it is a failure of the host.
// The rule of thumb: set AttemptTimeout below the client's timeout — with
// Retry, so that MaxAttempts attempts and their backoff fit within it — or
// a hung host is only ever seen as callers giving up, and its breaker never
// opens.
//
// # Servers and health
//
// [RateLimit] answers 429 with Retry-After over a global or per-key limit.
// [Registry.Check] fails while any breaker is open; it has the shape of a
// health check's Func, so a service shows open breakers as a non-critical
// readiness check without this package importing health.
//
// # Across replicas
//
// A [Registry] may carry a [Link], which hears of every change of its
// breakers' states and is asked before each half-open probe, and which
// imposes what other replicas found with [Registry.ForceOpen] and
// [Registry.ForceClose]. Package breaker/redisbreaker provides one over
// Redis, so that one replica's breaker opening opens the fleet's and the
// fleet probes a recovering dependency once, while every call is still
// decided locally.
package breaker
