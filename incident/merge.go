package incident

import (
	"cmp"
	"io"
	"slices"
	"time"
)

// NoService is the lane of a Timeline's events that name no service.
const NoService = "(no service)"

// Timeline is the events of several services on one page: the journals
// of each, the deployment markers (MarkerEvent) and the incidents
// (Record.Events), as runkit timeline draws them.
//
// Every event keeps the time its own source gave it: a service's journal
// its clock, a marker the pipeline's, an incident Prometheus's. Nothing
// is shifted to make clocks agree, so events within one service's lane
// are in their true order, and across lanes only to within the clocks'
// disagreement.
type Timeline struct {
	// Title heads the page; empty means "Timeline".
	Title string
	// Since and Until bound the page's time axis; events outside it are
	// left out.
	Since, Until time.Time
	// Events are in any order.
	Events []Event
}

// Sorted returns the events from Since to Until, both inclusive (a zero
// bound is open), in time order; events at the same time keep the order
// given. Deployment markers (DeployMarker) of one service and deployment
// ID are one event, the earliest: the marker a service's journal
// recorded and the one in the markers file are the same deployment, as
// are the markers of its replicas.
func (t Timeline) Sorted() []Event {
	f := Filter{Since: t.Since, Until: t.Until}
	var out []Event
	for i := range t.Events {
		if f.match(&t.Events[i]) {
			out = append(out, t.Events[i])
		}
	}
	slices.SortStableFunc(out, func(a, b Event) int { return a.Time.Compare(b.Time) })
	seen := map[[2]string]bool{}
	return slices.DeleteFunc(out, func(e Event) bool {
		if e.Name != DeployMarker {
			return false
		}
		k := [2]string{e.Service, e.Subject}
		if seen[k] {
			return true
		}
		seen[k] = true
		return false
	})
}

// Services returns the services of the events, sorted, with NoService
// last when an event names none.
func (t Timeline) Services() []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range t.Events {
		s := serviceOf(e)
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b string) int {
		if (a == NoService) != (b == NoService) {
			if a == NoService {
				return 1
			}
			return -1
		}
		return cmp.Compare(a, b)
	})
	return out
}

func serviceOf(e Event) string {
	if e.Service == "" {
		return NoService
	}
	return e.Service
}

// WriteHTML writes the timeline page of a journal (see Journal.WriteHTML)
// with one swimlane per service in place of one per kind: each service's
// health, breakers, SLO tiers, incidents and deployments in its lane,
// and deployments of every service as lines across all of them. The
// table below adds each event's service. An empty Since or Until is the
// earliest or latest event's time.
func (t Timeline) WriteHTML(w io.Writer) error {
	events := t.Sorted()
	f := Filter{Since: t.Since, Until: t.Until}
	if len(events) > 0 {
		if f.Since.IsZero() {
			f.Since = events[0].Time
		}
		if f.Until.IsZero() {
			f.Until = events[len(events)-1].Time
		}
	}
	title := t.Title
	if title == "" {
		title = "Timeline"
	}
	var lanes []laneHead
	for _, s := range t.Services() {
		lanes = append(lanes, laneHead{Key: s, Title: s})
	}
	return timelineTemplate.Execute(w, buildTimeline(events, f, title, lanes, serviceOf, true))
}

// Events returns the incident as timeline events of kind SLO, named
// SLOIncident: one "open" at its start, and one "restored" when it is,
// with its severity, and its title and attributed deployment as the
// cause.
func (r Record) Events() []Event {
	cause := r.Title
	if r.Cause != "" {
		cause += "; attributed to " + r.Cause
	}
	open := Event{Time: r.Start, Service: r.Service, Kind: SLO, Name: SLOIncident, Subject: r.ID, To: "open", Severity: r.Severity, Cause: cause}
	if r.Restored == nil {
		return []Event{open}
	}
	restored := Event{Time: *r.Restored, Service: r.Service, Kind: SLO, Name: SLOIncident, Subject: r.ID, From: "open", To: "restored", Severity: r.Severity}
	return []Event{open, restored}
}
