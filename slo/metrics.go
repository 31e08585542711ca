package slo

import (
	"context"
	"slices"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

const scope = "github.com/ybiyri/runkit/slo"

// EventsMetric is the name of the counter every Tracker adds its events
// to through the OpenTelemetry metric API, with attributes slo (the
// objective's name) and outcome ("good" or "bad"), and route for the
// trackers of Routes. Prometheus sees it as
// runkit_slo_events_total{slo="checkout",outcome="bad"}; summed across
// replicas, it is what the rules of package
// [github.com/ybiyri/runkit/slo/promrules] read.
const EventsMetric = "runkit.slo.events"

// events is a tracker's counter, with its attribute sets built once so
// that recording allocates nothing.
type events struct {
	counter   metric.Int64Counter
	good, bad []metric.AddOption
}

func newEvents(mp metric.MeterProvider, name string) *events {
	return newEventsWith(mp, attribute.String("slo", name))
}

// newRouteEvents is newEvents for the tracker of one route of Routes: its
// events carry the route too.
func newRouteEvents(mp metric.MeterProvider, name, route string) *events {
	return newEventsWith(mp, attribute.String("slo", name), attribute.String("route", route))
}

func newEventsWith(mp metric.MeterProvider, attrs ...attribute.KeyValue) *events {
	c, _ := mp.Meter(scope).Int64Counter(EventsMetric,
		metric.WithUnit("{event}"),
		metric.WithDescription("Events recorded by SLO trackers, by objective and outcome."))
	set := func(outcome string) []metric.AddOption {
		kv := append(slices.Clone(attrs), attribute.String("outcome", outcome))
		return []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(kv...))}
	}
	e := &events{counter: c, good: set("good"), bad: set("bad")}
	// Both series exist from the start, at zero: a rate over a window
	// that began before the first bad event still reads 0, not nothing.
	e.add(0, 0, true)
	return e
}

// add counts good and bad events; zero counts are added only when force
// is set.
func (e *events) add(good, bad int64, force bool) {
	ctx := context.Background()
	if good != 0 || force {
		e.counter.Add(ctx, good, e.good...)
	}
	if bad != 0 || force {
		e.counter.Add(ctx, bad, e.bad...)
	}
}
