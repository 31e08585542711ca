package telemetry

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

// FuzzResolve feeds arbitrary values to the variables Setup parses. It
// stops before any exporter is made, so nothing connects anywhere.
func FuzzResolve(f *testing.F) {
	f.Add("otlp", "prometheus", "http://collector:4318", "grpc", "traceidratio", "0.25", "tracecontext,baggage", "false", "", "")
	f.Add("console,none", "", "collector:4318", "http/json", "parentbased_always_off", "x", "b3,none", "yes", "-5", "a=%ZZ")
	f.Add("", "otlp", "http://[::1]:99999", "", "always_on", "", "", "TRUE", "abc", "service.name=x,=y")
	f.Add("OTLP,Console", "Prometheus", "http://collector:4317", "GRPC", "ParentBased_TraceIdRatio", "0.5", "TraceContext,B3", "1", "100", "team=a%20b")
	f.Add("otlp,otlp", "", "http://u:p@c/x?token=1", "", "traceidratio", "NaN", "b3,b3", "", " 7 ", "k=v,")
	f.Fuzz(func(t *testing.T, traces, metrics, endpoint, protocol, sampler, arg, props, disabled, queue, attrs string) {
		if strings.ContainsRune(traces+metrics+endpoint+protocol+sampler+arg+props+disabled+queue+attrs, 0) {
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
		t.Setenv("OTEL_BSP_MAX_QUEUE_SIZE", queue)
		t.Setenv("OTEL_RESOURCE_ATTRIBUTES", attrs)
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
			if u, perr := url.Parse(endpoint); perr == nil && u.User != nil {
				if p, ok := u.User.Password(); ok && len(p) >= 4 && strings.Contains(err.Error(), p) {
					t.Fatalf("resolve error %v shows the endpoint's password", err)
				}
			}
			return
		}
		if r.sampler == nil || r.propagator == nil || len(r.batch) < 2 {
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
	})
}
