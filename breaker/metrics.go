package breaker

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

const scope = "github.com/ybiyri/runkit/breaker"

// metrics records through the OpenTelemetry metric API. Option slices are
// built once, so that recording a call allocates nothing.
type metrics struct {
	stateGauge metric.Int64Gauge
	calls      metric.Int64Counter
	rejections metric.Int64Counter
	outcome    [3][]metric.AddOption
	base       []metric.AddOption
	record     []metric.RecordOption
}

func newMetrics(mp metric.MeterProvider, name string) *metrics {
	m := mp.Meter(scope)
	g, _ := m.Int64Gauge("runkit.breaker.state",
		metric.WithDescription("Circuit breaker state: 0 closed, 1 half-open, 2 open."))
	calls, _ := m.Int64Counter("runkit.breaker.calls",
		metric.WithDescription("Calls a circuit breaker let through, by outcome."))
	rej, _ := m.Int64Counter("runkit.breaker.rejections",
		metric.WithDescription("Calls a circuit breaker rejected."))
	br := attribute.String("breaker", name)
	set := attribute.NewSet(br)
	mt := &metrics{stateGauge: g, calls: calls, rejections: rej,
		base:   []metric.AddOption{metric.WithAttributeSet(set)},
		record: []metric.RecordOption{metric.WithAttributeSet(set)},
	}
	for o, name := range map[Outcome]string{Success: "success", Failure: "failure", Ignore: "ignored"} {
		mt.outcome[o] = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(br, attribute.String("outcome", name)))}
	}
	return mt
}

func (m *metrics) call(o Outcome) { m.calls.Add(context.Background(), 1, m.outcome[o]...) }
func (m *metrics) reject()        { m.rejections.Add(context.Background(), 1, m.base...) }
func (m *metrics) state(s State)  { m.stateGauge.Record(context.Background(), int64(s), m.record...) }
