// Package promrules writes Prometheus recording and alerting rules for
// service level objectives: the fleet-wide view of the same slo.Objective a
// unit test and an in-process slo.Tracker use, with the same math. The
// file works in Prometheus and in what runs the same rule files across a
// fleet (Thanos, Mimir, Cortex, VictoriaMetrics); `promtool check rules`
// and `promtool test rules` accept it.
//
// # Sources
//
// [Events] (the default) reads runkit_slo_events_total, the counter every
// replica's slo.Tracker exports through OpenTelemetry, labelled slo and
// outcome. [Ratio] reads bad (or good) and total events from PromQL.
// [Latency] reads a histogram, http_server_request_duration_seconds by
// default, counting an event good when it took at most a threshold that
// must be a bucket boundary; le is matched as Prometheus 2 and 3 both
// write it ("1" and "1.0"). The ratioMetric of an OpenSLO file is a Ratio:
// Indicator.PromQL of package [github.com/ybiyri/runkit/slo/openslo]
// returns its queries.
//
// # The rules
//
// Each SLO gets one group, runkit-slo-NAME, sorted by name, followed by
// its group of recorded events, runkit-step-NAME (see below).
// Above it, a comment line per default tier the SLO's rules leave out
// (with no Policy, the tiers slo.DefaultPolicyFor omits) says which and
// why, as [OmittedNote] writes it: over 28 days, the 3-day ticket.
// Every rule carries the label slo="NAME", the SLO's Labels and its
// Service as service="…": SLOs are named within a service, so two
// services' SLOs of one name keep apart in one Prometheus. For each
// window W the policy uses (each tier's long and short window) and the
// objective's window, with K the labels kept (SLO.Keep):
//
//	runkit:slo_errors:ratio_rateW =
//	  (sum by (K) (increase(BAD[W])) or 0 * sum by (K) (increase(TOTAL[W])))
//	  / (sum by (K) (increase(TOTAL[W])) > 0)
//
// the error ratio over W, traffic-weighted across every replica (events
// summed first, then divided; never an average of ratios). A source that
// counts good events uses TOTAL - GOOD for BAD. A Ratio's template over
// {{.window}} takes the place of increase(…[W]) there, filled in and
// summed the same way; its two sides must be counted alike (see [Ratio]).
// With no events in W there is no sample rather than 0/0, so no
// comparison fires on a quiet night; "or 0 * …" reads a bad counter that
// no replica has created yet as zero.
//
// A window of [Long] (a day) or more would read a day to a month of every
// counter at every evaluation. Instead a second group, runkit-step-NAME,
// evaluated once a [Step] (5m), records the events of each Step,
//
//	runkit:slo_events_bad:increase5m   = sum by (K) (increase(BAD[5m])) or 0 * …
//	runkit:slo_events_total:increase5m = sum by (K) (increase(TOTAL[5m]))
//
// consecutive Steps, so that their sum over W is W's events, and
//
//	runkit:slo_errors:ratio_rateW =
//	  sum_over_time(runkit:slo_events_bad:increase5m[W])
//	  / (sum_over_time(runkit:slo_events_total:increase5m[W]) > 0)
//
// still events summed first, then divided: traffic-weighted, and the
// same as the raw counters' ratio to a Step's resolution (a test keeps
// it within 0.1%). A 30-day window reads 8,640 samples per kept group,
// not every sample of every replica's counters. A Ratio's template is
// recorded over a Step as written, so a template of rate() records
// per-second rates, not counts: their sums over W are W's events over
// 300 on both sides, and the ratio is the same. The recorded events
// start when the rules are first loaded: until then the long windows hold
// only what was recorded since (backfill them with `promtool tsdb
// create-blocks-from rules`), or set Config.RawWindows to read every
// window from the raw counters, as before.
//
// Then the numbers a dashboard computes with: the budget left, the
// objective, and how fast the budget burns now and over the whole window.
//
// # The series
//
// Every series carries slo="NAME", the SLO's Labels and service; those marked K
// carry the labels kept too, one series per kept group. BUDGET is
// 1 - target, written as a number, and SHORTEST the shortest window the
// policy reads (5m for the default tiers).
//
//	series                                 value
//	runkit:slo_errors:ratio_rateW       K  the error ratio over W, for each window W (above)
//	runkit:slo_events_bad:increase5m    K  the bad events of each Step (group runkit-step-NAME)
//	runkit:slo_events_total:increase5m  K  all events of each Step (group runkit-step-NAME)
//	runkit:slo_budget_remaining:ratio   K  1 - ratio_rate<window> / BUDGET: the share of the
//	                                       budget left, below zero once it is spent
//	runkit:slo_current_burn_rate:ratio  K  ratio_rate<SHORTEST> / BUDGET: 10 spends the
//	                                       budget ten times as fast as the window allows
//	runkit:slo_period_burn_rate:ratio   K  ratio_rate<window> / BUDGET: over 1, the
//	                                       objective is missed
//	runkit:slo_objective:ratio             the target, 0.999
//	runkit:slo_error_budget:ratio          BUDGET, 0.001
//	runkit:slo_window:seconds              the window in seconds, 2592000 for 30d
//	runkit:slo_info                        1, labelled target="0.999", window="30d", and
//	                                       service and owner when SLO.Service and SLO.Owner
//	                                       are set
//
// slo.Status.Remaining is the budget left as the tracker computes it; a
// test keeps the two within 1e-9, and the burn rates and numbers to theirs
// for the same events.
//
// # Alerts
//
// One SLOErrorBudgetBurn per SLO, labelled slo, firing while any tier of
// the policy burns too fast, each tier's series labelled with its
// severity (Config.Severity maps it), long_window and short_window:
//
//	label_replace(…(
//	  runkit:slo_errors:ratio_rateLONG / BUDGET > THRESHOLD
//	  and
//	  runkit:slo_errors:ratio_rateSHORT / BUDGET > THRESHOLD
//	), "severity", SEVERITY, …, "long_window", LONG, …, "short_window", SHORT)
//	or … (the next tier)
//
// so that Alertmanager sees one alert per firing tier, labelled as if
// each tier had its own rule. When Config.Severity maps a tier's severity
// to another label (page to critical), the tier's own severity is set too,
// as slo_severity="page": the deploy gate reads it. Prometheus and promtool parse every label
// and annotation of an alerting rule as a template each time they load
// the file, so the labels set in the expression keep a file of a thousand
// SLOs as quick to check and load as sloth's. When the tiers' For differ,
// each tier is an alert of its own, with severity, long_window and
// short_window as its rule's labels.
//
// THRESHOLD is slo.Tier.Threshold for the objective's window, so this is
// the comparison slo.Policy.Evaluate makes on the tracker's buckets: 14.4,
// 6, 3 and 1 for the default tiers over 30 days. With no Policy, the tiers
// are slo.DefaultPolicyFor's, the default tiers that suit the objective
// (none that can never fire, none that would fire below a burn rate of 1,
// while the objective is met), as a Tracker uses them. Its summary gives
// the burn rate and the long window, and its description, written as
// plain text, the target, the window, the budget, and for each tier its
// severity, threshold, windows, the share of the budget it guards and how
// soon the whole budget goes at that rate, and the series of the budget
// left; runbook_url is the SLO's RunbookURL when it has one.
// The alert's slo label is the rule's, and the SLO's Labels come with the
// recorded series it compares. A tier with a For (OpenSLO's alertAfter)
// writes it as the alert's for:, so the burn must go on that long before
// the alert fires.
// And one SLONoData per SLO:
//
//	absent(TOTAL over 5m)                                    for: Config.NoDataFor (10m)
//
// which fires, with severity ticket, when the series of the SLO's events
// have been absent for 5m ([NoDataWindow], or the shortest window of the
// tiers if shorter) and then NoDataFor more: the exporter, the scrape or the relabelling broke, or no
// replica runs. Counters that are present and flat are zero traffic, a
// quiet night, and fire nothing. With labels kept, each group that had
// events over the objective's window and has no series now fires on its
// own, so one region going dark is seen:
//
//	(group by (K) (runkit:slo_errors:ratio_rate<window>)
//	   unless on (K) TOTAL over 5m) or absent(TOTAL over 5m)
//
// Alerts' labels and annotations are templates to Prometheus; the user's
// text in them (names, label values, queries, the runbook URL) is written
// so that it expands to itself, {{ and all. The summary's burn rate and
// long window are their only template actions: every other number is
// known when the rules are written.
//
// # What rules cannot do
//
// PromQL ranges only roll: an objective over a calendar month, quarter or
// year is an error naming it, rather than an approximation that would
// disagree with the tracker at every month's start. So is a Timeslices
// objective: rules count occurrences.
//
// # The file
//
// [Write] checks every SLO first, then writes one group at a time, so
// memory follows one SLO's rules. The same SLOs write the same bytes, under
// a header naming this package.
package promrules
