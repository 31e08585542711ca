package telemetrytest

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// Recorder holds one test's spans and metrics.
type Recorder struct {
	// TracerProvider and MeterProvider are the recording providers, also
	// installed as globals.
	TracerProvider *sdktrace.TracerProvider
	MeterProvider  *sdkmetric.MeterProvider

	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
	t      testing.TB
}

// New returns a Recorder installed as the global tracer and meter
// providers (and a W3C trace-context propagator) until the test ends.
func New(t testing.TB) *Recorder {
	t.Helper()
	r := &Recorder{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader(), t: t}
	r.TracerProvider = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(r.spans), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	r.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(r.reader))
	prevTP, prevMP, prevProp := otel.GetTracerProvider(), otel.GetMeterProvider(), otel.GetTextMapPropagator()
	otel.SetTracerProvider(r.TracerProvider)
	otel.SetMeterProvider(r.MeterProvider)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() {
		otel.SetTracerProvider(prevTP)
		otel.SetMeterProvider(prevMP)
		otel.SetTextMapPropagator(prevProp)
		ctx := context.Background()
		r.TracerProvider.Shutdown(ctx)
		r.MeterProvider.Shutdown(ctx)
	})
	return r
}

// Spans returns the spans ended so far.
func (r *Recorder) Spans() []sdktrace.ReadOnlySpan { return r.spans.Ended() }

// SpansNamed returns the ended spans with that name.
func (r *Recorder) SpansNamed(name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range r.spans.Ended() {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

// Metrics collects and returns every metric recorded so far.
func (r *Recorder) Metrics() []metricdata.Metrics {
	r.t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.reader.Collect(context.Background(), &rm); err != nil {
		r.t.Fatalf("telemetrytest: collect: %v", err)
	}
	var out []metricdata.Metrics
	for _, sm := range rm.ScopeMetrics {
		out = append(out, sm.Metrics...)
	}
	return out
}

// Int64 returns the value of an int64 counter, up-down counter or gauge,
// summed over the data points whose attributes include attrs. It reports
// false when no such metric was recorded.
func (r *Recorder) Int64(name string, attrs ...attribute.KeyValue) (int64, bool) {
	r.t.Helper()
	return value[int64](r.Metrics(), name, attrs)
}

// Float64 is Int64 for float64 instruments.
func (r *Recorder) Float64(name string, attrs ...attribute.KeyValue) (float64, bool) {
	r.t.Helper()
	return value[float64](r.Metrics(), name, attrs)
}

func value[N int64 | float64](metrics []metricdata.Metrics, name string, attrs []attribute.KeyValue) (N, bool) {
	var sum N
	found := false
	add := func(points []metricdata.DataPoint[N]) {
		for _, p := range points {
			if has(p.Attributes, attrs) {
				sum, found = sum+p.Value, true
			}
		}
	}
	for _, m := range metrics {
		if m.Name != name {
			continue
		}
		switch d := m.Data.(type) {
		case metricdata.Sum[N]:
			add(d.DataPoints)
		case metricdata.Gauge[N]:
			add(d.DataPoints)
		}
	}
	return sum, found
}

// HistogramCount returns how many values a histogram recorded, over the
// data points whose attributes include attrs.
func (r *Recorder) HistogramCount(name string, attrs ...attribute.KeyValue) (uint64, bool) {
	r.t.Helper()
	metrics := r.Metrics()
	if n, ok := count[float64](metrics, name, attrs); ok {
		return n, true
	}
	return count[int64](metrics, name, attrs)
}

func count[N int64 | float64](metrics []metricdata.Metrics, name string, attrs []attribute.KeyValue) (uint64, bool) {
	var n uint64
	found := false
	for _, m := range metrics {
		if h, ok := m.Data.(metricdata.Histogram[N]); ok && m.Name == name {
			for _, p := range h.DataPoints {
				if has(p.Attributes, attrs) {
					n, found = n+p.Count, true
				}
			}
		}
	}
	return n, found
}

func has(set attribute.Set, want []attribute.KeyValue) bool {
	for _, kv := range want {
		if v, ok := set.Value(kv.Key); !ok || v != kv.Value {
			return false
		}
	}
	return true
}
