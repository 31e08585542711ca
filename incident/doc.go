// Package incident keeps the evidence of what went wrong, so that it is
// there in the morning: an event journal of what happened, in order, and
// a flight recorder of what the process was doing.
//
// # The journal
//
// A [Journal] keeps the service's operational events on one timeline:
// health checks and readiness changing, circuit breakers opening with
// their cause, SLO tiers starting and stopping to fire and the budget
// crossing 50%, 25% and 0%, deployments and shutdowns. Each source is wired
// with one call:
//
//	journal.WatchHealth(checker)                  // health.Checker
//	breaker.Config{OnChange: journal.BreakerChange} // a Breaker or a Transport
//	journal.WatchTracker(tracker)                 // slo.Tracker, read every 10s
//	announcer.Sinks = append(announcer.Sinks, journal.Sink()) // deploy markers
//	journal.Started(marker)                       // this process's deployment
//
// The journal is bounded: it keeps Config.Capacity events (10,000 by
// default) and drops the oldest, counting them. Recording never waits on
// anything but a short lock: the journal's own goroutine hands each event
// on to subscribers and, as an OpenTelemetry log record (event.name
// "runkit.breaker.state" and so on), to whatever log backend the
// application installed. A flapping subject (a breaker that opens and
// closes every second) is summarised: after Config.FlapLimit changes in
// Config.FlapWindow, one event with a Count stands for the rest of the
// window, so a flapping breaker cannot flush the journal.
//
// The journal is an http.Handler for /events: JSON lines for scripts, and
// for a browser a timeline page, swimlanes per source on one time axis.
package incident
