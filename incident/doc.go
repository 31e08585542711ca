// Package incident keeps the evidence of what went wrong, so that it is
// there in the morning: an event journal of what happened, in order, and
// a flight recorder of what the process was doing.
//
// # The journal
//
// A [Journal] keeps the service's operational events on one timeline:
// health checks and readiness changing, circuit breakers changing state
// with their cause, SLO tiers starting and stopping to fire and the
// budget crossing 50%, 25% and 0%, deployments and shutdowns. Each source
// is wired with one call:
//
//	defer journal.WatchHealth(checker)()                        // health.Checker
//	breaker.Config{OnChange: journal.BreakerChange}             // a Breaker, or a Transport's template
//	journal.WatchTracker(tracker)                               // slo.Tracker, read every 10s
//	announcer.Sinks = append(announcer.Sinks, journal.Sink())   // deploy markers
//	journal.Started(marker)                                     // this process's deployment
//
// or all but the breakers at once, with [Journal.Watch] and [Sources].
//
// The journal is bounded: it keeps Config.Capacity events (10,000 by
// default) and drops the oldest, counting them in [Journal.Dropped].
// Recording never waits on anything but a short lock held for a copy: the
// journal's own goroutine hands each event on to subscribers and, as an
// OpenTelemetry event record (event.name "runkit.breaker.state" and so
// on, with the event's fields as attributes), to whatever log backend the
// application installed. The same goroutine reads the watched trackers
// every Config.EvaluateEvery, so an SLO costs the request path nothing.
//
// A flapping subject (a breaker opening and closing every second) is
// summarised rather than allowed to flush the journal: after
// Config.FlapLimit changes of one subject within Config.FlapWindow of its
// first, further changes are only counted, and when the window has passed
// one event with a Count, the last state and a cause starting
// "flapping:" stands for them all.
//
// The journal is an http.Handler for /events: JSON lines for scripts
// (filtered by since, until and kind), and for a browser a timeline page,
// swimlanes per source on one time axis, open breakers, failing readiness
// and firing tiers as bars, deployments as lines. The page runs no script
// and loads nothing, under the same Content-Security-Policy as the SLO
// page.
//
// # The flight recorder
//
// A [Recorder] keeps the runtime's flight recorder (runtime/trace) running
// with a window of DefaultMinAge, and writes a [Snapshot] when a page
// tier starts firing, a breaker opens, readiness goes from pass to fail
// (not because the service drains: a routine restart is no incident),
// its Middleware recovers a panic, or the service calls
// [Recorder.Snapshot]: the execution trace (go tool trace trace.out, the
// trigger marked by a log of category "runkit.incident"), a goroutine
// dump, a heap profile, the journal's events and a manifest. Snapshots are
// written on the recorder's goroutine into a hidden directory renamed
// into place when complete, limited to one per trigger kind every
// RecorderConfig.MinInterval, and bounded on disk by count and bytes. The
// runtime allows one flight recorder: a second [NewRecorder] gets
// [ErrRecorderActive]. Serving snapshots over HTTP ([Recorder.Handler])
// is off unless RecorderConfig.Authorize is set.
//
// # Incidents from alerts
//
// A [Receiver] is an http.Handler for Alertmanager's webhook (payload
// version 4) that turns runkit's SLO burn-rate alerts ([BurnAlert], with
// an slo label) into incident [Record]s: opened at the first firing alert
// of an SLO, service and environment, restored when the last of its
// alerts resolves, attributed to the last deployment before it
// ([Attribute]). It is idempotent under Alertmanager's retries and
// repeats, appends every change to a file synced before it answers, and
// rebuilds its state from that file when restarted. The file is what
// runkit dora --incidents reads ([ReadRecords]).
//
// # Many services
//
// A [Timeline] draws the events of several services' journals, their
// deployment markers ([MarkerEvent]) and incidents ([Record.Events]) on
// the journal's page, with one swimlane per service: what runkit
// timeline writes.
//
// With the recorder running, serving small HTTP requests over loopback
// took 1.04× the CPU per request it took without (medians of five runs of
// BenchmarkHTTPRecorderOn against BenchmarkHTTPRecorderOff on two cores).
// A snapshot of the default window of a process serving HTTP as fast as
// it can is about 10 MB, written in about 0.1 s.
package incident
