// Package openslo reads and writes OpenSLO v1 files, so that the SLO file
// in a repository, the objective a unit test uses and the rules
// Prometheus evaluates are one definition.
//
// # Reading
//
// [Parse] reads one file, [ReadFiles] and [ParseFiles] a set of files in
// which documents refer to each other by name. Files hold several
// documents separated by "---". Each SLO document becomes an [SLO] whose
// [Objective] values are complete slo.Objective values, ready for
// slo.NewTracker and package promrules:
//
//	kind SLO                 indicator inline or indicatorRef; several objectives
//	kind SLI                 ratioMetric (good or bad over total, or raw with rawType)
//	                         or thresholdMetric; metricSource type and spec
//	kind AlertPolicy         one burn-rate tier each (see SLO.Policy)
//	kind AlertCondition      kind burnrate, op gt or gte, threshold, lookbackWindow, alertAfter
//	kind AlertNotificationTarget  kept with the policy that names it
//	kind DataSource, Service checked, then ignored (a DataSource's type fills in
//	                         the type of a metric source that refers to it)
//
// Windows are rolling (duration 28d, isRolling: true; units m, h, d, w) or
// calendar-aligned (duration 1M, 1Q or 1Y, with calendar.startTime at the
// start of such a period and calendar.timeZone). Targets are target (0.999)
// or targetPercent (99.9), read without rounding error. OpenSLO allows a
// targetPercent in [0, 100); one under 1 is an error, since it is almost
// surely a ratio in the wrong field (targetPercent: 0.995 would promise
// 0.995%): the message says to write target: 0.995 or targetPercent: 99.5.
// budgetingMethod Occurrences and Timeslices (timeSliceTarget,
// timeSliceWindow in minutes or as a duration) are read; RatioTimeslices
// is an error, since package slo has no such method.
//
// [Indicator.PromQL] gives the Prometheus queries of a ratioMetric for the
// rules of package promrules.
//
// # Alert policies
//
// Each alert policy's condition is a burn-rate tier ([SLO.Policy]): the
// threshold is the burn rate, lookbackWindow the long window, and
// alertAfter, as the OpenSLO spec defines it, how long the condition must
// hold before the alert fires: slo.Tier.For, the rule's for:. The short
// window that confirms the burn is still going on is not an OpenSLO field;
// it is lookbackWindow / 12, as for the default tiers. A condition that
// cannot serve an objective is an error at the line of the field to change:
// a lookbackWindow longer than the window, or a threshold under 1 (it would
// fire while the objective is met), that can never fire, or that spends
// more than the whole budget within lookbackWindow. severity is page or
// ticket; the label an alert carries for it is chosen when the rules are
// written.
//
// alertWhenBreaching: false leaves the policy's tier out (every policy of
// an SLO saying so is an error: no burn-rate alert would be left), and
// alertWhenNoData: false on every policy of an SLO leaves out its no-data
// alert ([SLO.AlertWhenNoData]). alertWhenResolved and notificationTargets
// are read and written back but are not part of Prometheus rules: whether
// a resolved alert notifies, and where an alert goes, is Alertmanager's
// routing, on the labels the alerts carry.
//
// An objective's name is the document's metadata.name when it has one
// objective; with several, each is the name followed by its displayName
// in lower case with hyphens ("checkout-fast-enough"), or by its position
// from 1 when it has no displayName.
//
// Decoding is strict. An unknown field, a value of the wrong type, a bad
// value, a repeated name or a reference to nothing is an [*Error] carrying
// file:line:column, the path of the field and the value as written, such
// as
//
//	slos.yaml:27:15: spec.objectives[0].target 1.5: out of range (0, 1)
//
// [SLO.FieldPosition] gives the position of any field read, so that a
// problem found later, in the rules made from an SLO, can point at the
// line to change too.
//
// A set of files holds at most [MaxBytes] (8 MiB, some 9,000 SLOs); a
// larger one is an error naming the file that crosses it, before it is
// parsed. Reading takes memory linear in the input: the SLOs read keep
// about twice its size, and the peak is under 10 times it.
//
// Every problem found is returned, joined with errors.Join, once per place
// in the file: a node that YAML aliases read under several paths has its
// problems once, under the first path; a YAML syntax
// error stops the file it is in and carries only a line, as the YAML
// library reports it. A file with no document at all (empty, only
// comments or "---") is an error at file:1:1, as a truncated write or a
// stray file would be; an empty document between others is skipped, and
// a set whose documents hold no SLO (an SLI library) is no SLOs, not an
// error.
//
// # Writing
//
// [Write] writes SLOs as OpenSLO v1, each document standing alone: the
// indicator, alert policies, conditions and notification targets inline.
// [New] makes an SLO of an slo.Objective defined in Go. Reading what Write
// wrote gives the same SLOs back (a fuzz test keeps this), but for
// positions; a calendar window is written with a start in January 2024,
// which names the same periods as any other start.
package openslo
