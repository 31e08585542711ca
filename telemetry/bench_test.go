package telemetry_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/ybiyri/runkit/telemetry"
)

var app = func() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) })
	return mux
}()

func serveBench(b *testing.B, h http.Handler) {
	req := httptest.NewRequest("GET", "/items/42", nil)
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}

// benchProviders are the providers both BenchmarkHandler and
// BenchmarkOtelhttp use: always sample, discard the spans.
func benchTelemetry(b *testing.B) *telemetry.Telemetry {
	b.Setenv("OTEL_SDK_DISABLED", "")
	b.Setenv("OTEL_TRACES_SAMPLER", "always_on")
	tel, err := telemetry.Setup(context.Background(), telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics(),
		telemetry.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(tracetest.NewNoopExporter())),
		telemetry.WithMetricReader(sdkmetric.NewManualReader()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { tel.Shutdown(context.Background()) })
	return tel
}

// BenchmarkOtelhttp is the baseline for BenchmarkHandler: a bare otelhttp
// handler with the same providers.
func BenchmarkOtelhttp(b *testing.B) {
	tel := benchTelemetry(b)
	serveBench(b, otelhttp.NewHandler(app, "http.server",
		otelhttp.WithTracerProvider(tel.TracerProvider), otelhttp.WithMeterProvider(tel.MeterProvider),
		otelhttp.WithPropagators(tel.Propagator)))
}

func BenchmarkHandler(b *testing.B) {
	tel := benchTelemetry(b)
	serveBench(b, tel.Middleware(app))
}

// BenchmarkBareHandler is the baseline for BenchmarkHandlerDisabled.
func BenchmarkBareHandler(b *testing.B) { serveBench(b, app) }

func BenchmarkHandlerDisabled(b *testing.B) {
	b.Setenv("OTEL_SDK_DISABLED", "true")
	tel, err := telemetry.Setup(context.Background(), telemetry.WithoutGlobals())
	if err != nil {
		b.Fatal(err)
	}
	serveBench(b, tel.Middleware(app))
}

// noExporter is a Telemetry set up with nothing to export to, as a
// service with no OTEL_* variable runs.
func noExporter(b *testing.B) *telemetry.Telemetry {
	for _, v := range []string{"OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_TRACES_SAMPLER"} {
		b.Setenv(v, "")
	}
	tel, err := telemetry.Setup(context.Background(), telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { tel.Shutdown(context.Background()) })
	return tel
}

// BenchmarkOtelhttpNoopTracer is the baseline for
// BenchmarkHandlerNoExporter: otelhttp with a no-op tracer, which gives a
// request no span of its own, and so its records no ids.
func BenchmarkOtelhttpNoopTracer(b *testing.B) {
	tel := noExporter(b)
	serveBench(b, otelhttp.NewHandler(app, "http.server",
		otelhttp.WithTracerProvider(tracenoop.NewTracerProvider()), otelhttp.WithMeterProvider(tel.MeterProvider),
		otelhttp.WithPropagators(tel.Propagator)))
}

// BenchmarkHandlerNoExporter is the Middleware of a service that exports
// nothing: each request still gets its own span, so that its records
// carry trace_id and span_id.
func BenchmarkHandlerNoExporter(b *testing.B) { serveBench(b, noExporter(b).Middleware(app)) }

func BenchmarkSetupShutdown(b *testing.B) {
	for _, v := range []string{"OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT"} {
		b.Setenv(v, "")
	}
	b.ReportAllocs()
	for b.Loop() {
		tel, err := telemetry.Setup(context.Background(), telemetry.WithoutGlobals())
		if err != nil {
			b.Fatal(err)
		}
		tel.Shutdown(context.Background())
	}
}

func benchLog(b *testing.B, h slog.Handler) {
	log := slog.New(h).With("service", "checkout").WithGroup("req")
	ctx := trace.ContextWithSpanContext(context.Background(), testSpan)
	b.ReportAllocs()
	for b.Loop() {
		log.InfoContext(ctx, "charged card", "amount", 42)
	}
}

// BenchmarkJSONHandler is the baseline for BenchmarkTraceHandler: the
// same grouped record, without the ids.
func BenchmarkJSONHandler(b *testing.B) { benchLog(b, slog.NewJSONHandler(io.Discard, nil)) }

func BenchmarkTraceHandler(b *testing.B) {
	benchLog(b, telemetry.TraceHandler(slog.NewJSONHandler(io.Discard, nil)))
}
