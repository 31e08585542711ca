package telemetry

import (
	"net/http"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/ybiyri/runkit/internal/muxpattern"
)

// Middleware wraps a server handler with otelhttp: a span per request and
// the standard http.server.request.duration histogram. Once the mux has
// matched a pattern (r.Pattern of Go 1.22+ muxes), the span is named
// "METHOD ROUTE" and carries http.route, as the metric does; a request no
// pattern matched has a span named after the method alone and no
// http.route. slo's Routes.Middleware outside it still finds each
// request's route, though otelhttp hands the mux a copy of the request. The span exists even when no trace exporter is configured,
// so that slog records made with the request's context (see TraceHandler)
// carry the request's trace_id and its own span_id. When the SDK is
// disabled it returns next itself, so that a disabled service pays
// nothing.
func (t *Telemetry) Middleware(next http.Handler) http.Handler {
	if t.disabled {
		return next
	}
	return otelhttp.NewHandler(routeRecorder{next}, "http.server",
		otelhttp.WithTracerProvider(t.TracerProvider),
		otelhttp.WithMeterProvider(t.MeterProvider),
		otelhttp.WithPropagators(t.Propagator),
	)
}

// routeRecorder sets http.route on the server span after next, the mux,
// has matched the request: the mux writes r.Pattern into the request it is
// given, which otelhttp's own copy of the request never sees. For the same
// reason it passes the pattern out to a middleware outside that watches
// for it (slo's Routes).
type routeRecorder struct{ next http.Handler }

func (h routeRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.next.ServeHTTP(w, r)
	if r.Pattern == "" {
		return
	}
	muxpattern.Fill(r)
	if span := trace.SpanFromContext(r.Context()); span.IsRecording() {
		span.SetAttributes(semconv.HTTPRoute(route(r.Pattern)))
	}
}

// route is the path of a ServeMux pattern, without the method and host
// ("GET example.com/items/{id}" is "/items/{id}").
func route(pattern string) string {
	if i := strings.IndexByte(pattern, '/'); i >= 0 {
		return pattern[i:]
	}
	return pattern
}

// Transport wraps a client transport (nil for http.DefaultTransport) with
// otelhttp: a client span per request, and the trace context injected into
// its headers. http.Client.CloseIdleConnections reaches base.
func (t *Telemetry) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	if t.disabled {
		return base
	}
	return &transport{
		Transport: otelhttp.NewTransport(base,
			otelhttp.WithTracerProvider(t.TracerProvider),
			otelhttp.WithMeterProvider(t.MeterProvider),
			otelhttp.WithPropagators(t.Propagator),
		),
		base: base,
	}
}

// transport adds what otelhttp.Transport lacks: forwarding
// CloseIdleConnections, which http.Client calls on its transport.
type transport struct {
	*otelhttp.Transport
	base http.RoundTripper
}

func (t *transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
