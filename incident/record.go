package incident

import (
	"maps"
	"slices"
	"time"

	"github.com/ybiyri/runkit/deploy"
)

// Record is one incident as the incident file holds it: one JSON object
// a line, the schema runkit dora --incidents reads. The receiver appends
// a record when an incident opens and again each time one of its alerts
// changes; the last line of an ID is the incident.
type Record struct {
	// ID names the incident: SLO, service and start,
	// "checkout-availability-20261203T141502Z" (see RecordID).
	ID string `json:"id"`
	// Title is the first alert's summary annotation, or the SLO's name.
	Title string `json:"title,omitempty"`
	// Start is when the first alert fired, on Prometheus's clock.
	Start time.Time `json:"start"`
	// Restored is when the last of its alerts resolved; nil while the
	// incident is open.
	Restored *time.Time `json:"restored,omitempty"`
	// Cause is the ID of the deployment the incident is attributed to
	// (see Attribute); runkit dora counts that deployment as failed.
	Cause string `json:"cause,omitempty"`
	// Deployment describes the deployment Cause names.
	Deployment *DeploymentRef `json:"deployment,omitempty"`
	// URL links to the first alert's generator (Prometheus's graph).
	URL string `json:"url,omitempty"`
	// Severity is the highest severity of its alerts: "page" over any
	// other.
	Severity    string `json:"severity,omitempty"`
	SLO         string `json:"slo,omitempty"`
	Service     string `json:"service,omitempty"`
	Environment string `json:"environment,omitempty"`
	// Labels are the first alert's labels.
	Labels map[string]string `json:"labels,omitempty"`
	// Alerts are the alerts that fired in the incident, by fingerprint,
	// each with its start and, once resolved, its end.
	Alerts []AlertRef `json:"alerts,omitempty"`
}

// DeploymentRef names a deployment an incident is attributed to.
type DeploymentRef struct {
	ID      string    `json:"id"`
	Version string    `json:"version,omitempty"`
	Time    time.Time `json:"time"`
}

// AlertRef is one alert of an incident: Alertmanager's fingerprint of its
// labels, when it started, and when it resolved (nil while firing).
type AlertRef struct {
	Fingerprint string     `json:"fingerprint"`
	Severity    string     `json:"severity,omitempty"`
	Start       time.Time  `json:"start"`
	End         *time.Time `json:"end,omitempty"`
}

// Open reports whether the incident is not yet restored.
func (r Record) Open() bool { return r.Restored == nil }

// RecordID returns the ID of the incident of an SLO and a service that
// started at start: "SERVICE-SLO-20260501T140000Z", or "SLO-…" with no
// service. The same alert gives the same ID on every receiver.
func RecordID(service, slo string, start time.Time) string {
	id := slo + "-" + start.UTC().Format("20060102T150405Z")
	if service != "" {
		id = service + "-" + id
	}
	return id
}

// DefaultLookback is how far back of an incident's start Attribute looks
// for a deployment when given no lookback.
const DefaultLookback = 24 * time.Hour

// Attribute returns the deployment an incident of service in environment
// that started at start is attributed to: the last marker of that service
// and environment that started at or before start and no earlier than
// lookback before it (zero means DefaultLookback). Markers of one
// deployment (every replica) count as one, at the earliest of their
// starts. It reports false when there is none.
func Attribute(markers []deploy.Marker, service, environment string, start time.Time, lookback time.Duration) (DeploymentRef, bool) {
	if lookback <= 0 {
		lookback = DefaultLookback
	}
	from := start.Add(-lookback)
	first := map[string]DeploymentRef{}
	for _, m := range markers {
		if m.Service != service || m.Environment != environment {
			continue
		}
		d := m.Deployment()
		if ref, ok := first[d.ID]; !ok || d.Time.Before(ref.Time) {
			first[d.ID] = DeploymentRef{ID: d.ID, Version: m.Version, Time: d.Time}
		}
	}
	var best DeploymentRef
	found := false
	for _, id := range slices.Sorted(maps.Keys(first)) {
		ref := first[id]
		if ref.Time.After(start) || ref.Time.Before(from) {
			continue
		}
		if !found || ref.Time.After(best.Time) {
			best, found = ref, true
		}
	}
	return best, found
}
