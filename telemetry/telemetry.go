package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/instrumentation/runtime"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	promexporter "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/log"
	lognoop "go.opentelemetry.io/otel/log/noop"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/ybiyri/runkit/internal/buildinfo"
	"github.com/ybiyri/runkit/internal/redact"
)

// DefaultMaxQueueSize is how many ended spans wait for export before new
// ones are dropped, unless OTEL_BSP_MAX_QUEUE_SIZE says otherwise. The
// SDK's 2048 drops spans in a burst; a larger queue keeps them for the
// exporter at a bounded memory cost.
const DefaultMaxQueueSize = 16384

// Telemetry holds the providers Setup made. Its zero value is not usable;
// a disabled Telemetry holds no-op providers.
type Telemetry struct {
	// TracerProvider, MeterProvider and LoggerProvider are the providers.
	// Metrics and logs that export nowhere have no-op providers; traces
	// that export nowhere have the SDK's provider with no processor, so
	// that a request's span has ids for its log records (see Middleware),
	// and no-ops only when the SDK is disabled.
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
	LoggerProvider log.LoggerProvider
	// Propagator carries trace context across process boundaries.
	Propagator propagation.TextMapPropagator
	// Resource describes the service; nil when disabled.
	Resource *resource.Resource

	disabled   bool
	traces     bool // spans go to an exporter or a processor
	logs       bool
	diag       *diagnostics // nil when disabled
	metricsH   http.Handler // nil unless the metrics exporter is prometheus
	metricsOff string       // what MetricsHandler answers when metricsH is nil
	pipelines  []*signalPipeline

	once        sync.Once
	shutdownErr error
}

// Setup configures OpenTelemetry from the environment variables the
// specification defines, overridden by opts, and installs the result as the
// global tracer, meter and logger providers and propagator unless
// WithoutGlobals is given, so that instrumentation made elsewhere (an
// otelslog bridge, a library's tracer) reports through them. Call
// Shutdown before the process exits, or spans still in memory are lost.
//
// When nothing names an exporter or an OTLP endpoint, nothing is exported
// and no connection is attempted. With OTEL_SDK_DISABLED=true every
// provider is a no-op and nothing is started. Bad configuration is an
// error naming the variable and its value.
func Setup(ctx context.Context, opts ...Option) (*Telemetry, error) {
	var c config
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	for _, w := range unknownVariables() {
		c.warn(w)
	}
	disabled, warning := c.isDisabled()
	if warning != "" {
		c.warn(warning)
	}
	if disabled {
		t := &Telemetry{
			TracerProvider: tracenoop.NewTracerProvider(),
			MeterProvider:  metricnoop.NewMeterProvider(),
			LoggerProvider: lognoop.NewLoggerProvider(),
			Propagator:     propagation.NewCompositeTextMapPropagator(),
			disabled:       true,
			metricsOff: "telemetry: metrics are not served: the OpenTelemetry SDK is disabled (OTEL_SDK_DISABLED=true or telemetry.WithDisabled); " +
				"enable it and set OTEL_METRICS_EXPORTER=prometheus to serve them here",
		}
		return t, nil
	}
	r, err := c.resolve()
	if err != nil {
		return nil, err
	}
	for _, w := range r.warnings {
		c.warn(w)
	}
	res, err := newResource(ctx, &c)
	if err != nil {
		return nil, err
	}
	t := &Telemetry{Resource: res, Propagator: r.propagator, diag: newDiagnostics(c.errorLogger)}
	t.diag.scrub = redact.Join(r.traces.scrubber(), r.metrics.scrubber(), r.logs.scrubber())
	// On a later error, release what was started.
	ok := false
	defer func() {
		if !ok {
			t.Shutdown(context.Background())
		}
	}()

	if err := t.setupTraces(ctx, &c, r, res); err != nil {
		return nil, err
	}
	if err := t.setupMetrics(ctx, &c, r, res); err != nil {
		return nil, err
	}
	if err := t.setupLogs(ctx, r, res); err != nil {
		return nil, err
	}
	if !c.noGlobals {
		otel.SetTracerProvider(t.TracerProvider)
		otel.SetMeterProvider(t.MeterProvider)
		otel.SetLoggerProvider(t.LoggerProvider)
		otel.SetTextMapPropagator(t.Propagator)
		otel.SetErrorHandler(t.diag)
		otel.SetLogger(logr.New(logSink{d: t.diag}))
	}
	ok = true
	return t, nil
}

func newResource(ctx context.Context, c *config) (*resource.Resource, error) {
	bi := buildinfo.Read()
	defaults := []resource.Option{
		resource.WithTelemetrySDK(),
		resource.WithHost(),
		resource.WithProcessPID(),
		resource.WithProcessExecutableName(),
		resource.WithProcessRuntimeName(),
		resource.WithProcessRuntimeVersion(),
		resource.WithAttributes(semconv.ServiceName(filepath.Base(os.Args[0]))),
	}
	if bi.Version != "" && bi.Version != "(devel)" {
		defaults = append(defaults, resource.WithAttributes(semconv.ServiceVersion(bi.Version)))
	}
	if bi.Revision != "" {
		defaults = append(defaults, resource.WithAttributes(semconv.VCSRefHeadRevisionKey.String(bi.Revision)))
	}
	defaults = append(defaults, resource.WithFromEnv())
	var overrides []resource.Option
	if c.serviceName != "" {
		overrides = append(overrides, resource.WithAttributes(semconv.ServiceName(c.serviceName)))
	}
	if c.serviceVersion != "" {
		overrides = append(overrides, resource.WithAttributes(semconv.ServiceVersion(c.serviceVersion)))
	}
	if c.environment != "" {
		overrides = append(overrides, resource.WithAttributes(semconv.DeploymentEnvironmentNameKey.String(c.environment)))
	}
	if len(c.attrs) > 0 {
		overrides = append(overrides, resource.WithAttributes(c.attrs...))
	}
	res, err := resource.New(ctx, append(defaults, overrides...)...)
	switch {
	case err == nil:
	case errors.Is(err, resource.ErrSchemaURLConflict):
		// Detectors from different semantic-convention versions disagree
		// on the schema URL; the attributes are still good, and a missing
		// schema URL is no reason to fail start-up.
	case errors.Is(err, resource.ErrPartialResource):
		return nil, &ConfigError{"OTEL_RESOURCE_ATTRIBUTES", env("OTEL_RESOURCE_ATTRIBUTES"), err.Error()}
	default:
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}
	return res, nil
}

func (t *Telemetry) setupTraces(ctx context.Context, c *config, r *resolved, res *resource.Resource) error {
	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res), sdktrace.WithSampler(r.sampler)}
	pipe := newPipeline("traces", r.traces, "/v1/traces",
		append(typeNames(c.spanExporters), typeNames(c.spanProcessors)...)...)
	var exporters []sdktrace.SpanExporter
	for _, exp := range c.spanExporters {
		exporters = append(exporters, pipe.guard(exp))
	}
	for _, name := range r.traces.exporters {
		var exp sdktrace.SpanExporter
		var err error
		switch name {
		case "console":
			exp, err = stdouttrace.New(stdouttrace.WithWriter(c.consoleWriter()))
		case "otlp":
			exp, err = traceExporter(ctx, r.traces)
		}
		if err != nil {
			return fmt.Errorf("telemetry: %s trace exporter: %w", name, err)
		}
		exporters = append(exporters, pipe.guard(exp))
	}
	if len(exporters) == 0 && len(c.spanProcessors) == 0 {
		// Nothing to export to, yet spans still get ids of their own: the
		// SDK without a processor makes each request's span, with the
		// caller's trace or a new one and the configured sampler's
		// decision to pass on, and drops it when it ends. A no-op
		// provider would give a request no span, so its records would
		// carry no ids, or the caller's span_id. Nothing runs in the
		// background and nothing connects.
		t.TracerProvider = sdktrace.NewTracerProvider(opts...)
		return nil
	}
	for _, exp := range exporters {
		opts = append(opts, sdktrace.WithBatcher(exp, r.batch...))
	}
	for _, p := range c.spanProcessors {
		opts = append(opts, sdktrace.WithSpanProcessor(p))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	t.TracerProvider = tp
	t.traces = true
	pipe.shutdown = tp.Shutdown
	t.pipelines = append(t.pipelines, pipe)
	return nil
}

func traceExporter(ctx context.Context, s signal) (sdktrace.SpanExporter, error) {
	if s.protocol == "grpc" {
		var opts []otlptracegrpc.Option
		if s.endpoint != "" {
			opts = append(opts, otlptracegrpc.WithEndpointURL(s.endpoint))
		}
		return otlptracegrpc.New(ctx, opts...)
	}
	var opts []otlptracehttp.Option
	if s.endpoint != "" {
		opts = append(opts, otlptracehttp.WithEndpointURL(signalURL(s, "/v1/traces")))
	}
	return otlptracehttp.New(ctx, opts...)
}

// signalURL appends the signal's path to a base endpoint's path, as the
// specification asks for OTEL_EXPORTER_OTLP_ENDPOINT over HTTP. An
// endpoint has no query or fragment (checkURL refuses them), so the path
// is the end of the string.
func signalURL(s signal, path string) string {
	if s.fullURL {
		return s.endpoint
	}
	return strings.TrimRight(s.endpoint, "/") + path
}

// userPart is the part of the endpoint that came from the user, without
// the signal's standard path: for a base endpoint all of it, for a
// per-signal URL what is before a trailing /v1/traces (say).
func (s signal) userPart(path string) (user, suffix string) {
	if !s.fullURL {
		return strings.TrimRight(s.endpoint, "/"), path
	}
	if u, ok := strings.CutSuffix(s.endpoint, path); ok {
		return u, path
	}
	return s.endpoint, ""
}

// shownEndpoint is where the signal's data goes, for errors and logs: the
// user's part redacted (see redact.URL) and the standard path after it,
// which holds no secret.
func (s signal) shownEndpoint(path string) string {
	if s.endpoint == "" {
		return ""
	}
	if s.protocol == "grpc" {
		return redact.URL(s.endpoint)
	}
	user, suffix := s.userPart(path)
	return redact.URL(user) + suffix
}

// scrubber hides the secret parts of the signal's endpoint in text that
// shows it: an export error carries the URL it posted to.
func (s signal) scrubber() redact.Scrubber {
	if s.endpoint == "" || len(s.exporters) == 0 {
		return nil
	}
	user, _ := s.userPart(s.path)
	return redact.NewScrubber(user)
}

func (t *Telemetry) setupMetrics(ctx context.Context, c *config, r *resolved, res *resource.Resource) error {
	readers := append([]sdkmetric.Reader(nil), c.metricReaders...)
	pipe := newPipeline("metrics", r.metrics, "/v1/metrics", typeNames(c.metricReaders)...)
	for _, name := range r.metrics.exporters {
		switch name {
		case "prometheus":
			reg := prometheus.NewRegistry()
			exp, err := promexporter.New(promexporter.WithRegisterer(reg))
			if err != nil {
				return fmt.Errorf("telemetry: prometheus exporter: %w", err)
			}
			readers = append(readers, exp)
			t.metricsH = promhttp.HandlerFor(renamingGatherer{reg}, promhttp.HandlerOpts{})
		case "console":
			exp, err := stdoutmetric.New(stdoutmetric.WithWriter(c.consoleWriter()))
			if err != nil {
				return fmt.Errorf("telemetry: console metric exporter: %w", err)
			}
			readers = append(readers, sdkmetric.NewPeriodicReader(guardedMetricExporter{exp, pipe.newGuard()}))
		case "otlp":
			exp, err := metricExporter(ctx, r.metrics)
			if err != nil {
				return fmt.Errorf("telemetry: otlp metric exporter: %w", err)
			}
			readers = append(readers, sdkmetric.NewPeriodicReader(guardedMetricExporter{exp, pipe.newGuard()}))
		}
	}
	if t.metricsH == nil {
		t.metricsOff = metricsOff(r.metrics.exporters)
	}
	if len(readers) == 0 {
		t.MeterProvider = metricnoop.NewMeterProvider()
		return nil
	}
	opts := []sdkmetric.Option{sdkmetric.WithResource(res)}
	for _, rd := range readers {
		opts = append(opts, sdkmetric.WithReader(rd))
	}
	mp := sdkmetric.NewMeterProvider(opts...)
	t.MeterProvider = mp
	pipe.shutdown = mp.Shutdown
	t.pipelines = append(t.pipelines, pipe)
	if !c.noRuntime {
		if err := runtime.Start(runtime.WithMeterProvider(mp), runtime.WithMinimumReadMemStatsInterval(15*time.Second)); err != nil {
			return fmt.Errorf("telemetry: runtime metrics: %w", err)
		}
	}
	return nil
}

func metricExporter(ctx context.Context, s signal) (sdkmetric.Exporter, error) {
	if s.protocol == "grpc" {
		var opts []otlpmetricgrpc.Option
		if s.endpoint != "" {
			opts = append(opts, otlpmetricgrpc.WithEndpointURL(s.endpoint))
		}
		return otlpmetricgrpc.New(ctx, opts...)
	}
	var opts []otlpmetrichttp.Option
	if s.endpoint != "" {
		opts = append(opts, otlpmetrichttp.WithEndpointURL(signalURL(s, "/v1/metrics")))
	}
	return otlpmetrichttp.New(ctx, opts...)
}

func (t *Telemetry) setupLogs(ctx context.Context, r *resolved, res *resource.Resource) error {
	if len(r.logs.exporters) == 0 {
		t.LoggerProvider = lognoop.NewLoggerProvider()
		return nil
	}
	var opts []otlploghttp.Option
	if r.logs.endpoint != "" {
		opts = append(opts, otlploghttp.WithEndpointURL(signalURL(r.logs, "/v1/logs")))
	}
	exp, err := otlploghttp.New(ctx, opts...)
	if err != nil {
		return fmt.Errorf("telemetry: otlp log exporter: %w", err)
	}
	pipe := newPipeline("logs", r.logs, "/v1/logs")
	lp := sdklog.NewLoggerProvider(sdklog.WithResource(res),
		sdklog.WithProcessor(sdklog.NewBatchProcessor(guardedLogExporter{exp, pipe.newGuard()})))
	t.LoggerProvider = lp
	t.logs = true
	pipe.shutdown = lp.Shutdown
	t.pipelines = append(t.pipelines, pipe)
	return nil
}

// Disabled reports whether the SDK is off (OTEL_SDK_DISABLED=true).
func (t *Telemetry) Disabled() bool { return t.disabled }

// TracesExported reports whether spans go anywhere: to an exporter
// (OTEL_TRACES_EXPORTER, an OTLP endpoint, WithSpanExporter) or a
// WithSpanProcessor. Without one, spans are made, for the ids of log
// records, and dropped as they end.
func (t *Telemetry) TracesExported() bool { return t.traces }

// MetricsHandler serves the Prometheus exposition of the metrics when the
// metrics exporter is "prometheus". Otherwise it answers 404 with one line
// of text that says what to set to serve them, so that the first scrape of
// a service that forgot shows the fix.
func (t *Telemetry) MetricsHandler() http.Handler {
	if t.metricsH == nil {
		msg := t.metricsOff
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, msg, http.StatusNotFound)
		})
	}
	return t.metricsH
}

// metricsOff says how to serve metrics when the exporters are exporters,
// none of them prometheus.
func metricsOff(exporters []string) string {
	if len(exporters) == 0 {
		return "telemetry: metrics are not served: set OTEL_METRICS_EXPORTER=prometheus, " +
			`or give Setup telemetry.WithMetricsExporter("prometheus")`
	}
	names := strings.Join(exporters, ",")
	quoted := `"` + strings.Join(exporters, `", "`) + `"`
	return fmt.Sprintf("telemetry: metrics go to %s and are not served here: to serve them too, "+
		`set OTEL_METRICS_EXPORTER=%s,prometheus, or give Setup telemetry.WithMetricsExporter(%s, "prometheus")`, names, names, quoted)
}

// Tracer returns a tracer of the Telemetry's provider.
func (t *Telemetry) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	return t.TracerProvider.Tracer(name, opts...)
}

// Meter returns a meter of the Telemetry's provider.
func (t *Telemetry) Meter(name string, opts ...metric.MeterOption) metric.Meter {
	return t.MeterProvider.Meter(name, opts...)
}
