package slo

import (
	"context"
	"runtime"
	"slices"
	"sync/atomic"
	"weak"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

const scope = "github.com/ybiyri/runkit/slo"

// EventsMetric is the name of the counter every Tracker reports its events
// on through the OpenTelemetry metric API, with attributes slo (the
// objective's name) and outcome ("good" or "bad"), and route for the
// trackers of Routes. Prometheus sees it as
// runkit_slo_events_total{slo="checkout",outcome="bad"}; summed across
// replicas, it is what the rules of package
// [github.com/ybiyri/runkit/slo/promrules] read.
const EventsMetric = "runkit.slo.events"

// events is what a tracker counts for its EventsMetric besides its finest
// buckets: the events moved out of them to coarser levels, those recorded
// straight into a coarser level, and those dropped for being older than
// the window. The counter is observed at collection, as base plus the sum
// of the finest buckets (see Tracker.totals), so that recording an event
// costs nothing more than adding it to its bucket.
type events struct {
	good, bad atomic.Int64
}

// add counts events that are not in the finest buckets.
func (e *events) add(good, bad int64) {
	if good != 0 {
		e.good.Add(good)
	}
	if bad != 0 {
		e.bad.Add(bad)
	}
}

// observeEvents registers the callback that reports t's totals on mp's
// EventsMetric under attrs, with outcome good and bad. Both series exist
// from the start, at zero: a rate over a window that began before the
// first bad event still reads 0, not nothing. The callback holds t weakly,
// and is unregistered once t is unreachable, so a process that makes
// trackers as it goes keeps none it dropped.
func observeEvents(mp metric.MeterProvider, t *Tracker, attrs ...attribute.KeyValue) {
	meter := mp.Meter(scope)
	c, err := meter.Int64ObservableCounter(EventsMetric,
		metric.WithUnit("{event}"),
		metric.WithDescription("Events recorded by SLO trackers, by objective and outcome."))
	if err != nil {
		return
	}
	set := func(outcome string) metric.ObserveOption {
		kv := append(slices.Clone(attrs), attribute.String("outcome", outcome))
		return metric.WithAttributeSet(attribute.NewSet(kv...))
	}
	good, bad := set("good"), set("bad")
	w := weak.Make(t)
	reg, err := meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		t := w.Value()
		if t == nil {
			return nil
		}
		g, b := t.totals()
		o.ObserveInt64(c, g, good)
		o.ObserveInt64(c, b, bad)
		return nil
	}, c)
	if err != nil {
		return
	}
	runtime.AddCleanup(t, func(reg metric.Registration) { _ = reg.Unregister() }, reg)
}

// totals returns every event the tracker has accepted, good and bad, and
// those it dropped for being older than the window: the base of events
// plus the finest buckets, read while no move between levels is under way
// (a move takes a bucket's counts into base), so that no event is seen
// twice or not at all and the totals never go back.
func (t *Tracker) totals() (good, bad int64) {
	t.readStable(func() {
		good, bad = t.events.good.Load(), t.events.bad.Load()
		for i := range t.ring {
			good += t.ring[i].good.Load()
			bad += t.ring[i].bad.Load()
		}
	})
	return good, bad
}
