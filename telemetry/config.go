package telemetry

import (
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/contrib/propagators/autoprop"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/ybiyri/runkit/internal/redact"
)

// Option configures Setup. Options override the environment.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	serviceName, serviceVersion, environment string
	attrs                                    []attribute.KeyValue

	tracesExporter, metricsExporter, logsExporter []string
	endpoint, protocol                            string
	sampler                                       sdktrace.Sampler
	propagators                                   []string

	noGlobals      bool
	noRuntime      bool
	disabled       *bool
	console        io.Writer
	errorLogger    *slog.Logger
	spanExporters  []sdktrace.SpanExporter
	metricReaders  []sdkmetric.Reader
	spanProcessors []sdktrace.SpanProcessor
}

// WithServiceName sets service.name, over OTEL_SERVICE_NAME and the
// binary's name.
func WithServiceName(name string) Option {
	return optionFunc(func(c *config) { c.serviceName = name })
}

// WithServiceVersion sets service.version, over the version of the build.
func WithServiceVersion(v string) Option {
	return optionFunc(func(c *config) { c.serviceVersion = v })
}

// WithEnvironment sets deployment.environment.name ("production").
func WithEnvironment(env string) Option {
	return optionFunc(func(c *config) { c.environment = env })
}

// WithResourceAttributes adds resource attributes, over
// OTEL_RESOURCE_ATTRIBUTES.
func WithResourceAttributes(attrs ...attribute.KeyValue) Option {
	return optionFunc(func(c *config) { c.attrs = append(c.attrs, attrs...) })
}

// WithTracesExporter names the trace exporters ("otlp", "console",
// "none"), over OTEL_TRACES_EXPORTER.
func WithTracesExporter(names ...string) Option {
	return optionFunc(func(c *config) { c.tracesExporter = names })
}

// WithMetricsExporter names the metric exporters ("otlp", "console",
// "prometheus", "none"), over OTEL_METRICS_EXPORTER.
func WithMetricsExporter(names ...string) Option {
	return optionFunc(func(c *config) { c.metricsExporter = names })
}

// WithLogsExporter names the log exporters ("otlp", "none"), over
// OTEL_LOGS_EXPORTER.
func WithLogsExporter(names ...string) Option {
	return optionFunc(func(c *config) { c.logsExporter = names })
}

// WithEndpoint sets the OTLP endpoint, a URL such as
// "http://collector:4318", over OTEL_EXPORTER_OTLP_ENDPOINT. For HTTP the
// signal's path (/v1/traces) is appended to its path. A URL with user
// info, a query or a fragment is a ConfigError: the exporters would not
// send them.
func WithEndpoint(u string) Option { return optionFunc(func(c *config) { c.endpoint = u }) }

// WithProtocol sets the OTLP protocol, "http/protobuf" or "grpc", over
// OTEL_EXPORTER_OTLP_PROTOCOL.
func WithProtocol(p string) Option { return optionFunc(func(c *config) { c.protocol = p }) }

// WithSampler sets the sampler, over OTEL_TRACES_SAMPLER.
func WithSampler(s sdktrace.Sampler) Option { return optionFunc(func(c *config) { c.sampler = s }) }

// WithPropagators names the propagators ("tracecontext", "baggage", "b3",
// "b3multi", "jaeger", "xray", "ottrace", "none"), over OTEL_PROPAGATORS.
func WithPropagators(names ...string) Option {
	return optionFunc(func(c *config) { c.propagators = names })
}

// WithoutGlobals keeps Setup from installing its tracer, meter and logger
// providers and its propagator as the OpenTelemetry globals.
func WithoutGlobals() Option { return optionFunc(func(c *config) { c.noGlobals = true }) }

// WithoutRuntimeMetrics turns off the Go runtime metrics (goroutines,
// memory, GC) that are otherwise recorded whenever metrics are exported.
func WithoutRuntimeMetrics() Option { return optionFunc(func(c *config) { c.noRuntime = true }) }

// WithDisabled turns the SDK off (true) or on (false), over
// OTEL_SDK_DISABLED.
func WithDisabled(disabled bool) Option {
	return optionFunc(func(c *config) { c.disabled = &disabled })
}

// WithConsoleWriter sets where the console exporters write. Nil or unset
// means standard output.
func WithConsoleWriter(w io.Writer) Option { return optionFunc(func(c *config) { c.console = w }) }

// WithSpanExporter adds a span exporter behind a batch processor, besides
// those the configuration names. Nil is a ConfigError from Setup.
func WithSpanExporter(e sdktrace.SpanExporter) Option {
	return optionFunc(func(c *config) { c.spanExporters = append(c.spanExporters, e) })
}

// WithSpanProcessor adds a span processor, such as a synchronous one for
// tests. Nil is a ConfigError from Setup.
func WithSpanProcessor(p sdktrace.SpanProcessor) Option {
	return optionFunc(func(c *config) { c.spanProcessors = append(c.spanProcessors, p) })
}

// WithMetricReader adds a metric reader, besides those the configuration
// names. Nil is a ConfigError from Setup.
func WithMetricReader(r sdkmetric.Reader) Option {
	return optionFunc(func(c *config) { c.metricReaders = append(c.metricReaders, r) })
}

func (c *config) consoleWriter() io.Writer {
	if c.console == nil {
		return os.Stdout
	}
	return c.console
}

// ConfigError is a configuration value Setup cannot use.
type ConfigError struct {
	// Name is the environment variable or option. Value is what it held,
	// as given: a variable's raw value, an option's arguments joined by
	// ",", "nil" for a nil component. An endpoint URL is shown redacted,
	// so that the error can be logged: its userinfo, query, fragment and
	// path read "[redacted]", but for an OTLP signal's own path at its end
	// (/v1/traces).
	Name, Value string
	// Reason says what is wrong.
	Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("telemetry: %s=%q: %s", e.Name, e.Value, e.Reason)
}

// env returns the variable, trimmed.
func env(name string) string { return strings.TrimSpace(os.Getenv(name)) }

// list reads a comma-separated variable.
func list(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// resolved is the configuration after options, environment and defaults.
type resolved struct {
	traces, metrics, logs signal
	sampler               sdktrace.Sampler
	propagator            propagation.TextMapPropagator
	batch                 []sdktrace.BatchSpanProcessorOption
	// warnings are what Setup can use but is most likely a mistake, to
	// log.
	warnings []string
}

// signal is the export configuration of one signal.
type signal struct {
	exporters []string // empty: nothing is exported
	endpoint  string   // OTLP endpoint, empty for the exporter's default
	fullURL   bool     // endpoint is a per-signal URL, used as it is
	protocol  string   // "http/protobuf" or "grpc"
	path      string   // the signal's standard path over HTTP: /v1/traces
}

// isDisabled reads WithDisabled, else OTEL_SDK_DISABLED. As the
// specification says, only "true" in any case turns the SDK off; any other
// value leaves it on, and a value other than "false" or empty comes back
// as a warning to log.
func (c *config) isDisabled() (disabled bool, warning string) {
	if c.disabled != nil {
		return *c.disabled, ""
	}
	v := env("OTEL_SDK_DISABLED")
	switch strings.ToLower(v) {
	case "true":
		return true, ""
	case "", "false":
		return false, ""
	}
	return false, fmt.Sprintf("telemetry: OTEL_SDK_DISABLED=%q is not \"true\": the SDK stays enabled", v)
}

// warn logs a configuration warning to the error logger, or slog.Default()
// while there is none.
func (c *config) warn(msg string) {
	l := c.errorLogger
	if l == nil {
		l = slog.Default()
	}
	l.Warn(msg)
}

// lower returns names in lower case: the specification asks for enum
// values to be read in any case.
func lower(names []string) []string {
	if names == nil {
		return nil
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.ToLower(strings.TrimSpace(n))
	}
	return out
}

func (c *config) resolve() (*resolved, error) {
	r := &resolved{}
	var err error
	base := c.endpoint
	baseName := "WithEndpoint"
	if base == "" {
		base, baseName = env("OTEL_EXPORTER_OTLP_ENDPOINT"), "OTEL_EXPORTER_OTLP_ENDPOINT"
	}
	if base != "" {
		if err := checkURL(baseName, base); err != nil {
			return nil, err
		}
	}
	protocol := c.protocol
	protoName := "WithProtocol"
	if protocol == "" {
		protocol, protoName = env("OTEL_EXPORTER_OTLP_PROTOCOL"), "OTEL_EXPORTER_OTLP_PROTOCOL"
	}
	read := func(sig string, opt []string, defaultWhenEndpoint bool, known []string) (signal, error) {
		upper := strings.ToUpper(sig)
		sg := signal{endpoint: base, protocol: protocol, path: "/v1/" + sig}
		if c.endpoint == "" {
			name := "OTEL_EXPORTER_OTLP_" + upper + "_ENDPOINT"
			if v := env(name); v != "" {
				if err := checkURL(name, v); err != nil {
					return sg, err
				}
				sg.endpoint, sg.fullURL = v, true
			}
		}
		pName := protoName
		if c.protocol == "" {
			if v := env("OTEL_EXPORTER_OTLP_" + upper + "_PROTOCOL"); v != "" {
				sg.protocol, pName = v, "OTEL_EXPORTER_OTLP_"+upper+"_PROTOCOL"
			}
		}
		switch p := strings.ToLower(strings.TrimSpace(sg.protocol)); p {
		case "":
			sg.protocol = "http/protobuf"
		case "http/protobuf", "grpc":
			sg.protocol = p
		default:
			return sg, &ConfigError{pName, sg.protocol, `want "http/protobuf" or "grpc"`}
		}
		varName := "OTEL_" + upper + "_EXPORTER"
		given, raw := opt, strings.Join(opt, ",")
		if given == nil {
			raw = os.Getenv(varName)
			given = list(raw)
		} else {
			varName = "With" + strings.ToUpper(sig[:1]) + sig[1:] + "Exporter"
		}
		names := lower(given)
		if len(names) == 0 && defaultWhenEndpoint && sg.endpoint != "" {
			// Nothing named: export over OTLP only when an endpoint says
			// where, so that an unconfigured service makes no connection.
			names = []string{"otlp"}
		}
		for i, n := range names {
			if !slices.Contains(known, n) {
				return sg, &ConfigError{varName, raw, fmt.Sprintf("unknown exporter %q; want one of %s", given[i], strings.Join(known, ", "))}
			}
		}
		names = r.dedupe(varName, raw, "exporter", given, names)
		if slices.Contains(names, "none") {
			if len(names) > 1 {
				return sg, &ConfigError{varName, raw, `"none" cannot be combined with other exporters`}
			}
			names = nil
		}
		sg.exporters = names
		return sg, nil
	}
	if r.traces, err = read("traces", c.tracesExporter, true, []string{"otlp", "console", "none"}); err != nil {
		return nil, err
	}
	if r.metrics, err = read("metrics", c.metricsExporter, true, []string{"otlp", "console", "prometheus", "none"}); err != nil {
		return nil, err
	}
	if r.logs, err = read("logs", c.logsExporter, false, []string{"otlp", "none"}); err != nil {
		return nil, err
	}
	if slices.Contains(r.logs.exporters, "otlp") && r.logs.protocol != "http/protobuf" {
		return nil, &ConfigError{"OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", r.logs.protocol, "log export supports http/protobuf only"}
	}

	r.sampler = c.sampler
	if r.sampler == nil {
		if r.sampler, err = samplerFromEnv(); err != nil {
			return nil, err
		}
	}
	if r.propagator, err = r.propagatorOf(c.propagators); err != nil {
		return nil, err
	}
	if r.batch, err = batchOptions(); err != nil {
		return nil, err
	}
	if err := c.checkComponents(); err != nil {
		return nil, err
	}
	if err := checkResourceAttributes(c.attrs); err != nil {
		return nil, err
	}
	return r, nil
}

// dedupe returns names (in lower case, as given) with each name once,
// adding a warning for each name given twice: exporting every span twice
// is never what was meant, and using it once is.
func (r *resolved) dedupe(varName, raw, what string, given, names []string) []string {
	var out []string
	for i, n := range names {
		if slices.Contains(out, n) {
			r.warnings = append(r.warnings, fmt.Sprintf("telemetry: %s=%q: %s %q named twice; it is used once", varName, raw, what, given[i]))
			continue
		}
		out = append(out, n)
	}
	return out
}

// propagatorOf reads WithPropagators, else OTEL_PROPAGATORS, as the
// specification defines it: a comma-separated list, tracecontext,baggage
// when empty, "none" for none (alone). A name is any autoprop knows,
// including those registered with autoprop.RegisterTextMapPropagator.
func (r *resolved) propagatorOf(opt []string) (propagation.TextMapPropagator, error) {
	name, given, raw := "WithPropagators", opt, strings.Join(opt, ",")
	if opt == nil {
		name, raw = "OTEL_PROPAGATORS", os.Getenv("OTEL_PROPAGATORS")
		given = list(raw)
	}
	names := lower(given)
	if len(names) == 0 {
		names = []string{"tracecontext", "baggage"}
	}
	for i, n := range names {
		if n == "none" {
			continue
		}
		if _, err := autoprop.TextMapPropagator(n); err != nil {
			return nil, &ConfigError{name, raw, fmt.Sprintf("unknown propagator %q", given[i])}
		}
	}
	names = r.dedupe(name, raw, "propagator", given, names)
	if slices.Contains(names, "none") {
		if len(names) > 1 {
			return nil, &ConfigError{name, raw, `"none" cannot be combined with other propagators`}
		}
		return propagation.NewCompositeTextMapPropagator(), nil
	}
	p, err := autoprop.TextMapPropagator(names...)
	if err != nil {
		return nil, &ConfigError{name, raw, err.Error()}
	}
	return p, nil
}

// batchOptions reads the batch span processor's variables. The SDK reads
// them too, but takes a value it cannot parse, or a negative one, for its
// own default without a word (or panics); here each is a positive whole
// number or an error, and the result is given to the SDK as options.
func batchOptions() ([]sdktrace.BatchSpanProcessorOption, error) {
	read := func(name, unit string) (int, error) {
		raw := os.Getenv(name)
		v := strings.TrimSpace(raw)
		if v == "" {
			return 0, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return 0, &ConfigError{name, raw, "want a positive whole number" + unit}
		}
		return n, nil
	}
	queue, err := read("OTEL_BSP_MAX_QUEUE_SIZE", "")
	if err != nil {
		return nil, err
	}
	batch, err := read("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "")
	if err != nil {
		return nil, err
	}
	delay, err := read("OTEL_BSP_SCHEDULE_DELAY", " of milliseconds")
	if err != nil {
		return nil, err
	}
	timeout, err := read("OTEL_BSP_EXPORT_TIMEOUT", " of milliseconds")
	if err != nil {
		return nil, err
	}
	if queue == 0 {
		queue = DefaultMaxQueueSize
	}
	switch {
	case batch > queue:
		return nil, &ConfigError{"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", os.Getenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE"),
			fmt.Sprintf("more than OTEL_BSP_MAX_QUEUE_SIZE %d: a batch cannot be larger than the queue it is taken from", queue)}
	case batch == 0:
		batch = min(sdktrace.DefaultMaxExportBatchSize, queue)
	}
	opts := []sdktrace.BatchSpanProcessorOption{sdktrace.WithMaxQueueSize(queue), sdktrace.WithMaxExportBatchSize(batch)}
	if delay > 0 {
		opts = append(opts, sdktrace.WithBatchTimeout(time.Duration(delay)*time.Millisecond))
	}
	if timeout > 0 {
		opts = append(opts, sdktrace.WithExportTimeout(time.Duration(timeout)*time.Millisecond))
	}
	return opts, nil
}

// checkComponents refuses nil exporters, processors and readers given by
// option: the SDK would take them and fail later, in a goroutine of its
// own.
func (c *config) checkComponents() error {
	for _, e := range c.spanExporters {
		if isNil(e) {
			return &ConfigError{"WithSpanExporter", "nil", "want a span exporter"}
		}
	}
	for _, p := range c.spanProcessors {
		if isNil(p) {
			return &ConfigError{"WithSpanProcessor", "nil", "want a span processor"}
		}
	}
	for _, r := range c.metricReaders {
		if isNil(r) {
			return &ConfigError{"WithMetricReader", "nil", "want a metric reader"}
		}
	}
	return nil
}

// isNil reports whether v is nil, or an interface holding a nil pointer,
// map, slice, func or channel, on which a method call is sure to fail.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// checkResourceAttributes refuses what the SDK would drop or keep garbled
// with only a line on the standard log: an attribute of
// WithResourceAttributes with an empty key, and a pair of
// OTEL_RESOURCE_ATTRIBUTES with an empty key, no "=", or a value that is
// not percent-encoded correctly. The specification asks for the whole
// variable to be discarded then and the error reported; Setup reports it
// as a ConfigError, so that the service does not run with half its
// resource. The SDK still reads the variable once it passes.
func checkResourceAttributes(attrs []attribute.KeyValue) error {
	for _, kv := range attrs {
		if !kv.Valid() {
			return &ConfigError{"WithResourceAttributes", string(kv.Key) + "=" + kv.Value.String(), "an attribute needs a key and a value"}
		}
	}
	raw := os.Getenv("OTEL_RESOURCE_ATTRIBUTES")
	if strings.TrimSpace(raw) == "" {
		return nil
	}
	for pair := range strings.SplitSeq(strings.TrimSpace(raw), ",") {
		k, v, ok := strings.Cut(pair, "=")
		switch {
		case !ok:
			return &ConfigError{"OTEL_RESOURCE_ATTRIBUTES", raw, fmt.Sprintf("pair %q has no \"=\"; want key=value,...", pair)}
		case strings.TrimSpace(k) == "":
			return &ConfigError{"OTEL_RESOURCE_ATTRIBUTES", raw, fmt.Sprintf("pair %q has an empty key", pair)}
		}
		if _, err := url.PathUnescape(strings.TrimSpace(v)); err != nil {
			return &ConfigError{"OTEL_RESOURCE_ATTRIBUTES", raw, fmt.Sprintf("pair %q: %v; a value is percent-encoded, %%25 for %%", pair, err)}
		}
	}
	return nil
}

// checkURL checks an OTLP endpoint. The exporters send only its scheme,
// host, port and path, as the specification allows, so a userinfo, query
// or fragment would be dropped on the way: credentials there would never
// reach the collector, and the error says where they go instead. The
// value is shown redacted.
func checkURL(name, v string) error {
	shown := redact.URL(v)
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		reason := "want an http or https URL such as http://localhost:4318"
		if !strings.Contains(v, "://") {
			// The value is hidden (it may be user:password@host), so
			// say what is wrong with it.
			reason += "; the value has no scheme"
		}
		return &ConfigError{name, shown, reason}
	}
	if _, port, ok := strings.Cut(u.Host, ":"); ok && !strings.Contains(u.Host, "]") {
		if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
			return &ConfigError{name, shown, "port out of range"}
		}
	}
	const headers = "; put credentials in OTEL_EXPORTER_OTLP_HEADERS (Authorization=Basic%20...), which the exporters send"
	switch {
	case u.User != nil:
		return &ConfigError{name, shown, "the OTLP exporters do not send the URL's user info" + headers}
	case u.RawQuery != "" || u.ForceQuery:
		return &ConfigError{name, shown, "the OTLP exporters do not send the URL's query" + headers}
	case u.Fragment != "" || strings.Contains(v, "#"):
		return &ConfigError{name, shown, "a URL fragment means nothing to the OTLP exporters"}
	}
	return nil
}

// samplerFromEnv reads OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG as
// the specification defines them.
func samplerFromEnv() (sdktrace.Sampler, error) {
	name := env("OTEL_TRACES_SAMPLER")
	raw := os.Getenv("OTEL_TRACES_SAMPLER_ARG")
	arg := strings.TrimSpace(raw)
	ratio := func() (float64, error) {
		if arg == "" {
			return 1, nil
		}
		v, err := strconv.ParseFloat(arg, 64)
		// NaN compares false with everything: !(v >= 0 && v <= 1) refuses
		// it along with the infinities.
		if err != nil || !(v >= 0 && v <= 1) {
			return 0, &ConfigError{"OTEL_TRACES_SAMPLER_ARG", raw, "want a ratio from 0 to 1"}
		}
		return v, nil
	}
	switch strings.ToLower(name) {
	case "", "parentbased_always_on":
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), nil
	case "always_on":
		return sdktrace.AlwaysSample(), nil
	case "always_off":
		return sdktrace.NeverSample(), nil
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample()), nil
	case "traceidratio":
		r, err := ratio()
		return sdktrace.TraceIDRatioBased(r), err
	case "parentbased_traceidratio":
		r, err := ratio()
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(r)), err
	}
	return nil, &ConfigError{"OTEL_TRACES_SAMPLER", name, "unknown sampler; want always_on, always_off, traceidratio or a parentbased_ form"}
}
