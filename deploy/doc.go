// Package deploy answers the first question of every incident — what
// changed? — and the questions after it: how often and how safely does the
// team ship, and may it ship now?
//
// # Build info
//
// [Build] reads the binary's version, VCS revision, commit time and
// modified flag from runtime/debug.ReadBuildInfo, with link-time overrides
// for builds that carry no VCS data, and says plainly when the revision is
// unknown. A build with no VCS data gets its version and revision from
// RUNKIT_VERSION and RUNKIT_REVISION in the environment or from -ldflags;
// without them, [FromBuild] and [Announcer.Announce] refuse to mark it
// ([ErrUnidentified]) rather than give every such build one deployment
// ID. [VersionHandler] serves it at /version. The telemetry package
// puts the same values on its resource.
//
// # Markers
//
// A [Marker] describes one deployment. An [Announcer] sends it to sinks
// concurrently:
//
//   - [Grafana]: an annotation (POST /api/annotations, bearer token)
//   - [Honeycomb]: a marker (POST /1/markers/{dataset}, X-Honeycomb-Team)
//   - [Datadog]: a DORA deployment event (POST /api/v2/dora/deployment, DD-API-KEY)
//   - [OTel]: a span, and a log record, with the deployment.*, service.* and
//     vcs.* semantic-convention attributes, through the API only
//   - [Webhook]: the marker as JSON, with an Idempotency-Key header
//   - [Writer]: JSON lines, to standard output by default
//
// Announcing never holds a starting service beyond the bound its context
// sets. Temporary failures (5xx, 429, network errors) are retried with
// exponential backoff and full jitter a bounded number of times; every
// failure is returned and, with OnResult, delivered as it happens. A
// marker's ID is made from its service, environment, version and revision
// ([ID]), so every replica and every restart of one deployment sends the
// same one: retries are idempotent where the sink allows it (Datadog,
// webhooks), and DORA counts the deployment once. [ReadMarkers] reads the
// [Writer]'s JSON lines back. Tokens and API keys are [Secret] values: fmt, slog and JSON
// print "[redacted]", and errors carry the vendor's answer, never the
// request's headers. A webhook's plain Header values print as
// "[redacted]" too, and a header named for credentials (Authorization,
// X-Api-Key, …) is refused there: it belongs in Secrets. A URL holds secrets too (a webhook's token in its
// path, basic auth in its userinfo, a signature in its query): wherever a
// sink's URL can surface — its String and every fmt verb, slog, JSON, its
// config printed, a *url.Error — it shows as [RedactURL] writes it, and a
// vendor's answer that echoes the request has the sink's secrets hidden.
//
// # DORA
//
// [MeasureDORA] computes deployment frequency, lead time for changes
// (median and p90), change failure rate and time to restore from
// deployments and incidents over a period, and places each in the
// performance clusters of the 2023 Accelerate State of DevOps report (see
// [DORA]). An incident may still be open: it counts toward the change
// failure rate of the deployment it names as its cause, stays out of the
// time to restore, and is reported with its age. [BreachIncidents] turns
// the periods in which an SLO was over budget into incidents, so time to
// restore can come from the SLO itself. Missing data is no result: a
// measure with nothing to go on (no commit times, no deployment, or no
// incident record, said with [IncidentsUnknown]) is [Unknown], in no
// cluster.
// [DORAReport] draws the same measures as a self-contained HTML page:
// deployments and change failure rate per week, the distribution of lead
// times, time to restore per incident, and the cluster of each key.
//
// # Deploy gate
//
// A [Gate] is the SRE workbook's error-budget policy as code: it freezes
// deployments while an objective's budget is spent or a page-severity
// burn-rate tier fires, lets a fix or a rollback through with an explicit,
// attributed override, and explains its [Decision] in sentences — in a
// pipeline step or in a unit test — naming the [Rule] that decided. With no
// status, or none with data, it cannot judge the budget and fails closed,
// unless [Gate].AllowNoData says otherwise. [FetchSLOStatus] and
// [ReadSLOStatus] read a service's /slo JSON (what slo.Tracker.Handler
// serves) into the statuses the gate takes: one replica's view.
// [FetchPrometheusSLOStatus] reads the fleet's instead, from the series the
// rules of package slo/promrules record in Prometheus.
package deploy
