// Package slo computes error budgets exactly, alerts on how fast they burn,
// and tracks them live in a service.
//
// # The math
//
// An [Objective] promises that a share Target of events is good over a
// Window. Everything else follows from the error budget:
//
//	budget      = 1 - Target                  (0.999 → 0.001)
//	allowed bad = budget × total events
//	downtime    = budget × window length      (0.999 over 30d → 43m12s)
//	nines       = -log10(budget)
//	SLI         = good / total
//	error rate  = (total - good) / total
//	consumed    = error rate / budget         (share of the budget spent)
//	remaining   = 1 - consumed                (below zero when missed; never clamped)
//	burn rate   = error rate / budget         (1 spends the budget exactly over the window)
//	exhausts in = remaining / burn rate × window length
//
// A worked example: checkout promises 99.9% over 30 days and served
// 1,000,000 requests, 999,500 of them good. The budget is 0.001, so 1,000
// requests may fail; 500 did, so half the budget is consumed and half
// remains. The error rate 0.0005 is a burn rate of 0.5: at this pace the
// remaining half lasts 0.5 / 0.5 × 30 days = 30 days.
//
// With no events at all, [Status].NoData is set and nothing is NaN: a
// quiet night neither consumes budget nor breaks a dashboard.
//
// Targets and windows parse from the forms people write ([ParseTarget]:
// "99.9%", "99.95", "0.999"; [ParseWindow]: "30d", "4w", "1h30m",
// "month"). The budget is rounded to 15 decimal places, so the budget of
// 99.9% is 0.001 and not 0.0010000000000000009.
//
// # Windows and methods
//
// A [Window] is rolling ("the last 30 days") or a calendar month, quarter
// or year in a time zone, with the calendar's real lengths. The
// [Occurrences] method counts events; [Timeslices] counts slices of time
// (one minute by default), a slice being good when its own ratio meets
// SliceTarget, and the budget being a share of all the window's slices, as
// OpenSLO defines them. A short full outage early in the window consumes a
// timeslice budget far more slowly than an occurrences one. The error rate
// and burn rate of timeslices are over the slices elapsed so far
// ([Objective.EvaluateSlices]), so 40 bad minutes in the first hour of a
// 30-day window burn at 40/60 / 0.001 ≈ 667 and exhaust the rest of the
// budget in under five minutes.
//
// # Burn-rate alerts
//
// A [Policy] holds multi-window, multi-burn-rate tiers (Google SRE
// Workbook, "Alerting on SLOs"). A [Tier] guards a share of the budget over
// a long window; it fires when the burn rate over both its long window and
// its short window (long / 12 by default) exceeds
//
//	threshold = share × window length / long window
//
// [DefaultPolicy] pages at 2% of the budget in 1h (threshold 14.4 for 30
// days) or 5% in 6h (6), and tickets at 10% in 1d (3) or 10% in 3d (1).
// A tier whose threshold × budget is 1 or more could never fire;
// [Policy.Validate] rejects it rather than leave a pager that cannot ring.
// A tier whose threshold is under 1 would fire while the objective is met
// (a burn rate under 1 leaves budget over at the end of the window), and
// Validate rejects that too. The thresholds scale with the window, so a
// [Tracker] given no policy, which did not choose the default, keeps the
// default tiers that suit its objective ([DefaultPolicyFor]) and names the
// others, with the reason, in [TrackerStatus].OmittedTiers and in its JSON:
// a 30-day objective of 90% keeps the 6h, 1d and 3d tiers and omits the 1h
// one, which would need an error rate of 144%; a 28-day one of 99.9% omits
// the 3-day ticket, whose threshold is 0.933.
//
// # Tracking in a service
//
// A [Tracker] records events into time buckets: one-minute buckets (by
// default) as far back as the burn-rate tiers need them exactly, 6 hours
// for the default policy, and coarser ones beyond, so that a 30-day
// objective takes under 64 KiB (see [TrackerConfig].Resolution for the
// layout and its error). Recording is O(1), lock-free and
// allocation-free. [Tracker.StatusAt] sums the buckets once for the whole
// window and every tier's windows.
// Every method that reads the clock has an At form that takes the time, so
// tests drive it without sleeping; its clock (TrackerConfig.Now) stands for
// the present. An event older than the window is dropped, and one whose
// bucket starts more than [MaxSkew] past the clock is refused; each is
// counted ([TrackerStatus] Dropped and Future), and neither disturbs the
// events of the window. The
// buckets of a calendar window start at midnight in its zone, so no
// bucket holds events of two windows.
// [Middleware] records HTTP requests (5xx, or slower than the tracker's
// Latency, as bad) on the tracker's clock, and [Tracker.Handler] serves
// the status as JSON, with the window as [ParseWindow] reads it ("30d",
// "month") and a calendar window's zone. The JSON is [TrackerStatus]'s
// own: a status written and read back is the status written, field by
// field, so deploy's gate, runkit slo status and the page read the status
// the tracker made.
//
// # Per-route objectives
//
// [Routes] applies one objective per route: its middleware, around the
// mux or a handler inside it, takes each request's route from the pattern
// the mux matched without its host ("POST /checkout": telemetry's
// http.route, with the method), and records it into the route's tracker, made on
// the route's first request or at once for the routes listed
// ([RoutesConfig].Routes). A route may have its own target or latency
// threshold ([RoutesConfig].Overrides, by route as the mux's pattern
// without its host; [NewRoutes] refuses one no request can have, such as
// "checkout" or "POST example.com/checkout"). At most MaxRoutes routes get a
// tracker (64 by default; a 30-day objective's tracker takes under 64
// KiB); the requests of any other route go to [OverflowRoute] and are
// counted, so a scanner requesting random paths cannot grow memory, and
// requests that match no pattern share [NoRoute]. [Routes.Handler] serves
// every route's status, worst first, as a JSON array of [TrackerStatus]
// with its route, which deploy's gate and runkit slo status read, or as a page
// with a card per route; the events counter carries the route as an
// attribute.
//
// The middleware goes inside or outside telemetry's Middleware alike:
// otelhttp hands the mux a copy of the request, and telemetry passes the
// pattern out of it. Any other middleware that copies the request goes
// outside [Routes.Middleware], which wraps the mux directly: between them
// it would hide every route, and [Routes.Unrouted] counts the answered
// requests recorded under NoRoute for want of one, the first logged to
// [RoutesConfig].Logger with that fix.
//
// # After a restart
//
// A tracker knows only what it has seen since it started (or since its
// oldest event, when events older than its start are recorded into it):
// [TrackerStatus].Observed is that span of the window so far, and
// ObservedShare its share, in the JSON as observed (and observedSeconds)
// and observedShare. Right after a restart a rolling window is mostly unseen,
// and the few events seen are no measure of a budget that is a share of
// the whole window's events. So, for [Occurrences], a tracker judges the
// budget against the events the whole window would hold at the observed
// rate:
//
//	observed share = observed / window so far   (the whole window when rolling)
//	allowed bad    = budget × total / observed share
//	consumed       = burn rate × observed share
//
// and once the whole window is observed this is the formula above. A
// worked example: checkout promises 99.5% over 28 days, restarts halfway
// through the window, and an hour later has served 200 requests, 2 of them
// bad. It has observed 1h of 672h, a share of 0.15%; at that rate the
// window holds 200 × 672 = 134,400 requests, of which 672 may fail. The 2
// that did consume 2 / 672 = 0.3% of the budget, and 99.7% remains. The
// burn rate is 2 (1% of requests failing against a budget of 0.5%), under
// the 13.44 of the 1-hour page tier, so no tier fires, the page says
// "Within budget", and deploy.Gate lets deploys through. Judged against
// the 200 requests alone, the 2 failures would be twice the budget: the
// budget "spent", "6h 43m of full downtime", on the evidence of one hour.
//
// A budget is therefore called spent only when the bad events seen are at
// least the budget of the whole window at the observed rate: a burn rate
// of at least 1 / observed share, which for this objective takes, at 100%
// errors, at least 3h 21m 36s of the window (the downtime it allows). The
// burn-rate tiers judge the pace from the first minute, on the events
// seen, exactly as before. What happened before the restart is not in the
// process at all: the budget counts what the bad events seen spent of
// it, and the fleet's view over the whole window is Prometheus's (see
// Across the fleet). [Timeslices] budgets are a share of all the
// window's slices already, and are judged as before. A tracker that has
// seen no events still reports NoData, and deploy.Gate still refuses then.
//
// # Pages
//
// [Tracker.Handler] serves the same status as a page to a browser: a
// request whose Accept header prefers text/html gets HTML, any other the
// JSON report, unchanged. [NewDashboard] puts several trackers on one
// page. For each objective the page draws the budget burn-down over the
// window ([Tracker.BurnDownAt]: one point per group of buckets, the last
// equal to the status's Remaining) against the ideal straight line that
// spends the budget evenly, and projects when the budget runs out at the
// current burn rate. It shows each alert tier's burn rate over its long
// and short windows against the threshold, marking the tiers that fire,
// and the SLI and the budget in events and in time. With no events it
// says "No data" in words. The charts are SVG drawn on the server, each
// with a text alternative and a table of its points. The page has no
// script and loads nothing (its Content-Security-Policy forbids it),
// reloads itself through a meta refresh, escapes every name, and fits a
// phone's width as well as a laptop's.
//
// # Across the fleet
//
// A tracker sees one process, and starts empty at every deploy. Every
// tracker also adds each event it accepts to one OpenTelemetry counter,
// [EventsMetric], with attributes slo and outcome (and route, for
// [Routes]); a service that sets up
// package telemetry exports it with its other metrics, and Prometheus sees
//
//	runkit_slo_events_total{slo="checkout",outcome="good"}
//	runkit_slo_events_total{slo="checkout",outcome="bad"}
//
// from every replica. Both series start at zero when the tracker is made.
// Package [github.com/ybiyri/runkit/slo/promrules] turns the same
// [Objective] into Prometheus rules that sum these across replicas and
// page on the tiers [DefaultPolicyFor] keeps, and package
// [github.com/ybiyri/runkit/slo/openslo] reads and writes the objective as
// an OpenSLO v1 file.
//
// Package [github.com/ybiyri/runkit/slo/slotest] runs traffic patterns
// through an objective inside a unit test.
package slo
