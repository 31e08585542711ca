package health

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/metric"
)

const scope = "github.com/ybiyri/runkit/health"

// metrics records check outcomes through the OpenTelemetry metric API.
// Without an SDK the instruments are no-ops.
type metrics struct {
	status   metric.Int64Gauge
	duration metric.Float64Histogram
}

func newMetrics(mp metric.MeterProvider) *metrics {
	m := mp.Meter(scope)
	// Instrument errors only happen for invalid names, which these are not;
	// the API returns a working no-op instrument alongside any error.
	// No unit: with "1", Prometheus would read runkit_health_check_status_ratio,
	// and a status is no ratio.
	status, _ := m.Int64Gauge("runkit.health.check.status",
		metric.WithDescription("Status of a health check after its thresholds: 1 pass, 0 fail."))
	duration, _ := m.Float64Histogram("runkit.health.check.duration",
		metric.WithDescription("Duration of health check runs."),
		metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.8, 1, 2.5))
	return &metrics{status: status, duration: duration}
}

func (m *metrics) record(e *entry, st Status, d time.Duration) {
	ctx := context.Background()
	var v int64
	if st == StatusPass {
		v = 1
	}
	m.status.Record(ctx, v, e.attrs)
	m.duration.Record(ctx, d.Seconds(), e.attrs)
}
