// Package telemetry sets up OpenTelemetry in one call — traces, metrics and
// log correlation — and loses nothing at shutdown.
//
//	tel, err := telemetry.Setup(ctx)
//	if err != nil {
//		return err // bad configuration, named: OTEL_TRACES_SAMPLER_ARG="1.5": ...
//	}
//	defer func() { // within Kubernetes' 30 s grace period, whatever the collector does
//		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
//		defer cancel()
//		tel.Shutdown(ctx) // flushes what is still in memory, within the deadline
//	}()
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
//	OTEL_BSP_MAX_QUEUE_SIZE, OTEL_BSP_MAX_EXPORT_BATCH_SIZE, OTEL_BSP_SCHEDULE_DELAY, OTEL_BSP_EXPORT_TIMEOUT
//	                                  the span batcher: positive whole numbers (the last two in ms)
//
// Values that name something (exporters, protocols, samplers,
// propagators) are read in any case: OTLP and otlp are the same, as the
// specification asks. OTEL_SDK_DISABLED turns the SDK off only when it is
// "true", in any case; any other value leaves it on, and one that is
// neither empty nor "false" is logged as a warning rather than refused.
//
// Unlike the specification's default of otlp, a signal with no exporter
// named and no endpoint set exports nothing, so a service run on a laptop
// or in a test makes no connection to localhost:4318. A value Setup cannot
// use is a [*ConfigError] naming the variable (or option) and the value as
// given, never a silent fallback: an unparsable or non-positive
// OTEL_BSP_* number, a pair of OTEL_RESOURCE_ATTRIBUTES with no "=", an
// empty key or a bad %-escape (the specification discards the whole
// variable then; Setup refuses it), "none" combined with another
// exporter or propagator, a sampler ratio that is not a number from 0 to
// 1 (NaN included), a nil exporter, processor or reader given by option.
// What Setup can use but is most likely a mistake is a warning through
// the error logger (see below) instead: an exporter or propagator named
// twice, used once; an OTEL_ variable that OpenTelemetry does not read
// but that is a letter or two from one it does (OTEL_TRACE_EXPORTER),
// which is ignored. The OTLP exporters also read their own variables
// (headers, timeouts, certificates) as the specification describes.
//
// An OTLP endpoint is an http or https URL of scheme, host, port and
// path: the exporters send nothing else, as the specification allows, so
// an endpoint with user info, a query or a fragment is a ConfigError
// rather than credentials silently dropped; credentials go in
// OTEL_EXPORTER_OTLP_HEADERS. Over HTTP the signal's path is appended to
// the base endpoint's path (http://gw/otlp gives http://gw/otlp/v1/traces);
// a per-signal endpoint is used as it is. Wherever an endpoint is shown
// (a ConfigError, a [*ShutdownError], the error log) it is redacted by
// the rule deploy.RedactURL follows: the path the user gave reads
// "[redacted]", every segment of it, and the signal's own path (/v1/traces)
// shows.
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
// named after the route (r.Pattern) and carrying it as http.route, trace
// context propagated, and the standard HTTP metrics. [TraceHandler] adds
// trace_id and span_id, at the top level, to slog records made inside a
// span. Every request Middleware serves has a span of its own, exported
// or not: with no trace exporter configured the span is made and dropped,
// so that the request's records still carry its trace_id (the caller's,
// from an incoming traceparent, or a new one) and its own span_id, never
// the caller's. Only with the SDK disabled do records carry no ids. Runtime metrics (goroutines, memory, GC) are recorded whenever
// metrics are exported, unless [WithoutRuntimeMetrics].
//
// # Metrics
//
// [Telemetry.MetricsHandler] serves /metrics when the metrics exporter is
// prometheus, and `promtool check metrics` has nothing to say about it;
// otherwise it answers 404 with a line saying what to set.
// These are the metrics runkit emits, by the name Prometheus sees (OTLP
// carries the OpenTelemetry name of the fifth column). Every series also
// has the labels otel_scope_name, otel_scope_version and
// otel_scope_schema_url.
//
//	Prometheus name                       type       unit     labels                OpenTelemetry name               recorded by
//	http_server_request_duration_seconds  histogram  seconds  [http server]         http.server.request.duration     Telemetry.Middleware
//	http_server_request_body_size_bytes   histogram  bytes    [http server]         http.server.request.body.size    Telemetry.Middleware
//	http_server_response_body_size_bytes  histogram  bytes    [http server]         http.server.response.body.size   Telemetry.Middleware
//	http_client_request_duration_seconds  histogram  seconds  [http client]         http.client.request.duration     Telemetry.Transport
//	http_client_request_body_size_bytes   histogram  bytes    [http client]         http.client.request.body.size    Telemetry.Transport
//	go_memory_used_bytes                  gauge      bytes    go_memory_type        go.memory.used                   runtime metrics
//	go_memory_limit_bytes                 gauge      bytes    -                     go.memory.limit                  runtime metrics, when GOMEMLIMIT is set
//	go_memory_allocated_bytes_total       counter    bytes    -                     go.memory.allocated              runtime metrics
//	go_memory_allocations_total           counter    -        -                     go.memory.allocations            runtime metrics
//	go_memory_gc_goal_bytes               gauge      bytes    -                     go.memory.gc.goal                runtime metrics
//	go_goroutines                         gauge      -        -                     go.goroutine.count               runtime metrics
//	go_processor_limit                    gauge      -        -                     go.processor.limit               runtime metrics
//	go_config_gogc_percent                gauge      percent  -                     go.config.gogc                   runtime metrics
//	runkit_health_check_status            gauge      -        check                 runkit.health.check.status       health.Checker: 1 pass, 0 fail
//	runkit_health_check_duration_seconds  histogram  seconds  check                 runkit.health.check.duration     health.Checker
//	runkit_breaker_state                  gauge      -        breaker               runkit.breaker.state             breaker: 0 closed (from New on), 1 half-open, 2 open
//	runkit_breaker_calls_total            counter    -        breaker, outcome      runkit.breaker.calls             breaker: outcome success, failure, ignored
//	runkit_breaker_rejections_total       counter    -        breaker               runkit.breaker.rejections        breaker
//	runkit_breaker_shared_connected       gauge      -        namespace             runkit.breaker.shared.connected  breaker/redisbreaker: 1 shared, 0 local (from New on)
//	runkit_breaker_shared_outages_total   counter    -        namespace             runkit.breaker.shared.outages    breaker/redisbreaker: Redis became unreachable
//	runkit_breaker_shared_changes_total   counter    -        namespace, direction  runkit.breaker.shared.changes    breaker/redisbreaker: direction sent, received
//	runkit_breaker_shared_unleased_total  counter    -        namespace             runkit.breaker.shared.unleased   breaker/redisbreaker: probes without the lease
//	runkit_slo_events_total               counter    -        slo, outcome, route   runkit.slo.events                slo.Tracker: outcome good, bad; route for slo.Routes
//	target_info                           gauge      -        [resource]            the resource                     the Prometheus exporter
//
// where
//
//	[http server]  http_request_method, http_response_status_code, http_route (once a pattern matched),
//	               network_protocol_name, network_protocol_version, server_address, server_port, url_scheme
//	[http client]  http_request_method, http_response_status_code (when a response came), error_type (when none did),
//	               network_protocol_name, network_protocol_version, server_address, server_port, url_scheme
//	[resource]     each resource attribute (service_name, service_version, host_name, process_pid, ...)
//
// The runtime's go.goroutine.count is served as go_goroutines, the name Go
// services have always used, because Prometheus reserves the _count
// suffix for histograms and summaries.
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
