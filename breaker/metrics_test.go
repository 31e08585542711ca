package breaker_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

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

// stateGauge returns the runkit.breaker.state points by breaker name.
func stateGauge(t *testing.T, reader *sdkmetric.ManualReader) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "runkit.breaker.state" {
				continue
			}
			for _, p := range m.Data.(metricdata.Gauge[int64]).DataPoints {
				name, _ := p.Attributes.Value(attribute.Key("breaker"))
				got[name.AsString()] = p.Value
			}
		}
	}
	return got
}

// A breaker's state is a series from New on, closed (0), so that a
// dashboard or an alert sees every breaker, not only those that changed;
// calls that change nothing keep it, and a change replaces it.
func TestStateFromNew(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	b := mustNew(t, breaker.Config{Name: "payments", ConsecutiveFailures: 1, MeterProvider: mp})
	if got := stateGauge(t, reader); len(got) != 1 || got["payments"] != int64(breaker.Closed) {
		t.Fatalf("state right after New = %v, want payments 0 (closed)", got)
	}
	b.Execute(context.Background(), succeed)
	if got := stateGauge(t, reader); got["payments"] != int64(breaker.Closed) {
		t.Fatalf("state after a success = %v, want payments 0", got)
	}
	b.Execute(context.Background(), fail)
	if got := stateGauge(t, reader); got["payments"] != int64(breaker.Open) {
		t.Fatalf("state after the failure that trips = %v, want payments 2 (open)", got)
	}
}

// A Transport's per-host breaker is a series from its first request.
func TestTransportStateFromFirstRequest(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	base := &http.Transport{}
	defer base.CloseIdleConnections()
	client := &http.Client{Transport: &breaker.Transport{Base: base, Config: breaker.Config{MeterProvider: mp}}}
	resp, err := client.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	if got := stateGauge(t, reader); len(got) != 1 || got[host] != int64(breaker.Closed) {
		t.Fatalf("state after one request = %v, want %s 0 (closed)", got, host)
	}
}
