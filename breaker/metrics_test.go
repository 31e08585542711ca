package breaker_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"log/slog"

	"github.com/ybiyri/runkit/breaker"
)

func TestMetricsAndLogs(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	var logs bytes.Buffer
	b := mustNew(t, breaker.Config{Name: "payments", ConsecutiveFailures: 2, MeterProvider: mp,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	ctx := context.Background()
	b.Execute(ctx, succeed)
	b.Execute(ctx, fail)
	b.Execute(ctx, fail)
	b.Execute(ctx, succeed) // rejected
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	b.Execute(cancelled, succeed) // rejected too: the breaker is open

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	calls := map[string]int64{}
	var rejections, state int64 = -1, -1
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch m.Name {
			case "runkit.breaker.calls":
				for _, p := range m.Data.(metricdata.Sum[int64]).DataPoints {
					o, _ := p.Attributes.Value(attribute.Key("outcome"))
					calls[o.AsString()] = p.Value
				}
			case "runkit.breaker.rejections":
				rejections = m.Data.(metricdata.Sum[int64]).DataPoints[0].Value
			case "runkit.breaker.state":
				state = m.Data.(metricdata.Gauge[int64]).DataPoints[0].Value
			}
		}
	}
	if calls["success"] != 1 || calls["failure"] != 2 || rejections != 2 || state != int64(breaker.Open) {
		t.Errorf("calls %v, rejections %d, state %d; want 1 success, 2 failures, 2 rejections, state open (2)", calls, rejections, state)
	}
	if !strings.Contains(logs.String(), `msg="circuit breaker state changed" breaker=payments from=closed to=open`) {
		t.Errorf("log = %q", logs.String())
	}
}
