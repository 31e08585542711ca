package telemetry_test

import (
	"log"
	"os"
	"testing"

	"github.com/go-logr/stdr"

	"go.opentelemetry.io/otel"
)

// restoreGlobals puts back, when the test ends, the OpenTelemetry globals
// that a Setup without WithoutGlobals replaces.
func restoreGlobals(t *testing.T) {
	tp, mp, prop := otel.GetTracerProvider(), otel.GetMeterProvider(), otel.GetTextMapPropagator()
	lp, eh := otel.GetLoggerProvider(), otel.GetErrorHandler()
	// Each is put back only if it changed: setting a global to the value
	// it has makes OpenTelemetry complain.
	t.Cleanup(func() {
		if changed(otel.GetTracerProvider(), tp) {
			otel.SetTracerProvider(tp)
		}
		if changed(otel.GetMeterProvider(), mp) {
			otel.SetMeterProvider(mp)
		}
		if changed(otel.GetTextMapPropagator(), prop) {
			otel.SetTextMapPropagator(prop)
		}
		if changed(otel.GetLoggerProvider(), lp) {
			otel.SetLoggerProvider(lp)
		}
		if changed(otel.GetErrorHandler(), eh) {
			otel.SetErrorHandler(eh)
		}
		// OpenTelemetry's own default logger; it has no getter.
		otel.SetLogger(stdr.New(log.New(os.Stderr, "", log.LstdFlags|log.Lshortfile)))
	})
}

// changed reports whether a and b differ; values of a type that cannot be
// compared (a composite propagator) count as changed.
func changed(a, b any) (diff bool) {
	defer func() {
		if recover() != nil {
			diff = true
		}
	}()
	return a != b
}
