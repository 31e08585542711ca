package incident

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
)

// The attributes of an event's log record, beside the service's resource.
const (
	attrSubject  = "runkit.incident.subject"
	attrFrom     = "runkit.incident.from"
	attrTo       = "runkit.incident.to"
	attrCause    = "runkit.incident.cause"
	attrSeverity = "runkit.incident.severity"
	attrCount    = "runkit.incident.count"
	attrSeq      = "runkit.incident.seq"
	attrInstance = "service.instance.id"
)

// emit sends e as an OpenTelemetry event record: its event.name is
// "runkit." and the event's Name ("runkit.breaker.state"), its body the
// event as String formats it, its attributes the event's fields, and its
// trace context the event's TraceID.
func (j *Journal) emit(e Event) {
	ctx := contextWithTrace(e.TraceID)
	var r log.Record
	r.SetEventName("runkit." + e.Name)
	r.SetTimestamp(e.Time)
	r.SetObservedTimestamp(e.Time)
	sev := log.SeverityInfo
	if warns(e) {
		sev = log.SeverityWarn
	}
	r.SetSeverity(sev)
	r.SetSeverityText(sev.String())
	r.SetBody(attribute.StringValue(e.String()))
	r.AddAttributes(attribute.String(attrSubject, e.Subject), attribute.Int64(attrSeq, int64(e.Seq)))
	for _, kv := range [...]struct{ k, v string }{{attrFrom, e.From}, {attrTo, e.To}, {attrCause, e.Cause}, {attrSeverity, e.Severity}, {attrInstance, e.Instance}} {
		if kv.v != "" {
			r.AddAttributes(attribute.String(kv.k, kv.v))
		}
	}
	if e.Count > 1 {
		r.AddAttributes(attribute.Int64(attrCount, int64(e.Count)))
	}
	j.logger.Emit(ctx, r)
}

// warns reports whether e tells of trouble: a check or probe failing, a
// breaker opening, a tier firing, the budget spent, a panic.
func warns(e Event) bool {
	switch e.Name {
	case HealthCheck, HealthProbe:
		return e.To != "pass"
	case HealthDrain:
		return false
	case BreakerState:
		return e.To == "open"
	case SLOTier:
		return e.To == "firing"
	case SLOIncident:
		return e.To == "open"
	case SLOBudget:
		return e.To == bandSpent
	case ProcessPanic:
		return true
	}
	return false
}
