// Package health serves Kubernetes health probes that never hang, never leak
// and never report up before it is proven.
//
// A [Checker] (from [New], or the zero value) holds [Check] values and
// serves them through [Checker.Handler] as /livez, /readyz, /startupz and
// /healthz, in the health+json format of the IETF draft "Health Check
// Response Format for HTTP APIs":
//
//	c := health.New()
//	defer c.Close()
//	c.Register(health.Check{Name: "db", Func: db.PingContext})
//	mux.Handle("/", c.Handler())
//	health.Serve(ctx, srv, c, health.ServeConfig{})
//
// # Probes
//
// Each check answers for one or more probes. A check with no Probes answers
// for readiness only: liveness restarts the process, and a process restarted
// because its database is down comes back to the same database. Put only
// checks of the process itself (a deadlock detector, a full disk for its
// scratch files) under [Liveness].
//
// A [Critical] check that fails makes its probe fail with HTTP 503; a
// [NonCritical] one makes it warn, which still answers 200. Before its first
// result a check is [StatusUnknown], which fails readiness and startup.
// FailureThreshold and SuccessThreshold add hysteresis: fail after N
// failures in a row, recover after M successes.
//
// # Execution
//
// An on-demand check (Interval zero) runs when a probe needs it and its last
// result is older than CacheTTL. Concurrent probes share the one run in
// flight, so a burst of probes reaches the dependency once. A periodic check
// (Interval > 0) runs in its own goroutine and probes only read its last
// result. A probe starts all the runs it needs before it waits, so it takes
// as long as its slowest check.
//
// Every run is held to the check's Timeout: 800ms by default, below the
// kubelet's default probe timeout of one second, and never over
// [MaxTimeout] (a minute). A probe waits for an on-demand check until its
// Timeout or until the prober gives up, whichever comes first, so a
// Timeout longer than the probe's costs an explanation, never a hung
// handler. Durations written without a unit (Interval: 5) fall below
// [MinInterval], [MinTimeout] or [MinCacheTTL] and are refused by
// [Checker.Register]. A check that ignores its context is
// reported as timed out at its deadline, and no new run of it starts until
// it returns: however often it is probed, it holds one goroutine. A check
// that panics is a failure carrying a [PanicError]; the process goes on.
//
// # What responses show
//
// By default a response says only {"status":"pass"}, "warn" or "fail".
// Probe endpoints are often reachable from more places than the service's
// own operators, and a list of checks is a map of the service's
// dependencies, so per-check detail (?verbose) appears only when the
// service allows it with [WithVerbose]. Error text is more sensitive still —
// it names hosts, users and sometimes queries — so a check's "output" is
// included only when the [WithAuthorizer] hook approves the request.
//
// # Shutting down
//
// When Kubernetes terminates a pod it sends SIGTERM and, at the same time,
// starts removing the pod from its endpoints, which takes seconds. A server
// that stops at once drops the requests still routed to it. [Checker.Drain]
// turns readiness to fail while liveness keeps its status; [Serve] runs an
// http.Server and, on SIGTERM, SIGINT or the end of its context, drains,
// keeps serving for a drain delay, and then shuts the server down with a
// deadline. ServeConfig.Signals chooses other signals; [NoSignals] (an
// empty list) listens for none, for a program that handles signals itself
// and ends the context.
//
// # Observing
//
// [Checker.Subscribe] and [WithListener] deliver every [Change] outside
// the checker's locks; its [ChangeKind] says whether a check was added or
// removed, a check's status changed, or draining began. Metrics go through the OpenTelemetry metric API only:
// runkit.health.check.status (1 pass, 0 fail) and
// runkit.health.check.duration (seconds), with the attribute check=NAME.
// They are no-ops until the application installs an SDK.
//
// Ready-made checks live in package [github.com/ybiyri/runkit/health/checks];
// the gRPC health protocol is served from the same checker by package
// [github.com/ybiyri/runkit/health/grpchealth].
package health
