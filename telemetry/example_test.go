package telemetry_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/ybiyri/runkit/telemetry"
)

func ExampleSetup() {
	// With nothing configured, nothing is exported and nothing connects.
	tel, err := telemetry.Setup(context.Background(), telemetry.WithServiceName("checkout"), telemetry.WithoutGlobals())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tel.Shutdown(context.Background())
	v, _ := tel.Resource.Set().Value("service.name")
	fmt.Println(v.String())
	// Output: checkout
}

func ExampleSetup_badConfiguration() {
	os.Setenv("OTEL_TRACES_SAMPLER", "traceidratio")
	os.Setenv("OTEL_TRACES_SAMPLER_ARG", "15%")
	defer os.Unsetenv("OTEL_TRACES_SAMPLER")
	defer os.Unsetenv("OTEL_TRACES_SAMPLER_ARG")
	_, err := telemetry.Setup(context.Background())
	fmt.Println(err)
	// Output: telemetry: OTEL_TRACES_SAMPLER_ARG="15%": want a ratio from 0 to 1
}

func ExampleTelemetry_Middleware() {
	var out bytes.Buffer
	tel, _ := telemetry.Setup(context.Background(), telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics(),
		telemetry.WithTracesExporter("console"), telemetry.WithConsoleWriter(&out))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(http.ResponseWriter, *http.Request) {})
	tel.Middleware(mux).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/items/7", nil))
	tel.Shutdown(context.Background())
	// The span is named after the route and carries it as http.route.
	fmt.Println(strings.Contains(out.String(), `"Name":"GET /items/{id}"`),
		strings.Contains(out.String(), `{"Key":"http.route","Value":{"Type":"STRING","Value":"/items/{id}"}}`))
	// Output: true true
}

func ExampleTelemetry_MetricsHandler() {
	tel, _ := telemetry.Setup(context.Background(), telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics(),
		telemetry.WithMetricsExporter("prometheus"))
	defer tel.Shutdown(context.Background())
	c, _ := tel.Meter("shop").Int64Counter("orders")
	c.Add(context.Background(), 5)
	rec := httptest.NewRecorder()
	tel.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if strings.HasPrefix(line, "orders_total") {
			fmt.Println(line[:len("orders_total")], line[strings.LastIndexByte(line, ' ')+1:])
		}
	}
	// Output: orders_total 5
}

// Without the prometheus metrics exporter, /metrics says what to set.
func ExampleTelemetry_MetricsHandler_notConfigured() {
	tel, _ := telemetry.Setup(context.Background(), telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics(),
		telemetry.WithMetricsExporter("none"))
	defer tel.Shutdown(context.Background())
	rec := httptest.NewRecorder()
	tel.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	fmt.Print(rec.Code, " ", rec.Body.String())
	// Output: 404 telemetry: metrics are not served: set OTEL_METRICS_EXPORTER=prometheus, or give Setup telemetry.WithMetricsExporter("prometheus")
}

// A service with no trace exporter still makes spans, for the ids of its
// log records, and drops them; TracesExported tells it apart from one that
// exports.
func ExampleTelemetry_TracesExported() {
	quiet, _ := telemetry.Setup(context.Background(), telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics(),
		telemetry.WithTracesExporter("none"), telemetry.WithMetricsExporter("none"))
	defer quiet.Shutdown(context.Background())
	console, _ := telemetry.Setup(context.Background(), telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics(),
		telemetry.WithTracesExporter("console"), telemetry.WithConsoleWriter(io.Discard), telemetry.WithMetricsExporter("none"))
	defer console.Shutdown(context.Background())
	_, span := quiet.Tracer("shop").Start(context.Background(), "charge")
	span.End()
	fmt.Println(quiet.TracesExported(), span.SpanContext().IsValid())
	fmt.Println(console.TracesExported())
	// Output:
	// false true
	// true
}

func ExampleTraceHandler() {
	var out bytes.Buffer
	tel, _ := telemetry.Setup(context.Background(), telemetry.WithoutGlobals(),
		telemetry.WithTracesExporter("console"), telemetry.WithConsoleWriter(&bytes.Buffer{}))
	defer tel.Shutdown(context.Background())
	log := slog.New(telemetry.TraceHandler(slog.NewTextHandler(&out, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == "time" || a.Key == "trace_id" || a.Key == "span_id" {
				a.Value = slog.StringValue("…")
			}
			return a
		},
	})))
	ctx, span := tel.Tracer("shop").Start(context.Background(), "checkout")
	log.InfoContext(ctx, "charged card")
	span.End()
	fmt.Print(out.String())
	// Output: time=… level=INFO msg="charged card" trace_id=… span_id=…
}

func ExampleTelemetry_Transport() {
	tel, _ := telemetry.Setup(context.Background(), telemetry.WithoutGlobals(), telemetry.WithDisabled(true))
	// Disabled, the transport is the base itself: nothing is added to calls.
	fmt.Println(tel.Transport(nil) == http.DefaultTransport)
	// Output: true
}

func ExampleTelemetry_Shutdown() {
	tel, _ := telemetry.Setup(context.Background(), telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics(),
		telemetry.WithTracesExporter("console"), telemetry.WithConsoleWriter(&bytes.Buffer{}))
	_, span := tel.Tracer("shop").Start(context.Background(), "checkout")
	span.End()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fmt.Println(tel.Shutdown(ctx), tel.Shutdown(ctx)) // flushed once; idempotent
	// Output: <nil> <nil>
}

func ExampleShutdownError() {
	tel, _ := telemetry.Setup(context.Background(), telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics(),
		telemetry.WithSpanExporter(refusingExporter{}))
	_, span := tel.Tracer("shop").Start(context.Background(), "checkout")
	span.End()
	err := tel.Shutdown(context.Background())
	var se *telemetry.ShutdownError
	if errors.As(err, &se) {
		fmt.Println(se.Signal, "lost at shutdown:", se.Err)
	}
	fmt.Println(err)
	// Output:
	// traces lost at shutdown: collector answered 400 Bad Request
	// telemetry: shutdown traces via telemetry_test.refusingExporter: collector answered 400 Bad Request
}

// refusingExporter stands for a collector that refuses every batch.
type refusingExporter struct{}

func (refusingExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error {
	return errors.New("collector answered 400 Bad Request")
}

func (refusingExporter) Shutdown(context.Context) error { return nil }

// ExampleWithErrorLogger comes last: it leaves its logger as
// OpenTelemetry's global error handler.
func ExampleWithErrorLogger() {
	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: noTime}))
	tel, _ := telemetry.Setup(context.Background(), telemetry.WithoutRuntimeMetrics(), telemetry.WithErrorLogger(logger))
	// An outage: the exporters fail again and again. The log gets the
	// first ErrorLogBurst failures, then one per ErrorLogInterval.
	for i := range telemetry.ErrorLogBurst + 2 {
		otel.Handle(fmt.Errorf("traces export: attempt %d: connection refused", i+1))
	}
	tel.Shutdown(context.Background()) // says how many were left out
	// Output:
	// level=ERROR msg="opentelemetry error" err="traces export: attempt 1: connection refused"
	// level=ERROR msg="opentelemetry error" err="traces export: attempt 2: connection refused"
	// level=ERROR msg="opentelemetry error" err="traces export: attempt 3: connection refused"
	// level=ERROR msg="opentelemetry error" err="traces export: attempt 4: connection refused"
	// level=ERROR msg="opentelemetry error" err="traces export: attempt 5: connection refused"
	// level=WARN msg="opentelemetry errors suppressed" suppressed=2
}
