package redisbreaker

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

const scope = "github.com/ybiyri/runkit/breaker/redisbreaker"

// metrics records through the OpenTelemetry metric API, with the
// namespace as an attribute.
type metrics struct {
	up          metric.Int64Gauge
	fallbacks   metric.Int64Counter
	changes     metric.Int64Counter
	localProbes metric.Int64Counter
	bad         metric.Int64Counter
	base        []metric.AddOption
	record      []metric.RecordOption
	sentOpt     []metric.AddOption
	receivedOpt []metric.AddOption
}

func newMetrics(mp metric.MeterProvider, namespace string) *metrics {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := mp.Meter(scope)
	up, _ := m.Int64Gauge("runkit.breaker.shared.connected",
		metric.WithDescription("1 while Redis is reachable and breakers are shared, 0 while they are local."))
	fallbacks, _ := m.Int64Counter("runkit.breaker.shared.fallbacks",
		metric.WithDescription("Times Redis became unreachable and breakers fell back to local."))
	changes, _ := m.Int64Counter("runkit.breaker.shared.changes",
		metric.WithDescription("Breaker state changes sent to or received from other replicas."))
	localProbes, _ := m.Int64Counter("runkit.breaker.shared.local_probes",
		metric.WithDescription("Half-open probes let through without the fleet's lease, Redis being unreachable or slow."))
	bad, _ := m.Int64Counter("runkit.breaker.shared.bad_messages",
		metric.WithDescription("Messages on the channel that did not parse."))
	ns := attribute.String("namespace", namespace)
	set := attribute.NewSet(ns)
	return &metrics{up: up, fallbacks: fallbacks, changes: changes, localProbes: localProbes, bad: bad,
		base:        []metric.AddOption{metric.WithAttributeSet(set)},
		record:      []metric.RecordOption{metric.WithAttributeSet(set)},
		sentOpt:     []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(ns, attribute.String("direction", "sent")))},
		receivedOpt: []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(ns, attribute.String("direction", "received")))},
	}
}

func (m *metrics) connected(up bool) {
	var v int64
	if up {
		v = 1
	}
	m.up.Record(context.Background(), v, m.record...)
}
func (m *metrics) fallback()   { m.fallbacks.Add(context.Background(), 1, m.base...) }
func (m *metrics) sent()       { m.changes.Add(context.Background(), 1, m.sentOpt...) }
func (m *metrics) received()   { m.changes.Add(context.Background(), 1, m.receivedOpt...) }
func (m *metrics) localProbe() { m.localProbes.Add(context.Background(), 1, m.base...) }
func (m *metrics) badMessage() { m.bad.Add(context.Background(), 1, m.base...) }
