package redisbreaker

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

const scope = "github.com/ybiyri/runkit/breaker/redisbreaker"

// metrics records through the OpenTelemetry metric API, with the
// namespace as an attribute. Option slices are built once.
type metrics struct {
	connectedGauge metric.Int64Gauge
	outages        metric.Int64Counter
	changes        metric.Int64Counter
	unleased       metric.Int64Counter
	base           []metric.AddOption
	record         []metric.RecordOption
	sentOpt        []metric.AddOption
	receivedOpt    []metric.AddOption
}

func newMetrics(mp metric.MeterProvider, namespace string) *metrics {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := mp.Meter(scope)
	connected, _ := m.Int64Gauge("runkit.breaker.shared.connected",
		metric.WithDescription("1 while Redis answers and breakers are shared, 0 while they are local."))
	outages, _ := m.Int64Counter("runkit.breaker.shared.outages",
		metric.WithDescription("Times Redis became unreachable and the breakers fell back to local."))
	changes, _ := m.Int64Counter("runkit.breaker.shared.changes",
		metric.WithDescription("Breaker state changes sent to or received from the other replicas."))
	unleased, _ := m.Int64Counter("runkit.breaker.shared.unleased",
		metric.WithDescription("Half-open probes let through without the fleet's lease, Redis being unreachable or slow."))
	ns := attribute.String("namespace", namespace)
	set := attribute.NewSet(ns)
	return &metrics{connectedGauge: connected, outages: outages, changes: changes, unleased: unleased,
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
	m.connectedGauge.Record(context.Background(), v, m.record...)
}
func (m *metrics) outage()        { m.outages.Add(context.Background(), 1, m.base...) }
func (m *metrics) sent()          { m.changes.Add(context.Background(), 1, m.sentOpt...) }
func (m *metrics) received()      { m.changes.Add(context.Background(), 1, m.receivedOpt...) }
func (m *metrics) unleasedProbe() { m.unleased.Add(context.Background(), 1, m.base...) }
