package slo

import (
	"cmp"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/metric/noop"

	"github.com/ybiyri/runkit/internal/muxpattern"
	"github.com/ybiyri/runkit/internal/readonly"
)

// DefaultMaxRoutes is how many routes a Routes tracks when its config sets
// no MaxRoutes.
const DefaultMaxRoutes = 64

// OverflowRoute is the route under which Routes records the requests of
// routes past its MaxRoutes, and NoRoute that of requests that matched no
// pattern of the mux (its 404s, whatever their path). Each may have an
// override, as any route may.
const (
	OverflowRoute = "(other routes)"
	NoRoute       = "(no route)"
)

// RoutesConfig configures Routes. Every zero field has a default.
type RoutesConfig struct {
	// Tracker configures every route's tracker: its Latency, Policy,
	// Resolution, clock and MeterProvider.
	Tracker TrackerConfig
	// Overrides sets a route's own target or latency threshold where the
	// template does not fit, by route: a ServeMux pattern without its host,
	// with one space after the method if it has one ("POST /checkout",
	// "/static/"), or OverflowRoute or NoRoute. NewRoutes refuses a route
	// no request can have ("checkout", "POST example.com/checkout", or a
	// pattern ServeMux refuses, as "GET /items/{id"), saying what to write.
	Overrides map[string]RouteOverride
	// Routes lists routes, written as for Overrides, whose trackers
	// NewRoutes makes at once, before their first request, so that a
	// journal or an alert can watch them from the start. They count toward
	// MaxRoutes.
	Routes []string
	// MaxRoutes is how many routes get their own tracker, those of Routes
	// first, then others in the order they are first requested; the requests of any other route are
	// recorded under OverflowRoute and counted in Overflowed. Zero means
	// DefaultMaxRoutes.
	MaxRoutes int
	// Logger receives one warning, the first time Middleware records a
	// request that a handler answered (a status below 300) under NoRoute:
	// a sign that a middleware between Middleware and the mux copies the
	// request, so that the mux's pattern never reaches Middleware (see
	// Routes.Middleware). Nil means slog.Default().
	Logger *slog.Logger
}

// RouteOverride is one route's departure from the template. A zero field
// keeps the template's.
type RouteOverride struct {
	Target  float64
	Latency time.Duration
}

// Routes applies one objective per route: each route (a ServeMux
// pattern, as telemetry's http.route) gets its own tracker of the
// template objective, made when the route is first requested; it has
// observed the route since the Routes were made, with no request before
// its first (TrackerStatus.Observed). The number
// of trackers is bounded by MaxRoutes, plus one for OverflowRoute, so
// requests for ever new routes cannot grow memory.
type Routes struct {
	o         Objective
	cfg       RoutesConfig
	max       int
	trackers  sync.Map // route → *Tracker
	mu        sync.Mutex
	count     int // routes with their own tracker; guarded by mu
	overflow  *Tracker
	overflows atomic.Int64
	since     time.Time // when the Routes were made
	unrouted  atomic.Int64
}

// NewRoutes returns the per-route objectives of template o. It returns an
// error naming the field when o, cfg.Tracker, an override or MaxRoutes is
// not valid, so that no route's tracker can fail to be made later.
func NewRoutes(o Objective, cfg RoutesConfig) (*Routes, error) {
	switch {
	case cfg.MaxRoutes < 0:
		return nil, fmt.Errorf("slo: RoutesConfig.MaxRoutes %d is negative", cfg.MaxRoutes)
	case cfg.MaxRoutes == 0:
		cfg.MaxRoutes = DefaultMaxRoutes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	// Every tracker a route may need is made once here, reporting no
	// metrics, so that none can fail to be made later.
	if _, err := newRouteTracker(o, unreported(cfg.Tracker), OverflowRoute, time.Time{}); err != nil {
		return nil, err
	}
	for route, ov := range cfg.Overrides {
		field := fmt.Sprintf("RoutesConfig.Overrides[%q]", route)
		if err := validRoute(field, route); err != nil {
			return nil, err
		}
		if ov.Target != 0 {
			if err := validTarget(field+".Target", ov.Target, true); err != nil {
				return nil, fmt.Errorf("slo: %w", err)
			}
		}
		if ov.Latency < 0 {
			return nil, fmt.Errorf("slo: %s.Latency %v is negative; want a positive threshold, or zero for the template's", field, ov.Latency)
		}
		ro, rc := ov.apply(o, cfg.Tracker)
		if _, err := newRouteTracker(ro, unreported(rc), route, time.Time{}); err != nil {
			return nil, fmt.Errorf("slo: %s: %s", field, strings.TrimPrefix(err.Error(), "slo: "))
		}
	}
	ro, rc := cfg.Overrides[OverflowRoute].apply(o, cfg.Tracker)
	overflow, err := newRouteTracker(ro, rc, OverflowRoute, time.Time{})
	if err != nil {
		return nil, err
	}
	since := overflow.now()
	rs := &Routes{o: o, cfg: cfg, max: cfg.MaxRoutes, overflow: overflow, since: since}
	if len(cfg.Routes) > cfg.MaxRoutes {
		return nil, fmt.Errorf("slo: RoutesConfig.Routes lists %d routes, more than MaxRoutes %d", len(cfg.Routes), cfg.MaxRoutes)
	}
	for _, route := range cfg.Routes {
		if _, ok := rs.Tracker(route); ok || route == "" {
			return nil, fmt.Errorf("slo: RoutesConfig.Routes: route %q is empty, listed twice or reserved", route)
		}
		if err := validRoute("RoutesConfig.Routes", route); err != nil {
			return nil, err
		}
		rs.trackerFor(route)
	}
	return rs, nil
}

// unreported returns cfg for a tracker made only to be checked: its events
// metric goes nowhere, so that it does not stand beside the route's real
// tracker in the SDK's collections until it is collected.
func unreported(cfg TrackerConfig) TrackerConfig {
	cfg.MeterProvider = noop.NewMeterProvider()
	return cfg
}

// validRoute reports a route that no request can have: routeOf never
// returns it. The error names field and says what to write instead.
func validRoute(field, route string) error {
	if route == "" {
		return fmt.Errorf("slo: %s: the route is empty; write a ServeMux pattern without its host, such as \"POST /checkout\"", field)
	}
	if route == OverflowRoute || route == NoRoute {
		return nil
	}
	want := routeOf(route)
	method, rest, _ := strings.Cut(want, " ")
	if rest == "" {
		method, rest = "", want
	}
	if m := strings.TrimSpace(route); m != "" && strings.ToUpper(m) == m && !strings.ContainsAny(m, " /") {
		// A method alone: "GET".
		return fmt.Errorf("slo: %s: route %q has no path, so no request matches it; a route is a ServeMux pattern without its host: write the method with the path, such as %q", field, route, m+" /checkout")
	}
	if !strings.HasPrefix(rest, "/") {
		// No path: "checkout" or "POST checkout".
		rest = "/" + rest
		if method == "" {
			return fmt.Errorf("slo: %s: route %q has no path, so no request matches it; a route is a ServeMux pattern without its host: write %q, or with its method, such as %q", field, route, rest, "POST "+rest)
		}
		return fmt.Errorf("slo: %s: route %q has no path, so no request matches it; a route is a ServeMux pattern without its host: write %q", field, route, method+" "+rest)
	}
	if err := muxAccepts(route); err != nil {
		return fmt.Errorf("slo: %s: route %q never matches: http.ServeMux refuses it as a pattern: %v", field, route, err)
	}
	if want != route {
		why := "the route of a request is its pattern with one space after the method"
		if host := strings.TrimSpace(strings.TrimPrefix(route, method)); !strings.HasPrefix(host, "/") {
			why = "the route of a request is its pattern without the host"
		}
		return fmt.Errorf("slo: %s: route %q never matches: %s; write %q", field, route, why, want)
	}
	return nil
}

// muxAccepts reports whether a ServeMux takes pattern, as its Handle
// does, which panics on one it refuses: the panic is its error here.
func muxAccepts(pattern string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	http.NewServeMux().Handle(pattern, http.NotFoundHandler())
	return nil
}

// apply returns the objective and tracker config of a route.
func (ov RouteOverride) apply(o Objective, cfg TrackerConfig) (Objective, TrackerConfig) {
	if ov.Target != 0 {
		o.Target = ov.Target
	}
	if ov.Latency != 0 {
		cfg.Latency = ov.Latency
	}
	return o, cfg
}

// newRouteTracker makes the tracker of one route, observing since the
// Routes were made: the route had no requests before its first.
func newRouteTracker(o Objective, cfg TrackerConfig, route string, since time.Time) (*Tracker, error) {
	return makeTracker(o, cfg, route, since)
}

// Tracker returns the tracker of route, made on its first request, and
// reports whether it has one; OverflowRoute always has one.
func (rs *Routes) Tracker(route string) (*Tracker, bool) {
	if route == OverflowRoute {
		return rs.overflow, true
	}
	t, ok := rs.trackers.Load(route)
	if !ok {
		return nil, false
	}
	return t.(*Tracker), true
}

// Trackers returns the trackers made so far, by route, the overflow
// route's last.
func (rs *Routes) Trackers() []*Tracker {
	var out []*Tracker
	rs.trackers.Range(func(_, v any) bool {
		out = append(out, v.(*Tracker))
		return true
	})
	slices.SortFunc(out, func(a, b *Tracker) int { return strings.Compare(a.route, b.route) })
	return append(out, rs.overflow)
}

// Overflowed returns how many requests were recorded under OverflowRoute.
func (rs *Routes) Overflowed() int64 { return rs.overflows.Load() }

// Unrouted returns how many requests a handler answered (a status below
// 300) that Middleware recorded under NoRoute: requests whose route a
// middleware between Middleware and the mux kept from it (see
// Routes.Middleware). It is 0 in a service wired as the package doc shows.
func (rs *Routes) Unrouted() int64 { return rs.unrouted.Load() }

// trackerFor returns the tracker of route, making it when there is room.
func (rs *Routes) trackerFor(route string) *Tracker {
	if t, ok := rs.trackers.Load(route); ok {
		return t.(*Tracker)
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if t, ok := rs.trackers.Load(route); ok {
		return t.(*Tracker)
	}
	if rs.count >= rs.max {
		rs.overflows.Add(1)
		return rs.overflow
	}
	o, cfg := rs.cfg.Overrides[route].apply(rs.o, rs.cfg.Tracker)
	t, err := newRouteTracker(o, cfg, route, rs.since)
	if err != nil {
		// NewRoutes made the same tracker: this cannot fail.
		panic("slo: " + err.Error())
	}
	rs.trackers.Store(route, t)
	rs.count++
	return t
}

// routeOf returns the route of a request whose ServeMux matched pattern
// p: the pattern without the host ("GET /items/{id}"), or NoRoute when no
// pattern matched (p is ""). The method is separated by one space, however
// the pattern separates it (the mux allows spaces and tabs).
func routeOf(p string) string {
	if p == "" {
		return NoRoute
	}
	method, rest := "", p
	if i := strings.IndexAny(p, " \t"); i >= 0 {
		method, rest = p[:i], strings.TrimLeft(p[i+1:], " \t")
	}
	if i := strings.IndexByte(rest, '/'); i > 0 {
		rest = rest[i:]
	}
	if method == "" {
		return rest
	}
	return method + " " + rest
}

// Middleware returns a wrapper that records every request into the
// tracker of its route, as Middleware does for one tracker. A request that
// matches no pattern is recorded under NoRoute. A route's latency
// threshold is its tracker's, and the clock the template's.
//
// The route is known once the mux has matched the request: the mux writes
// r.Pattern into the request it is given. So Middleware goes directly
// around the mux, or around a handler inside it, or outside telemetry's
// Middleware, which passes the pattern out of otelhttp's copy of the
// request: both orders record the same routes. Any other middleware that
// copies the request (r.WithContext) goes outside Middleware: between
// Middleware and the mux it hides the route, and requests are recorded
// under NoRoute; the first such request a handler answered is logged to
// RoutesConfig.Logger, and all are counted by Unrouted. The request
// Middleware is given gets the mux's r.Pattern, as if the mux had been
// given it.
//
// Middleware records the response it sees, so nothing between it and the
// client should replace that response. http.TimeoutHandler outside
// Middleware sends its 503 where Middleware cannot see it (the slow
// handler's late 200 is recorded instead), and around the mux it hides
// the route as well. Put TimeoutHandler around each slow handler inside
// the mux: its 503 is then a bad event of the handler's route. In the
// same way, a mux mounted under another with http.StripPrefix is one
// route of the outer mux; give the inner mux a Middleware of its own
// Routes for its routes (their patterns lack the prefix).
func (rs *Routes) Middleware(cfg MiddlewareConfig) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r2, matched := muxpattern.Watch(r)
			defer func() {
				// Hand the pattern to the middlewares outside: a Watch of
				// theirs, and r, which otelhttp reads after next returns.
				muxpattern.Fill(r2)
				pattern := matched()
				*r = *r2.WithContext(r.Context())
				r.Pattern = pattern
			}()
			serveRecorded(w, r2, next, cfg, rs.overflow.now, func(code int) *Tracker {
				pattern := matched()
				if pattern == "" && code < 300 {
					rs.noteUnrouted(r2)
				}
				return rs.trackerFor(routeOf(pattern))
			})
		})
	}
}

// noteUnrouted counts a request a handler answered without a route, and
// logs the first.
func (rs *Routes) noteUnrouted(r *http.Request) {
	if rs.unrouted.Add(1) != 1 {
		return
	}
	rs.cfg.Logger.Warn("slo: a request was answered, yet Routes.Middleware saw no route and recorded it under "+NoRoute+
		": a middleware between it and the ServeMux copies the request, so the mux's pattern never reaches it; "+
		"put Routes.Middleware directly around the ServeMux (or outside telemetry's Middleware); logged once",
		"slo", rs.o.Name, "method", r.Method, "path", r.URL.Path)
}

// Handler serves the status of every route: a JSON array of TrackerStatus,
// worst first (see worstFirst), or, to a browser, a page with a card per
// route in the same order.
func (rs *Routes) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !readonly.Allow(w, r) {
			return
		}
		w.Header().Add("Vary", "Accept")
		trackers := rs.Trackers()
		statuses := make([]TrackerStatus, len(trackers))
		for i, t := range trackers {
			statuses[i] = t.Status()
		}
		order := worstFirst(statuses)
		sorted := make([]*Tracker, len(order))
		for i, j := range order {
			sorted[i] = trackers[j]
		}
		if wantsHTML(r) {
			d, _ := NewDashboard(DashboardConfig{Title: rs.o.Name + " by route"}, sorted...)
			d.serveHTML(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if r.Method == http.MethodHead {
			return
		}
		worst := make([]TrackerStatus, len(order))
		for i, j := range order {
			worst[i] = statuses[j]
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(worst)
	})
}

// worstFirst returns the indices of statuses, worst first: those with a page
// tier firing, then a ticket tier, then by budget remaining, least first;
// those with no data last. Ties keep their order.
func worstFirst(statuses []TrackerStatus) []int {
	rank := func(s TrackerStatus) int {
		switch {
		case s.NoData:
			return 3
		case s.Firing(Page):
			return 0
		case s.Firing(Ticket):
			return 1
		}
		return 2
	}
	order := make([]int, len(statuses))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		sa, sb := statuses[a], statuses[b]
		return cmp.Or(cmp.Compare(rank(sa), rank(sb)), cmp.Compare(sa.Remaining, sb.Remaining))
	})
	return order
}

// displayName is the objective's name, and its route for a tracker of
// Routes: "api POST /checkout".
func (t *Tracker) displayName() string {
	if t.route == "" {
		return t.o.Name
	}
	return t.o.Name + " " + t.route
}
