package telemetry

import (
	"net/http"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
)

// Middleware wraps a server handler with otelhttp: a span per request named
// after the route (r.Pattern of Go 1.22+ muxes) and the standard
// http.server.request.duration histogram. When the SDK is disabled it
// returns next itself, so that a disabled service pays nothing.
func (t *Telemetry) Middleware(next http.Handler) http.Handler {
	if t.disabled {
		return next
	}
	return otelhttp.NewHandler(next, "http.server",
		otelhttp.WithTracerProvider(t.TracerProvider),
		otelhttp.WithMeterProvider(t.MeterProvider),
		otelhttp.WithPropagators(t.Propagator),
		otelhttp.WithSpanNameFormatter(spanName),
	)
}

// spanName is "METHOD ROUTE" once the mux has matched a pattern, and the
// method alone before, as the HTTP semantic conventions ask.
func spanName(_ string, r *http.Request) string {
	switch {
	case r.Pattern == "":
		return r.Method
	case strings.Contains(r.Pattern, " "):
		// A pattern with a method ("GET /items/{id}") may also carry a
		// host; the span name takes method and path.
		method, rest, _ := strings.Cut(r.Pattern, " ")
		if i := strings.IndexByte(rest, '/'); i > 0 {
			rest = rest[i:]
		}
		return method + " " + rest
	}
	path := r.Pattern
	if i := strings.IndexByte(path, '/'); i > 0 {
		path = path[i:]
	}
	return r.Method + " " + path
}

// Transport wraps a client transport (nil for http.DefaultTransport) with
// otelhttp: a client span per request, and the trace context injected into
// its headers.
func (t *Telemetry) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	if t.disabled {
		return base
	}
	return otelhttp.NewTransport(base,
		otelhttp.WithTracerProvider(t.TracerProvider),
		otelhttp.WithMeterProvider(t.MeterProvider),
		otelhttp.WithPropagators(t.Propagator),
	)
}
