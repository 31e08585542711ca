package telemetry

import (
	"errors"
	"strings"
	"testing"
)

// FuzzResolve feeds arbitrary values to the variables Setup parses. It
// stops before any exporter is made, so nothing connects anywhere.
func FuzzResolve(f *testing.F) {
	f.Add("otlp", "prometheus", "http://collector:4318", "grpc", "traceidratio", "0.25", "tracecontext,baggage", "false")
	f.Add("console,none", "", "collector:4318", "http/json", "parentbased_always_off", "x", "b3,none", "yes")
	f.Add("", "otlp", "http://[::1]:99999", "", "always_on", "", "", "TRUE")
	f.Add("OTLP,Console", "Prometheus", "http://collector:4317", "GRPC", "ParentBased_TraceIdRatio", "0.5", "TraceContext,B3", "1")
	f.Fuzz(func(t *testing.T, traces, metrics, endpoint, protocol, sampler, arg, props, disabled string) {
		if strings.ContainsRune(traces+metrics+endpoint+protocol+sampler+arg+props+disabled, 0) {
			t.Skip("an environment variable cannot hold NUL")
		}
		t.Setenv("OTEL_TRACES_EXPORTER", traces)
		t.Setenv("OTEL_METRICS_EXPORTER", metrics)
		t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
		t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
		t.Setenv("OTEL_TRACES_SAMPLER", sampler)
		t.Setenv("OTEL_TRACES_SAMPLER_ARG", arg)
		t.Setenv("OTEL_PROPAGATORS", props)
		t.Setenv("OTEL_SDK_DISABLED", disabled)
		var c config
		var ce *ConfigError
		v := strings.ToLower(strings.TrimSpace(disabled))
		if off, warning := c.isDisabled(); off != (v == "true") || (warning != "") != (v != "true" && v != "false" && v != "") {
			t.Fatalf("OTEL_SDK_DISABLED=%q: isDisabled = %v, %q", disabled, off, warning)
		}
		r, err := c.resolve()
		if err != nil {
			if !errors.As(err, &ce) {
				t.Fatalf("resolve error %v is not a ConfigError", err)
			}
			return
		}
		if r.sampler == nil || len(r.propagators) == 0 {
			t.Fatalf("resolve = %+v without a sampler or propagators", r)
		}
		for _, s := range []signal{r.traces, r.metrics, r.logs} {
			if s.protocol != "http/protobuf" && s.protocol != "grpc" {
				t.Fatalf("protocol %q accepted", s.protocol)
			}
			for _, e := range s.exporters {
				if e != "otlp" && e != "console" && e != "prometheus" {
					t.Fatalf("exporter %q accepted", e)
				}
			}
		}
		if _, err := propagator(r.propagators); err != nil && !errors.As(err, &ce) {
			t.Fatalf("propagator error %v is not a ConfigError", err)
		}
	})
}
