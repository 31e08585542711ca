package telemetry_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"

	"github.com/ybiyri/runkit/telemetry"
)

// TestSDKDisabledValues: only "true", in any case, turns the SDK off; any
// other value leaves it on, with a warning for a value that is neither
// true nor false.
func TestSDKDisabledValues(t *testing.T) {
	tests := []struct {
		value    string
		disabled bool
		warns    bool
	}{
		{"true", true, false},
		{"TRUE", true, false},
		{"True", true, false},
		{"", false, false},
		{"false", false, false},
		{"False", false, false},
		{"1", false, true},
		{"yes", false, true},
		{"on", false, true},
		{"0", false, true},
	}
	for _, tt := range tests {
		clearEnv(t)
		t.Setenv("OTEL_SDK_DISABLED", tt.value)
		var buf syncBuffer
		tel, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics(),
			telemetry.WithErrorLogger(textLogger(&buf, slog.LevelInfo)))
		if err != nil {
			t.Errorf("OTEL_SDK_DISABLED=%q: Setup = %v, want no error", tt.value, err)
			continue
		}
		tel.Shutdown(t.Context())
		if tel.Disabled() != tt.disabled {
			t.Errorf("OTEL_SDK_DISABLED=%q: Disabled() = %v, want %v", tt.value, tel.Disabled(), tt.disabled)
		}
		want := ""
		if tt.warns {
			want = `level=WARN msg="telemetry: OTEL_SDK_DISABLED=\"` + tt.value + `\" is not \"true\": the SDK stays enabled"` + "\n"
		}
		if got := buf.String(); got != want {
			t.Errorf("OTEL_SDK_DISABLED=%q: log = %q, want %q", tt.value, got, want)
		}
	}
}

// TestEnumsAnyCase: the specification asks for enum values to be read
// whatever their case.
func TestEnumsAnyCase(t *testing.T) {
	clearEnv(t)
	rc := newReceiver()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rc.startGRPC(t))
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "GRPC")
	t.Setenv("OTEL_TRACES_EXPORTER", "OTLP,Console")
	t.Setenv("OTEL_METRICS_EXPORTER", "Prometheus")
	t.Setenv("OTEL_LOGS_EXPORTER", "NONE")
	t.Setenv("OTEL_TRACES_SAMPLER", "ParentBased_TraceIdRatio")
	t.Setenv("OTEL_TRACES_SAMPLER_ARG", "1")
	t.Setenv("OTEL_PROPAGATORS", "TraceContext,Baggage,B3")
	var console bytes.Buffer
	tel, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics(),
		telemetry.WithConsoleWriter(&console))
	if err != nil {
		t.Fatal(err)
	}
	_, span := tel.Tracer("t").Start(context.Background(), "rpc")
	span.SetAttributes(attribute.Int("seq", 1))
	span.End()
	c, _ := tel.Meter("t").Int64Counter("jobs")
	c.Add(context.Background(), 1)
	rec := httptest.NewRecorder()
	tel.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	fields := tel.Propagator.Fields()
	if err := tel.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.spans["rpc"] != 1 {
		t.Errorf("the gRPC receiver got %d spans, want 1", rc.spans["rpc"])
	}
	if !strings.Contains(console.String(), `"Name":"rpc"`) {
		t.Errorf("console exporter wrote %q, want the span", console.String())
	}
	if !strings.Contains(rec.Body.String(), "jobs_total") {
		t.Errorf("/metrics lacks jobs_total:\n%s", rec.Body.String())
	}
	for _, f := range []string{"traceparent", "baggage", "b3"} {
		if !slices.Contains(fields, f) {
			t.Errorf("propagator fields %v lack %s", fields, f)
		}
	}
}

// TestOptionEnumsAnyCase: options take the same values as the variables.
func TestOptionEnumsAnyCase(t *testing.T) {
	clearEnv(t)
	var console bytes.Buffer
	tel, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics(),
		telemetry.WithTracesExporter("Console"), telemetry.WithConsoleWriter(&console),
		telemetry.WithProtocol("HTTP/Protobuf"), telemetry.WithPropagators("TraceContext"))
	if err != nil {
		t.Fatal(err)
	}
	_, span := tel.Tracer("t").Start(context.Background(), "job")
	span.End()
	if err := tel.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(console.String(), `"Name":"job"`) {
		t.Errorf("console exporter wrote %q, want the span", console.String())
	}
}
