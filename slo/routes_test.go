package slo_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/ybiyri/runkit/slo"
)

var apiTemplate = slo.Objective{Name: "api", Target: 0.99, Window: slo.Rolling(30 * day)}

// routesServer serves a mux wrapped in rs's middleware, as a service wires
// it, with routes that answer 200, 503, or slowly.
func routesServer(t *testing.T, rs *slo.Routes, clock *fakeClock) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") })
	mux.HandleFunc("POST /checkout", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		clock.advance(500 * time.Millisecond) // slow for the template's 300ms, not for the override's 1s
	})
	mux.Handle("GET /slo", rs.Handler())
	srv := httptest.NewServer(rs.Middleware(slo.MiddlewareConfig{})(mux))
	t.Cleanup(srv.Close)
	return srv
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestRoutesTrackEachRoute(t *testing.T) {
	clock := &fakeClock{now: t0}
	rs, err := slo.NewRoutes(apiTemplate, slo.RoutesConfig{
		Tracker:   slo.TrackerConfig{Now: clock.Now, Latency: 300 * time.Millisecond},
		Overrides: map[string]slo.RouteOverride{"GET /items/{id}": {Latency: time.Second}, "POST /checkout": {Target: 0.9}},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := routesServer(t, rs, clock)
	for _, req := range []struct{ method, path string }{
		{"GET", "/hello"}, {"GET", "/hello"}, {"POST", "/checkout"}, {"GET", "/items/1"}, {"GET", "/items/2"}, {"GET", "/nowhere"},
	} {
		r, _ := http.NewRequest(req.method, srv.URL+req.path, nil)
		resp, err := srv.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	want := map[string][2]int64{ // good, total
		"GET /hello": {2, 2}, "POST /checkout": {0, 1}, "GET /items/{id}": {2, 2}, slo.NoRoute: {1, 1},
	}
	for route, w := range want {
		tr, ok := rs.Tracker(route)
		if !ok {
			t.Errorf("Tracker(%q): none", route)
			continue
		}
		if s := tr.Status(); s.Good != w[0] || s.Total != w[1] || s.Route != route {
			t.Errorf("route %q: %d/%d route %q, want %d/%d", route, s.Good, s.Total, s.Route, w[0], w[1])
		}
	}
	if tr, _ := rs.Tracker("POST /checkout"); tr.Objective().Target != 0.9 {
		t.Errorf("POST /checkout target %v, want the override's 0.9", tr.Objective().Target)
	}

	// /slo: every route, worst first (checkout has spent its budget), as
	// JSON reports that carry the route.
	resp, err := srv.Client().Get(srv.URL + "/slo")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var reports []slo.TrackerStatus
	if err := json.NewDecoder(resp.Body).Decode(&reports); err != nil {
		t.Fatal(err)
	}
	var routes []string
	for _, r := range reports {
		routes = append(routes, r.Route)
	}
	// /slo itself was recorded only after it answered.
	if len(reports) != 5 || reports[0].Route != "POST /checkout" || reports[len(reports)-1].Route != slo.OverflowRoute {
		t.Errorf("/slo routes = %q, want POST /checkout first and %q last (no data)", routes, slo.OverflowRoute)
	}

	// A browser gets a card per route.
	r, _ := http.NewRequest("GET", srv.URL+"/slo", nil)
	r.Header.Set("Accept", "text/html")
	page, err := srv.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	for _, route := range []string{"api POST /checkout", "api GET /hello", "api GET /items/{id}"} {
		if !strings.Contains(string(body), strings.ReplaceAll(route, "/", "/")) {
			t.Errorf("page has no card %q", route)
		}
	}
}

func TestRoutesRejectBadConfig(t *testing.T) {
	for _, cfg := range []slo.RoutesConfig{
		{MaxRoutes: -1},
		{Overrides: map[string]slo.RouteOverride{"GET /x": {Target: 1.5}}},
		{Overrides: map[string]slo.RouteOverride{"GET /x": {Latency: -time.Second}}},
		{Overrides: map[string]slo.RouteOverride{"": {Target: 0.9}}},
		{Routes: []string{"GET /a", "GET /a"}},
		{Routes: []string{""}},
		{Routes: []string{slo.OverflowRoute}},
		{Routes: []string{"GET /a", "GET /b"}, MaxRoutes: 1},
	} {
		if _, err := slo.NewRoutes(apiTemplate, cfg); err == nil {
			t.Errorf("NewRoutes(%+v) = nil error", cfg)
		}
	}
}

// TestRoutesBoundMemory: a scanner sending 10,000 random paths, across
// more patterns than MaxRoutes, makes no more than MaxRoutes trackers;
// the rest is recorded under OverflowRoute and counted.
func TestRoutesBoundMemory(t *testing.T) {
	const maxRoutes = 8
	rs, err := slo.NewRoutes(apiTemplate, slo.RoutesConfig{MaxRoutes: maxRoutes})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for i := range 100 {
		mux.HandleFunc(fmt.Sprintf("GET /p%d/{rest...}", i), func(http.ResponseWriter, *http.Request) {})
	}
	h := rs.Middleware(slo.MiddlewareConfig{})(mux)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rng := rand.New(rand.NewPCG(3, 4))
	for range 10_000 {
		path := fmt.Sprintf("/%x/%x", rng.Uint64(), rng.Uint64())
		if rng.IntN(2) == 0 {
			path = fmt.Sprintf("/p%d/%x", rng.IntN(100), rng.Uint64())
		}
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	trackers := rs.Trackers()
	if len(trackers) != maxRoutes+1 {
		t.Errorf("%d trackers, want %d and the overflow route's", len(trackers), maxRoutes)
	}
	var total int64
	for _, tr := range trackers {
		total += tr.Status().Total
	}
	if total != 10_000 || rs.Overflowed() == 0 {
		t.Errorf("recorded %d of 10,000 requests, %d under the overflow route", total, rs.Overflowed())
	}
	if o, _ := rs.Tracker(slo.OverflowRoute); o.Status().Total != rs.Overflowed() {
		t.Errorf("overflow route holds %d, Overflowed %d", o.Status().Total, rs.Overflowed())
	}
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	if limit := int64(maxRoutes+1) * 64 << 10; grown > limit {
		t.Errorf("heap grew %d bytes over 10,000 random paths, more than %d trackers of 64 KiB", grown, maxRoutes+1)
	}
	t.Logf("10,000 random paths: heap grew %d bytes, %d routes tracked, %d requests overflowed", grown, len(trackers)-1, rs.Overflowed())
}

// The events counter carries each route, so that Prometheus rules can keep
// it.
func TestRoutesCountEventsByRoute(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	clock := &fakeClock{now: t0}
	rs, err := slo.NewRoutes(apiTemplate, slo.RoutesConfig{Tracker: slo.TrackerConfig{Now: clock.Now, MeterProvider: mp}})
	if err != nil {
		t.Fatal(err)
	}
	srv := routesServer(t, rs, clock)
	for range 3 {
		resp, err := srv.Client().Get(srv.URL + "/hello")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != slo.EventsMetric {
				continue
			}
			for _, p := range m.Data.(metricdata.Sum[int64]).DataPoints {
				route, _ := p.Attributes.Value(attribute.Key("route"))
				outcome, _ := p.Attributes.Value(attribute.Key("outcome"))
				got[route.AsString()+" "+outcome.AsString()] = p.Value
			}
		}
	}
	if got["GET /hello good"] != 3 || got["GET /hello bad"] != 0 {
		t.Errorf("events by route = %v, want 3 good for GET /hello", got)
	}
}

// Routes listed in RoutesConfig.Routes have their trackers from the start.
func TestRoutesMadeAtOnce(t *testing.T) {
	rs, err := slo.NewRoutes(apiTemplate, slo.RoutesConfig{Routes: []string{"GET /hello", "POST /checkout"}, MaxRoutes: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, route := range []string{"GET /hello", "POST /checkout"} {
		if tr, ok := rs.Tracker(route); !ok || !tr.Status().NoData {
			t.Errorf("Tracker(%q) = %v, %v; want one with no data", route, tr, ok)
		}
	}
	if n := len(rs.Trackers()); n != 3 {
		t.Errorf("%d trackers, want the two routes' and the overflow route's", n)
	}
}

// An override or a listed route that no request can ever have is refused,
// with the route to write instead.
func TestRoutesRefuseRoutesThatCannotMatch(t *testing.T) {
	for _, tt := range []struct {
		route string
		want  []string
	}{
		{"checkout", []string{`"checkout"`, `"/checkout"`, `"POST /checkout"`}},
		{"POST checkout", []string{`"POST checkout"`, `"POST /checkout"`}},
		{"POST example.com/checkout", []string{`"POST example.com/checkout"`, "host", `"POST /checkout"`}},
		{"example.com/", []string{`"example.com/"`, "host", `"/"`}},
		{"POST  /checkout", []string{`"POST  /checkout"`, `"POST /checkout"`}},
		{"POST\t/checkout", []string{`"POST\t/checkout"`, `"POST /checkout"`}},
		{"GET", []string{`"GET"`, "method with the path", `"GET /checkout"`}},
		{"GET /items/{id", []string{`"GET /items/{id"`, "ServeMux refuses it", "bad wildcard segment"}},
		{"GET /items/{ id }", []string{`"GET /items/{ id }"`, "ServeMux refuses it"}},
		{"GET ", []string{`"GET "`, `"GET /checkout"`}},
	} {
		_, err := slo.NewRoutes(apiTemplate, slo.RoutesConfig{Overrides: map[string]slo.RouteOverride{tt.route: {Target: 0.9}}})
		for _, want := range append([]string{"RoutesConfig.Overrides"}, tt.want...) {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("NewRoutes(Overrides[%q]) = %v, want an error saying %s", tt.route, err, want)
			}
		}
		_, err = slo.NewRoutes(apiTemplate, slo.RoutesConfig{Routes: []string{tt.route}})
		for _, want := range append([]string{"RoutesConfig.Routes"}, tt.want...) {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("NewRoutes(Routes %q) = %v, want an error saying %s", tt.route, err, want)
			}
		}
	}
	for _, route := range []string{"/", "/checkout", "POST /checkout", "GET /items/{id}", "GET /static/", "GET /{$}", slo.NoRoute, slo.OverflowRoute} {
		if _, err := slo.NewRoutes(apiTemplate, slo.RoutesConfig{Overrides: map[string]slo.RouteOverride{route: {Target: 0.9}}}); err != nil {
			t.Errorf("NewRoutes(Overrides[%q]) = %v, want nil", route, err)
		}
	}
}

// The overflow and no-route trackers take their overrides, as any
// route's does.
func TestRoutesOverrideReservedRoutes(t *testing.T) {
	rs, err := slo.NewRoutes(apiTemplate, slo.RoutesConfig{
		MaxRoutes: 1,
		Overrides: map[string]slo.RouteOverride{slo.OverflowRoute: {Target: 0.5}, slo.NoRoute: {Target: 0.8}},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := routesServer(t, rs, &fakeClock{now: t0})
	for _, path := range []string{"/nowhere", "/hello"} {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	for route, want := range map[string]float64{slo.OverflowRoute: 0.5, slo.NoRoute: 0.8} {
		tr, ok := rs.Tracker(route)
		if !ok {
			t.Fatalf("Tracker(%q) not made", route)
		}
		if got := tr.Status().Target; got != want {
			t.Errorf("Tracker(%q) target %v, want the override's %v", route, got, want)
		}
	}
	if rs.Overflowed() != 1 {
		t.Errorf("Overflowed() = %d, want GET /hello's 1", rs.Overflowed())
	}
}

// An override's target error names the override and reads the value as
// Objective.Validate does: 99.9 is a percentage, 1.5 and 150 are not
// guessed at.
func TestRouteOverrideTargetErrors(t *testing.T) {
	for _, tt := range []struct {
		target float64
		want   []string
		not    string
	}{
		{99.9, []string{`Overrides["POST /checkout"].Target 99.9`, "percentage", "write 0.999", "ParseTarget"}, ""},
		{99.5, []string{`Overrides["POST /checkout"].Target 99.5`, "write 0.995"}, ""},
		{1.5, []string{`Overrides["POST /checkout"].Target 1.5 out of range (0, 1)`, "fraction"}, "write 0.015"},
		{150, []string{`Overrides["POST /checkout"].Target 150 out of range (0, 1)`, "fraction"}, "write"},
		{-0.5, []string{`Overrides["POST /checkout"].Target -0.5`, "negative"}, ""},
	} {
		_, err := slo.NewRoutes(apiTemplate, slo.RoutesConfig{Overrides: map[string]slo.RouteOverride{"POST /checkout": {Target: tt.target}}})
		for _, want := range tt.want {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("NewRoutes(Target %v) = %v, want it to say %q", tt.target, err, want)
			}
		}
		if err != nil && tt.not != "" && strings.Contains(err.Error(), tt.not) {
			t.Errorf("NewRoutes(Target %v) = %v, should not say %q", tt.target, err, tt.not)
		}
		if err != nil && strings.Count(err.Error(), "slo:") != 1 {
			t.Errorf("NewRoutes(Target %v) = %v, want one %q prefix", tt.target, err, "slo:")
		}
	}
}

// A negative latency of an override is an error naming the override's
// field, with one prefix.
func TestRouteOverrideLatencyError(t *testing.T) {
	_, err := slo.NewRoutes(apiTemplate, slo.RoutesConfig{Overrides: map[string]slo.RouteOverride{"GET /x": {Latency: -time.Second}}})
	if err == nil || !strings.Contains(err.Error(), `RoutesConfig.Overrides["GET /x"].Latency -1s is negative`) || strings.Count(err.Error(), "slo:") != 1 {
		t.Errorf("NewRoutes(Latency -1s) = %v, want the override's Latency named, one slo: prefix", err)
	}
}

// copying is a middleware that hands next a copy of the request, as many
// do (r.WithContext): the mux's r.Pattern never reaches Routes.
func copying(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), copyingKey{}, true)))
	})
}

type copyingKey struct{}

// A request that a handler answered but that Routes saw no route for is
// counted, and logged once with the fix: Routes wraps a middleware that
// copies the request. The mux's own 404s and 405s are not.
func TestRoutesReportRequestsWithoutRoute(t *testing.T) {
	var logs strings.Builder
	rs, err := slo.NewRoutes(apiTemplate, slo.RoutesConfig{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {})
	srv := httptest.NewServer(rs.Middleware(slo.MiddlewareConfig{})(copying(mux)))
	defer srv.Close()
	for _, req := range []string{"GET /nowhere", "POST /hello", "GET /hello", "GET /hello", "GET /hello"} {
		method, path, _ := strings.Cut(req, " ")
		r, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := srv.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if got := rs.Unrouted(); got != 3 {
		t.Errorf("Unrouted() = %d, want the 3 answered requests to GET /hello", got)
	}
	if n := strings.Count(logs.String(), "\n"); n != 1 {
		t.Errorf("logged %d lines, want 1:\n%s", n, logs.String())
	}
	for _, want := range []string{"level=WARN", "no route", "copies the request", "directly around the ServeMux", "method=GET", "path=/hello"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log %q does not say %q", logs.String(), want)
		}
	}
	if tr, _ := rs.Tracker(slo.NoRoute); tr == nil || tr.Status().Total != 5 {
		t.Errorf("Tracker(NoRoute) = %v, want all 5 requests recorded under it", tr)
	}

	// Wired directly around the mux, nothing is reported.
	logs.Reset()
	rs, _ = slo.NewRoutes(apiTemplate, slo.RoutesConfig{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	srv2 := httptest.NewServer(copying(rs.Middleware(slo.MiddlewareConfig{})(mux)))
	defer srv2.Close()
	for _, path := range []string{"/hello", "/nowhere"} {
		resp, err := srv2.Client().Get(srv2.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if rs.Unrouted() != 0 || logs.Len() != 0 {
		t.Errorf("around the mux: Unrouted() = %d, log %q; want 0 and nothing", rs.Unrouted(), logs.String())
	}
}

// Without a Logger, the warning goes to slog.Default().
func TestRoutesLogUnroutedToDefault(t *testing.T) {
	var logs strings.Builder
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	defer slog.SetDefault(prev)
	rs, err := slo.NewRoutes(apiTemplate, slo.RoutesConfig{})
	if err != nil {
		t.Fatal(err)
	}
	h := rs.Middleware(slo.MiddlewareConfig{})(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if !strings.Contains(logs.String(), "directly around the ServeMux") {
		t.Errorf("slog.Default() got %q, want the warning", logs.String())
	}
}

// Two Routes, one around the other with a copying middleware between,
// both find the route from the innermost.
func TestRoutesNested(t *testing.T) {
	outer, _ := slo.NewRoutes(apiTemplate, slo.RoutesConfig{})
	inner, _ := slo.NewRoutes(apiTemplate, slo.RoutesConfig{})
	mux := http.NewServeMux()
	var pattern string
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {})
	mw := func(rs *slo.Routes) func(http.Handler) http.Handler { return rs.Middleware(slo.MiddlewareConfig{}) }
	// peek reads r.Pattern after next, as otelhttp does.
	peek := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r)
			pattern = r.Pattern
		})
	}
	srv := httptest.NewServer(peek(mw(outer)(copying(mw(inner)(mux)))))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/items/1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for name, rs := range map[string]*slo.Routes{"outer": outer, "inner": inner} {
		if tr, ok := rs.Tracker("GET /items/{id}"); !ok || tr.Status().Total != 1 {
			t.Errorf("%s Routes: Tracker(GET /items/{id}) = %v, %v; want 1 request", name, tr, ok)
		}
	}
	if pattern != "GET /items/{id}" {
		t.Errorf("r.Pattern outside Routes = %q, want the mux's", pattern)
	}
}

// http.TimeoutHandler around a handler inside the mux: the 503 it sends
// when the handler is too slow is what the client gets, and Middleware
// around the mux records it as a bad event of the handler's route.
func TestRoutesRecordTimeoutHandlerInsideTheMux(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rs, err := slo.NewRoutes(apiTemplate, slo.RoutesConfig{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(300 * time.Millisecond):
			case <-r.Context().Done():
			}
		})
		mux.Handle("GET /slow", http.TimeoutHandler(slow, 100*time.Millisecond, "too slow"))
		h := rs.Middleware(slo.MiddlewareConfig{})(mux)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/slow", nil))
		if w.Code != http.StatusServiceUnavailable {
			t.Fatalf("status %d, want 503 from TimeoutHandler", w.Code)
		}
		tr, ok := rs.Tracker("GET /slow")
		if !ok {
			t.Fatal("no tracker for GET /slow")
		}
		if s := tr.Status(); s.Total != 1 || s.Good != 0 {
			t.Errorf("GET /slow: %d good of %d, want the timeout recorded as 1 bad", s.Good, s.Total)
		}
	})
}
