package telemetry_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

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

// TestNilComponentsRefused: a nil exporter, processor or reader given by
// option is a ConfigError from Setup, not a panic there or later in the
// batcher's goroutine.
func TestNilComponentsRefused(t *testing.T) {
	var nilExporter *countingExporter
	tests := []struct {
		opt  telemetry.Option
		name string
	}{
		{telemetry.WithSpanExporter(nil), "WithSpanExporter"},
		{telemetry.WithSpanExporter(nilExporter), "WithSpanExporter"},
		{telemetry.WithSpanProcessor(nil), "WithSpanProcessor"},
		{telemetry.WithMetricReader(nil), "WithMetricReader"},
	}
	for _, tt := range tests {
		clearEnv(t)
		tel, err := telemetry.Setup(t.Context(), tt.opt, telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics())
		if err == nil {
			// What the service does next: a span, then Shutdown.
			_, span := tel.Tracer("t").Start(context.Background(), "work")
			span.End()
			tel.Shutdown(t.Context())
		}
		var ce *telemetry.ConfigError
		if !errors.As(err, &ce) || ce.Name != tt.name || ce.Value != "nil" {
			t.Errorf("Setup(%s(nil)) = %v, want a ConfigError naming %s", tt.name, err, tt.name)
		}
	}
}

// TestSamplerArgNotANumber: NaN passes a range check written as
// v < 0 || v > 1; it and the infinities are refused.
func TestSamplerArgNotANumber(t *testing.T) {
	for _, arg := range []string{"NaN", "nan", "-nan", "Inf", "+Inf", "-Inf", "infinity", "1e400", "1_0"} {
		for _, sampler := range []string{"traceidratio", "parentbased_traceidratio"} {
			clearEnv(t)
			t.Setenv("OTEL_TRACES_SAMPLER", sampler)
			t.Setenv("OTEL_TRACES_SAMPLER_ARG", arg)
			tel, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals())
			if err == nil {
				tel.Shutdown(t.Context())
			}
			var ce *telemetry.ConfigError
			if !errors.As(err, &ce) || ce.Name != "OTEL_TRACES_SAMPLER_ARG" || ce.Value != arg {
				t.Errorf("OTEL_TRACES_SAMPLER=%s OTEL_TRACES_SAMPLER_ARG=%s: Setup = %v, want a ConfigError naming the argument", sampler, arg, err)
			}
		}
	}
	// Good values still pass, in the forms the specification shows.
	for _, arg := range []string{"0", "1", "0.25", " 0.5 ", "1.0", ".1"} {
		clearEnv(t)
		t.Setenv("OTEL_TRACES_SAMPLER", "traceidratio")
		t.Setenv("OTEL_TRACES_SAMPLER_ARG", arg)
		tel, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals())
		if err != nil {
			t.Errorf("OTEL_TRACES_SAMPLER_ARG=%q: Setup = %v", arg, err)
			continue
		}
		tel.Shutdown(t.Context())
	}
}

// TestErrorsNameOptionOrRawValue: an option's error names the option and
// its arguments as given; a variable's error shows the raw value.
func TestErrorsNameOptionOrRawValue(t *testing.T) {
	tests := []struct {
		env  map[string]string
		opts []telemetry.Option
		want string
	}{
		{opts: []telemetry.Option{telemetry.WithPropagators("b3", "bogus")}, want: `telemetry: WithPropagators="b3,bogus": unknown propagator "bogus"`},
		{env: map[string]string{"OTEL_PROPAGATORS": "tracecontext, bagage"}, want: `telemetry: OTEL_PROPAGATORS="tracecontext, bagage": unknown propagator "bagage"`},
		{env: map[string]string{"OTEL_PROPAGATORS": "b3"}, opts: []telemetry.Option{telemetry.WithPropagators("B3", "Bogus")}, want: `telemetry: WithPropagators="B3,Bogus": unknown propagator "Bogus"`},
		{env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp , zipkin"}, want: `telemetry: OTEL_TRACES_EXPORTER="otlp , zipkin": unknown exporter "zipkin"`},
		{opts: []telemetry.Option{telemetry.WithMetricsExporter("otlp", "statsd")}, want: `telemetry: WithMetricsExporter="otlp,statsd": unknown exporter "statsd"`},
		{opts: []telemetry.Option{telemetry.WithProtocol("http/json")}, want: `telemetry: WithProtocol="http/json"`},
	}
	for _, tt := range tests {
		clearEnv(t)
		for k, v := range tt.env {
			t.Setenv(k, v)
		}
		tel, err := telemetry.Setup(t.Context(), append(tt.opts, telemetry.WithoutGlobals())...)
		if err == nil {
			tel.Shutdown(t.Context())
		}
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Setup with %v = %v, want %s…", tt.env, err, tt.want)
		}
	}
}

// TestNoSilentFallback: each value below used to be dropped, replaced by
// a default or doubled without a word. Each is now a ConfigError naming
// the variable and its raw value.
func TestNoSilentFallback(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "a=%ZZ"}, `OTEL_RESOURCE_ATTRIBUTES="a=%ZZ": `},
		{map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "service.name=x,=y"}, `OTEL_RESOURCE_ATTRIBUTES="service.name=x,=y": `},
		{map[string]string{"OTEL_BSP_MAX_QUEUE_SIZE": "abc"}, `OTEL_BSP_MAX_QUEUE_SIZE="abc": want a positive whole number`},
		{map[string]string{"OTEL_BSP_MAX_QUEUE_SIZE": "-5"}, `OTEL_BSP_MAX_QUEUE_SIZE="-5": want a positive whole number`},
		{map[string]string{"OTEL_BSP_MAX_QUEUE_SIZE": "0"}, `OTEL_BSP_MAX_QUEUE_SIZE="0": want a positive whole number`},
		{map[string]string{"OTEL_BSP_SCHEDULE_DELAY": "5s"}, `OTEL_BSP_SCHEDULE_DELAY="5s": want a positive whole number of milliseconds`},
		{map[string]string{"OTEL_BSP_EXPORT_TIMEOUT": "-1"}, `OTEL_BSP_EXPORT_TIMEOUT="-1"`},
		{map[string]string{"OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "1.5"}, `OTEL_BSP_MAX_EXPORT_BATCH_SIZE="1.5"`},
		{map[string]string{"OTEL_BSP_MAX_QUEUE_SIZE": "100", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "512"}, `OTEL_BSP_MAX_EXPORT_BATCH_SIZE="512": more than OTEL_BSP_MAX_QUEUE_SIZE 100`},
		{map[string]string{"OTEL_PROPAGATORS": "none,b3"}, `OTEL_PROPAGATORS="none,b3": "none" cannot be combined with other propagators`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			clearEnv(t)
			restoreGlobals(t)
			std := captureStdLog(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			tel, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals(), telemetry.WithTracesExporter("console"),
				telemetry.WithConsoleWriter(&bytes.Buffer{}))
			if err == nil {
				tel.Shutdown(t.Context())
			}
			var ce *telemetry.ConfigError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Setup with %v = %v, want a ConfigError holding %s", tt.env, err, tt.want)
			}
			if s := std.String(); s != "" {
				t.Errorf("Setup with %v wrote %q to the standard log", tt.env, s)
			}
		})
	}
	clearEnv(t)
	_, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals(), telemetry.WithResourceAttributes(attribute.String("", "x")))
	if err == nil || !strings.Contains(err.Error(), "WithResourceAttributes") {
		t.Errorf("Setup(WithResourceAttributes with an empty key) = %v, want an error naming the option", err)
	}
}

// TestBatchQueueSizes: OTEL_BSP_MAX_QUEUE_SIZE, when valid, is the queue
// size; unset, DefaultMaxQueueSize is. A queue this small drops the
// spans of a burst past it, which is what the test counts.
func TestBatchQueueSizes(t *testing.T) {
	for _, tt := range []struct {
		env  string
		want int
	}{{"", telemetry.DefaultMaxQueueSize}, {" 3 ", 3}, {"3", 3}} {
		clearEnv(t)
		t.Setenv("OTEL_BSP_MAX_QUEUE_SIZE", tt.env)
		t.Setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "")
		exp := &blockingExporter{release: make(chan struct{})}
		tel, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics(), telemetry.WithSpanExporter(exp))
		if err != nil {
			t.Fatalf("OTEL_BSP_MAX_QUEUE_SIZE=%q: Setup = %v", tt.env, err)
		}
		// The first export blocks; the queue holds at most its size,
		// less what the batcher took out for that export.
		n := tt.want + 1000
		for range n {
			_, span := tel.Tracer("t").Start(context.Background(), "burst")
			span.End()
		}
		close(exp.release)
		if err := tel.Shutdown(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := exp.count(); got > tt.want+512 || got < min(tt.want, n) {
			t.Errorf("OTEL_BSP_MAX_QUEUE_SIZE=%q: %d of %d spans exported, want about %d", tt.env, got, n, tt.want)
		}
	}
}

// TestConfigWarnings: what Setup can use but is most likely a mistake is a
// warning through the error logger: a variable one letter off a
// specified one, and an exporter or propagator named twice (used once).
func TestConfigWarnings(t *testing.T) {
	tests := []struct {
		env  map[string]string
		warn string
	}{
		{map[string]string{"OTEL_TRACE_EXPORTER": "otlp"}, `OTEL_TRACE_EXPORTER is not a variable OpenTelemetry reads; did you mean OTEL_TRACES_EXPORTER? It is ignored`},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPIONT": "http://c:4318"}, `did you mean OTEL_EXPORTER_OTLP_ENDPOINT?`},
		{map[string]string{"OTEL_SERVICENAME": "x"}, `did you mean OTEL_SERVICE_NAME?`},
		{map[string]string{"OTEL_TRACES_EXPORTER": "console,Console"}, `OTEL_TRACES_EXPORTER=\"console,Console\": exporter \"Console\" named twice; it is used once`},
		{map[string]string{"OTEL_PROPAGATORS": "b3,tracecontext,b3"}, `OTEL_PROPAGATORS=\"b3,tracecontext,b3\": propagator \"b3\" named twice; it is used once`},
	}
	for _, tt := range tests {
		t.Run(tt.warn, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var buf syncBuffer
			tel, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics(),
				telemetry.WithConsoleWriter(&bytes.Buffer{}), telemetry.WithErrorLogger(textLogger(&buf, slog.LevelInfo)))
			if err != nil {
				t.Fatalf("Setup with %v = %v, want a warning only", tt.env, err)
			}
			tel.Shutdown(t.Context())
			if got := buf.String(); strings.Count(got, "level=WARN") != 1 || !strings.Contains(got, tt.warn) {
				t.Errorf("Setup with %v logged %q, want one warning holding %q", tt.env, got, tt.warn)
			}
		})
	}
	// Variables OpenTelemetry reads, and those of other tools, draw no
	// warning.
	clearEnv(t)
	for _, v := range []string{"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_BSP_SCHEDULE_DELAY",
		"OTEL_METRIC_EXPORT_INTERVAL", "OTEL_GO_X_OBSERVABILITY", "OTEL_SEMCONV_STABILITY_OPT_IN", "OTEL_JAVAAGENT_ENABLED"} {
		val := "1000"
		if v == "OTEL_EXPORTER_OTLP_HEADERS" {
			val = "x=y"
		}
		t.Setenv(v, val)
	}
	var buf syncBuffer
	tel, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics(),
		telemetry.WithErrorLogger(textLogger(&buf, slog.LevelInfo)))
	if err != nil {
		t.Fatal(err)
	}
	tel.Shutdown(t.Context())
	if buf.String() != "" {
		t.Errorf("Setup with known variables logged %q", buf.String())
	}
	// Options are code, checked by the compiler's reader: a duplicate
	// there is a warning as well.
	clearEnv(t)
	buf = syncBuffer{}
	tel, err = telemetry.Setup(t.Context(), telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics(), telemetry.WithTracesExporter("console", "console"),
		telemetry.WithConsoleWriter(&bytes.Buffer{}), telemetry.WithErrorLogger(textLogger(&buf, slog.LevelInfo)))
	if err != nil {
		t.Fatal(err)
	}
	tel.Shutdown(t.Context())
	if !strings.Contains(buf.String(), `WithTracesExporter=\"console,console\": exporter \"console\" named twice`) {
		t.Errorf("WithTracesExporter(console, console) logged %q", buf.String())
	}
}

// TestDuplicateExporterExportsOnce: OTEL_TRACES_EXPORTER=console,console
// writes each span once.
func TestDuplicateExporterExportsOnce(t *testing.T) {
	clearEnv(t)
	t.Setenv("OTEL_TRACES_EXPORTER", "console,console")
	var out bytes.Buffer
	tel, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics(),
		telemetry.WithConsoleWriter(&out), telemetry.WithErrorLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	_, span := tel.Tracer("t").Start(context.Background(), "once")
	span.End()
	if err := tel.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), `"Name":"once"`); n != 1 {
		t.Errorf("the span was written %d times, want once:\n%s", n, out.String())
	}
}

// blockingExporter holds its first export until release is closed, and
// counts the spans it is given.
type blockingExporter struct {
	release chan struct{}
	mu      sync.Mutex
	n       int
}

func (e *blockingExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	<-e.release
	e.mu.Lock()
	e.n += len(spans)
	e.mu.Unlock()
	return nil
}

func (e *blockingExporter) Shutdown(context.Context) error { return nil }

func (e *blockingExporter) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.n
}
