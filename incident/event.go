package incident

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Kind is the source of an event: the first word of its Name.
type Kind string

// The kinds of event a journal holds.
const (
	// Health: a check's status changed, readiness changed, draining began.
	Health Kind = "health"
	// Breaker: a circuit breaker changed state.
	Breaker Kind = "breaker"
	// SLO: a burn-rate tier started or stopped firing, the budget crossed
	// 50%, 25% or 0% remaining, data stopped or resumed, or events were
	// refused for being in the future.
	SLO Kind = "slo"
	// Deploy: this process started or is shutting down, or it announced
	// a deployment marker.
	Deploy Kind = "deploy"
	// Process: what the process itself did: a panic recovered, a
	// snapshot written by the flight recorder.
	Process Kind = "process"
)

// Kinds lists every Kind, in the order the timeline draws their lanes.
var Kinds = []Kind{Deploy, Health, Breaker, SLO, Process}

// The names of events, by kind. An event's Name is also its OpenTelemetry
// event.name, prefixed with "runkit.".
const (
	HealthCheck     = "health.check"     // Subject: the check; From, To: its status
	HealthProbe     = "health.readiness" // Subject: "readiness"; From, To: the probe's status
	HealthDrain     = "health.drain"     // From "pass", To "fail"
	BreakerState    = "breaker.state"    // Subject: the breaker (a Transport's host); From, To: its state
	SLOTier         = "slo.tier"         // Subject: "objective severity long/short", the objective with its route for slo.Routes; To "firing" or "ok"
	SLOBudget       = "slo.budget"       // Subject: the objective; To: the band of budget remaining
	SLONoData       = "slo.nodata"       // Subject: the objective; To "no data" or "data"
	SLOFuture       = "slo.future"       // Subject: the objective; From, To: the count of refused events
	SLOIncident     = "slo.incident"     // Subject: an incident's ID; To "open" or "restored" (from an incident file, see Record.Events)
	DeployStart     = "deploy.start"     // Subject: the deployment ID; To: the version
	DeployMarker    = "deploy.marker"    // Subject: the marker's deployment ID; To: its version
	DeployShutdown  = "deploy.shutdown"  // Subject: the deployment ID
	ProcessPanic    = "process.panic"    // Subject: the request's method and path; Cause: the value
	ProcessSnapshot = "process.snapshot" // Subject: the snapshot's name; Cause: its trigger
)

// Event is one thing that happened to the service, as the journal keeps
// it and /events serves it: one JSON object per line.
type Event struct {
	// Seq numbers the journal's events from 1, in the order they were
	// recorded; a gap means events were dropped.
	Seq uint64 `json:"seq"`
	// Time is when it happened, on the journal's clock.
	Time time.Time `json:"time"`
	// Service and Instance name the process, from Config.
	Service  string `json:"service,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Kind is the source; Name says what happened (see the Name
	// constants, such as BreakerState).
	Kind Kind   `json:"kind"`
	Name string `json:"name"`
	// Subject is what changed: a check, a breaker, an objective's tier.
	Subject string `json:"subject"`
	// From and To are the states before and after, where there are two.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Severity is a tier's ("page", "ticket") or a check's ("critical",
	// "non-critical") when it has one.
	Severity string `json:"severity,omitempty"`
	// Cause says why, in a few words: "failure ratio", a check's error,
	// a tier's reason.
	Cause string `json:"cause,omitempty"`
	// TraceID is the W3C trace ID of the span in the recording context,
	// 32 hex digits, when there was one.
	TraceID string `json:"traceId,omitempty"`
	// Count is how many changes of a flapping subject the event stands
	// for; zero or one for an ordinary event (see Config.FlapLimit).
	Count int `json:"count,omitempty"`
}

// String formats the event on one line, as a person reads it: "breaker
// api.example: closed → open (failure ratio)".
func (e Event) String() string {
	var b strings.Builder
	b.WriteString(e.Name)
	if e.Subject != "" {
		b.WriteString(" ")
		b.WriteString(e.Subject)
	}
	if e.From != "" || e.To != "" {
		b.WriteString(": ")
		if e.From != "" {
			b.WriteString(e.From)
			b.WriteString(" → ")
		}
		b.WriteString(e.To)
	}
	if e.Cause != "" {
		b.WriteString(" (")
		b.WriteString(e.Cause)
		b.WriteString(")")
	}
	if e.Count > 1 {
		fmt.Fprintf(&b, " ×%d", e.Count)
	}
	return b.String()
}

// Filter selects events. The zero Filter selects every event.
type Filter struct {
	// Since and Until bound the events' times, both inclusive; zero is
	// unbounded.
	Since, Until time.Time
	// Kinds selects events of these kinds; empty selects all.
	Kinds []Kind
}

func (f Filter) match(e *Event) bool {
	if !f.Since.IsZero() && e.Time.Before(f.Since) {
		return false
	}
	if !f.Until.IsZero() && e.Time.After(f.Until) {
		return false
	}
	return len(f.Kinds) == 0 || slices.Contains(f.Kinds, e.Kind)
}

func validKind(k Kind) bool { return slices.Contains(Kinds, k) }
