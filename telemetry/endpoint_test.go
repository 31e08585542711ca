package telemetry_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/ybiyri/runkit/telemetry"
)

// TestEndpointWithCredentialsRefused: the OTLP exporters send only the
// scheme, host, port and path of an endpoint, so credentials in its
// userinfo or query would be dropped on the way to the collector. Setup
// refuses them, naming the variable or option, and the error shows the
// endpoint redacted.
func TestEndpointWithCredentialsRefused(t *testing.T) {
	tests := []struct {
		env    map[string]string
		opts   []telemetry.Option
		name   string // the variable or option the error names
		shown  string // the endpoint as the error shows it
		reason string
	}{
		{env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://user:s3cret@127.0.0.1:1/prefix?token=abcdef"},
			name: "OTEL_EXPORTER_OTLP_ENDPOINT", shown: "http://[redacted]@127.0.0.1:1/[redacted]?[redacted]", reason: "user info"},
		{env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1/?token=abcdef"},
			name: "OTEL_EXPORTER_OTLP_ENDPOINT", shown: "http://127.0.0.1:1/?[redacted]", reason: "query"},
		{env: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://user:s3cret@collector/v1/traces"},
			name: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", shown: "https://[redacted]@collector/v1/traces", reason: "user info"},
		{env: map[string]string{"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "https://collector/v1/metrics?api_key=s3cret"},
			name: "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", shown: "https://collector/v1/metrics?[redacted]", reason: "query"},
		{env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector/#s3cret"},
			name: "OTEL_EXPORTER_OTLP_ENDPOINT", shown: "https://collector/#[redacted]", reason: "fragment"},
		{opts: []telemetry.Option{telemetry.WithEndpoint("htps://u:p@h/?k=SECRET")},
			name: "WithEndpoint", shown: "htps://[redacted]@h/?[redacted]", reason: "want an http or https URL"},
		{opts: []telemetry.Option{telemetry.WithEndpoint("http://h:4318/otlp?k=s3cret")},
			name: "WithEndpoint", shown: "http://h:4318/[redacted]?[redacted]", reason: "query"},
		{opts: []telemetry.Option{telemetry.WithEndpoint("http://u:s3cret@h:99999")},
			name: "WithEndpoint", shown: "http://[redacted]@h:99999", reason: "port out of range"},
	}
	for _, tt := range tests {
		clearEnv(t)
		for k, v := range tt.env {
			t.Setenv(k, v)
		}
		tel, err := telemetry.Setup(t.Context(), append(tt.opts, telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics())...)
		if err == nil {
			tel.Shutdown(t.Context())
			t.Errorf("Setup with %v %v = nil, want a ConfigError", tt.env, tt.opts)
			continue
		}
		var ce *telemetry.ConfigError
		if !errors.As(err, &ce) || ce.Name != tt.name || ce.Value != tt.shown || !strings.Contains(ce.Reason, tt.reason) {
			t.Errorf("Setup with %v = %v, want a ConfigError for %s=%q saying %q", tt.env, err, tt.name, tt.shown, tt.reason)
		}
		for _, printed := range []string{err.Error(), fmt.Sprintf("%+v", ce), fmt.Sprintf("%#v", ce)} {
			for _, secret := range []string{"s3cret", "abcdef", "SECRET"} {
				if strings.Contains(printed, secret) {
					t.Errorf("Setup with %v: error shows %q: %s", tt.env, secret, printed)
				}
			}
		}
	}
}

// TestShutdownErrorRedactsEndpoint: a collector behind a path that holds a
// token (as some vendors' are) fails at shutdown. Neither the
// ShutdownError, however printed, nor the error log shows the token, and
// both still say where the data was going.
func TestShutdownErrorRedactsEndpoint(t *testing.T) {
	for _, tt := range []struct{ env, endpoint, shown string }{
		{"OTEL_EXPORTER_OTLP_ENDPOINT", "/otlp/T0KENPATH1", "/[redacted]/v1/traces"},
		{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "/otlp/T0KENPATH1/v1/traces", "/[redacted]/v1/traces"},
		{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "/v1/traces", "/v1/traces"},
	} {
		clearEnv(t)
		restoreGlobals(t)
		base := "http://" + closedAddr(t)
		t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
		t.Setenv(tt.env, base+tt.endpoint)
		var log syncBuffer
		tel, err := telemetry.Setup(t.Context(), telemetry.WithoutRuntimeMetrics(),
			telemetry.WithErrorLogger(textLogger(&log, slog.LevelDebug)))
		if err != nil {
			t.Fatal(err)
		}
		_, span := tel.Tracer("t").Start(context.Background(), "work")
		span.End()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = tel.Shutdown(ctx)
		cancel()
		var se *telemetry.ShutdownError
		if !errors.As(err, &se) {
			t.Fatalf("%s: Shutdown = %v, want a ShutdownError", tt.env, err)
		}
		if se.Endpoint != base+tt.shown {
			t.Errorf("%s: ShutdownError.Endpoint = %q, want %q", tt.env, se.Endpoint, base+tt.shown)
		}
		if want := "to " + base + tt.shown + ": "; !strings.Contains(err.Error(), want) {
			t.Errorf("%s: Shutdown = %v, want it to hold %q", tt.env, err, want)
		}
		if !strings.Contains(err.Error(), "connection refused") {
			t.Errorf("%s: Shutdown = %v, want the export failure", tt.env, err)
		}
		for _, printed := range []string{err.Error(), fmt.Sprintf("%+v", se), fmt.Sprintf("%#v", se), fmt.Sprint(errors.Unwrap(se)), log.String()} {
			if strings.Contains(printed, "T0KENPATH1") {
				t.Errorf("%s: the token shows: %s", tt.env, printed)
			}
		}
		if !strings.Contains(log.String(), "connection refused") {
			t.Errorf("%s: error log = %q, want the export failure", tt.env, log.String())
		}
	}
}

// TestEndpointPath: the signal's path goes after the endpoint's own path,
// with or without a trailing slash, as the specification asks.
func TestEndpointPath(t *testing.T) {
	for _, endpoint := range []string{"/prefix", "/prefix/"} {
		clearEnv(t)
		rc := newReceiver()
		mux := http.NewServeMux()
		mux.Handle("/prefix/", http.StripPrefix("/prefix", rc))
		srv := httptest.NewServer(mux)
		t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL+endpoint)
		tel, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics())
		if err != nil {
			t.Fatal(err)
		}
		_, span := tel.Tracer("t").Start(context.Background(), "prefixed")
		span.SetAttributes(attribute.Int("seq", 1)) // the receiver counts spans with seq
		span.End()
		if err := tel.Shutdown(t.Context()); err != nil {
			t.Errorf("endpoint %s: Shutdown = %v", endpoint, err)
		}
		srv.Close()
		rc.mu.Lock()
		if rc.spans["prefixed"] != 1 {
			t.Errorf("endpoint %s: receiver behind /prefix has %d spans, want 1", endpoint, rc.spans["prefixed"])
		}
		rc.mu.Unlock()
	}
}
