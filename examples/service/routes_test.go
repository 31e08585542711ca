package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/ybiyri/runkit/slo"
	"github.com/ybiyri/runkit/telemetry"
)

// TestRoutesEitherSideOfTelemetry wires Routes and telemetry's middleware
// around one mux in both orders, as the README shows each of them, and
// reads /slo: every request is recorded under its route either way.
func TestRoutesEitherSideOfTelemetry(t *testing.T) {
	for _, order := range []string{"routes outside", "telemetry outside", "routes inside the mux"} {
		t.Run(order, func(t *testing.T) {
			spans := tracetest.NewInMemoryExporter()
			tel, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals(), telemetry.WithTracesExporter("none"),
				telemetry.WithMetricsExporter("prometheus"), telemetry.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(spans)))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { tel.Shutdown(t.Context()) })
			routes, err := slo.NewRoutes(availability, slo.RoutesConfig{})
			if err != nil {
				t.Fatal(err)
			}
			tracked := routes.Middleware(slo.MiddlewareConfig{})
			ok := func(w http.ResponseWriter, r *http.Request) {}
			var handler http.Handler
			mux := http.NewServeMux()
			mux.Handle("GET /slo", routes.Handler())
			switch order {
			case "routes outside":
				mux.HandleFunc("POST /checkout", ok)
				mux.HandleFunc("GET /items/{id}", ok)
				handler = tracked(tel.Middleware(mux))
			case "telemetry outside":
				mux.HandleFunc("POST /checkout", ok)
				mux.HandleFunc("GET /items/{id}", ok)
				handler = tel.Middleware(tracked(mux))
			case "routes inside the mux": // examples/service's wiring
				mux.Handle("POST /checkout", tracked(http.HandlerFunc(ok)))
				mux.Handle("GET /items/{id}", tracked(http.HandlerFunc(ok)))
				handler = tel.Middleware(mux)
			}
			srv := httptest.NewServer(handler)
			defer srv.Close()
			for _, req := range []string{"POST /checkout", "POST /checkout", "POST /checkout", "GET /items/1"} {
				method, path, _ := strings.Cut(req, " ")
				r, _ := http.NewRequest(method, srv.URL+path, nil)
				resp, err := srv.Client().Do(r)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			}
			resp, err := srv.Client().Get(srv.URL + "/slo")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var statuses []slo.TrackerStatus
			if err := json.NewDecoder(resp.Body).Decode(&statuses); err != nil {
				t.Fatal(err)
			}
			got := map[string]int64{}
			for _, s := range statuses {
				if s.Total > 0 {
					got[s.Route] = s.Total
				}
			}
			want := map[string]int64{"POST /checkout": 3, "GET /items/{id}": 1}
			if len(got) != len(want) || got["POST /checkout"] != 3 || got["GET /items/{id}"] != 1 {
				t.Errorf("/slo routes with requests = %v, want %v", got, want)
			}
			// The spans keep their route, whichever middleware copies the
			// request.
			named := map[string]int{}
			for _, s := range spans.GetSpans() {
				named[s.Name]++
			}
			if named["POST /checkout"] != 3 || named["GET /items/{id}"] != 1 {
				t.Errorf("spans by name = %v, want 3 of POST /checkout and 1 of GET /items/{id}", named)
			}
		})
	}
}
