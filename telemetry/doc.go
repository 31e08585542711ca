// Package telemetry sets up OpenTelemetry in one call — traces, metrics and
// log correlation — and loses nothing at shutdown.
//
//	tel, err := telemetry.Setup(ctx)
//	if err != nil {
//		return err // bad configuration, named: OTEL_TRACES_SAMPLER_ARG="1.5": ...
//	}
//	defer tel.Shutdown(context.Background()) // flushes what is still in memory
//	handler = tel.Middleware(mux)
//
// # Configuration
//
// Setup reads the environment variables the OpenTelemetry specification
// defines, and options override them in code:
//
//	OTEL_SDK_DISABLED=true            every provider a no-op; nothing started, nothing sent
//	OTEL_SERVICE_NAME                 service.name (else the binary's name)
//	OTEL_RESOURCE_ATTRIBUTES          key=value,... added to the resource
//	OTEL_TRACES_EXPORTER              otlp, console, none
//	OTEL_METRICS_EXPORTER             otlp, console, prometheus, none
//	OTEL_LOGS_EXPORTER                otlp, none (through the slog bridge)
//	OTEL_EXPORTER_OTLP_ENDPOINT       base URL; /v1/traces etc. are appended for HTTP
//	OTEL_EXPORTER_OTLP_{TRACES,METRICS,LOGS}_ENDPOINT   full per-signal URLs
//	OTEL_EXPORTER_OTLP_PROTOCOL       http/protobuf (default) or grpc; per signal too
//	OTEL_TRACES_SAMPLER, _ARG         always_on, always_off, traceidratio, parentbased_*
//	OTEL_PROPAGATORS                  tracecontext,baggage (default), b3, b3multi, jaeger, xray, ottrace, none
//
// Values that name something (exporters, protocols, samplers,
// propagators) are read in any case: OTLP and otlp are the same, as the
// specification asks. OTEL_SDK_DISABLED turns the SDK off only when it is
// "true", in any case; any other value leaves it on, and a value other
// than "false" is logged as a warning rather than refused.
//
// Unlike the specification's default of otlp, a signal with no exporter
// named and no endpoint set exports nothing, so a service run on a laptop
// or in a test makes no connection to localhost:4318. A value Setup cannot
// use is a [*ConfigError] naming the variable and the value, never a
// silent fallback. The OTLP exporters also read their own variables
// (headers, timeouts, certificates) as the specification describes.
//
// # Resource
//
// The resource carries service.name, service.version and
// vcs.ref.head.revision from the build (runtime/debug.ReadBuildInfo, or
// link-time overrides: see deploy.Build), deployment.environment.name from
// [WithEnvironment], host and process attributes, and
// OTEL_RESOURCE_ATTRIBUTES, with semantic conventions v1.43.0, the version
// shipped with otel v1.47.0. Detectors that disagree on the schema URL do
// not fail setup.
//
// # Shutdown
//
// [Telemetry.Shutdown] flushes every queued span, metric and log record
// within the context's deadline and returns export failures as an error;
// it never exits the process, and later calls return the first result.
// The signals shut down in parallel, each with the whole deadline, so
// traces retrying against a collector that is down do not leave metrics
// unsent, and each failure is a [*ShutdownError] naming the signal, the
// exporter and the endpoint, with the last export error behind a bare
// "context deadline exceeded". Exports still running at the deadline are
// cancelled: nothing keeps sending after Shutdown has returned. The
// span queue holds [DefaultMaxQueueSize] spans (OTEL_BSP_MAX_QUEUE_SIZE
// overrides it), so a burst is kept for export rather than dropped.
//
// # HTTP and logs
//
// [Telemetry.Middleware] and [Telemetry.Transport] wrap otelhttp: spans
// named after the route (r.Pattern), trace context propagated, and the
// standard http.server.request.duration histogram. [TraceHandler] adds
// trace_id and span_id to slog records made inside a span.
// [Telemetry.MetricsHandler] serves /metrics when the metrics exporter is
// prometheus. Runtime metrics (goroutines, memory, GC) are recorded
// whenever metrics are exported, unless [WithoutRuntimeMetrics].
//
// # OpenTelemetry's own errors
//
// A failed export or a dropped span is reported to OpenTelemetry's global
// error handler, and the SDK has an internal log of its own; by default
// both print to standard error through the log package. Setup routes them
// into a slog.Logger instead: the one given by [WithErrorLogger], else the
// handler last given to [Telemetry.LogHandler], else slog.Default().
// Errors are written at ERROR and warnings at WARN, at most
// [ErrorLogBurst] at once and then one per [ErrorLogInterval], so that a
// collector outage costs a few lines; the count left out is written with
// the next record and at Shutdown. The SDK's informational messages are
// written at DEBUG.
//
// Package [github.com/ybiyri/runkit/telemetry/telemetrytest] records spans
// and metrics in memory for a test.
package telemetry
