package health_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/ybiyri/runkit/health"
)

func TestMetrics(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())

	c := newChecker(t, health.WithMeterProvider(mp))
	mustRegister(t, c, health.Check{Name: "db", Func: down}, health.Check{Name: "cache", Func: ok})
	c.Evaluate(t.Context(), health.Readiness)

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(t.Context(), &rm); err != nil {
		t.Fatal(err)
	}
	gauges := map[string]int64{}
	runs := map[string]uint64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Gauge[int64]:
				if m.Name != "runkit.health.check.status" {
					continue
				}
				for _, p := range d.DataPoints {
					name, _ := p.Attributes.Value(attribute.Key("check"))
					gauges[name.AsString()] = p.Value
				}
			case metricdata.Histogram[float64]:
				if m.Name != "runkit.health.check.duration" || m.Unit != "s" {
					continue
				}
				for _, p := range d.DataPoints {
					name, _ := p.Attributes.Value(attribute.Key("check"))
					runs[name.AsString()] = p.Count
				}
			}
		}
	}
	if gauges["db"] != 0 || gauges["cache"] != 1 || len(gauges) != 2 {
		t.Errorf("status gauge = %v, want db 0 and cache 1", gauges)
	}
	if runs["db"] != 1 || runs["cache"] != 1 {
		t.Errorf("duration histogram counts = %v, want one run each", runs)
	}
}
