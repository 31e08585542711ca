package telemetry

import (
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
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
// signal's path (/v1/traces) is appended.
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
// those the configuration names.
func WithSpanExporter(e sdktrace.SpanExporter) Option {
	return optionFunc(func(c *config) { c.spanExporters = append(c.spanExporters, e) })
}

// WithSpanProcessor adds a span processor, such as a synchronous one for
// tests.
func WithSpanProcessor(p sdktrace.SpanProcessor) Option {
	return optionFunc(func(c *config) { c.spanProcessors = append(c.spanProcessors, p) })
}

// WithMetricReader adds a metric reader, besides those the configuration
// names.
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
	// Name is the environment variable or option, Value what it held.
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
	propagators           []string
}

// signal is the export configuration of one signal.
type signal struct {
	exporters []string // empty: nothing is exported
	endpoint  string   // OTLP endpoint, empty for the exporter's default
	fullURL   bool     // endpoint is a per-signal URL, used as it is
	protocol  string   // "http/protobuf" or "grpc"
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
		sg := signal{endpoint: base, protocol: protocol}
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
		given := opt
		if given == nil {
			given = list(env(varName))
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
				return sg, &ConfigError{varName, strings.Join(given, ","), fmt.Sprintf("unknown exporter %q; want one of %s", given[i], strings.Join(known, ", "))}
			}
		}
		if slices.Contains(names, "none") {
			if len(names) > 1 {
				return sg, &ConfigError{varName, strings.Join(given, ","), `"none" cannot be combined with other exporters`}
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
	r.propagators = lower(c.propagators)
	if r.propagators == nil {
		r.propagators = lower(list(env("OTEL_PROPAGATORS")))
	}
	if len(r.propagators) == 0 {
		r.propagators = []string{"tracecontext", "baggage"}
	}
	return r, nil
}

func checkURL(name, v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &ConfigError{name, v, "want an http or https URL such as http://localhost:4318"}
	}
	if _, port, ok := strings.Cut(u.Host, ":"); ok && !strings.Contains(u.Host, "]") {
		if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
			return &ConfigError{name, v, "port out of range"}
		}
	}
	return nil
}

// samplerFromEnv reads OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG as
// the specification defines them.
func samplerFromEnv() (sdktrace.Sampler, error) {
	name := env("OTEL_TRACES_SAMPLER")
	arg := env("OTEL_TRACES_SAMPLER_ARG")
	ratio := func() (float64, error) {
		if arg == "" {
			return 1, nil
		}
		v, err := strconv.ParseFloat(arg, 64)
		if err != nil || v < 0 || v > 1 {
			return 0, &ConfigError{"OTEL_TRACES_SAMPLER_ARG", arg, "want a ratio from 0 to 1"}
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
