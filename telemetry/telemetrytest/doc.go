// Package telemetrytest records spans and metrics in memory for one test.
//
//	rec := telemetrytest.New(t)
//	handler.ServeHTTP(w, r) // code under test uses the global providers
//	if len(rec.SpansNamed("GET /items/{id}")) != 1 { ... }
//	n, _ := rec.Int64("orders.placed")
//
// New installs the recorder's providers as the OpenTelemetry globals and
// puts the previous ones back when the test ends.
package telemetrytest
