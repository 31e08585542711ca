// Command service is a small HTTP service wired with runkit: copy it as the
// start of a new service.
//
//	go run ./examples/service                 # listens on :8080
//	go run ./examples/service -addr :9000     # or PORT=9000
//
// It serves /hello, the health probes (/livez, /readyz, /startupz, /healthz)
// backed by a simulated dependency, tracks an availability objective per
// route (99.9% for /hello, 99% for /quote) and serves their error budgets
// at /slo (a page with a card per route, worst first, in a browser, JSON
// to curl), and shuts down on SIGINT
// or SIGTERM after draining for -drain-delay; a second SIGINT or SIGTERM
// exits at once. /quote calls a flaky
// simulated upstream through a circuit breaker with retries; while its
// breaker is open, /readyz warns. Traces and metrics go through OpenTelemetry:
// /metrics serves Prometheus, and OTEL_TRACES_EXPORTER=console prints spans.
// At start-up it announces its deployment as a JSON line on standard output,
// and /version serves its build info. /events keeps what happened, in
// order (a timeline in a browser, JSON lines to curl), and a flight
// recorder writes a snapshot of the execution trace into -snapshot-dir
// when a breaker opens, readiness fails or a page tier fires; with
// RUNKIT_SNAPSHOT_TOKEN set, /debug/snapshots serves them to a request
// bearing it.
package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ybiyri/runkit/breaker"
	"github.com/ybiyri/runkit/deploy"
	"github.com/ybiyri/runkit/health"
	"github.com/ybiyri/runkit/incident"
	"github.com/ybiyri/runkit/slo"
	"github.com/ybiyri/runkit/telemetry"
)

// availability is the objective every route of the service is held to,
// each route on its own (slo.Routes): 99.9% of requests answered without a
// 5xx within 300 ms over 30 days. slos/hello.yaml holds the objective of
// GET /hello as an OpenSLO file, for the Prometheus rules of a fleet of
// replicas.
var availability = slo.Objective{
	Name:   "availability",
	Target: 0.999,
	Window: slo.Rolling(30 * 24 * time.Hour),
}

// routeObjectives are the service's per-route objectives: GET /quote,
// which depends on a flaky upstream behind a breaker, promises less and
// may take longer.
var routeObjectives = slo.RoutesConfig{
	Tracker:   slo.TrackerConfig{Latency: 300 * time.Millisecond}, // slower is bad
	Routes:    []string{"GET /hello", "GET /quote"},
	Overrides: map[string]slo.RouteOverride{"GET /quote": {Target: 0.99, Latency: time.Second}},
}

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "service:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("service", flag.ContinueOnError)
	addr := fs.String("addr", defaultAddr(), "listen address (default from PORT, else :8080)")
	drain := fs.Duration("drain-delay", 3*time.Second, "how long to keep serving after readiness turns to fail")
	snapshots := fs.String("snapshot-dir", filepath.Join(os.TempDir(), "runkit-example-snapshots"), "where the flight recorder writes snapshots")
	evaluate := fs.Duration("slo-every", incident.DefaultEvaluateEvery, "how often the event journal reads the SLO tracker")
	outage := fs.Bool("outage", false, "simulate an outage: the quote upstream and /hello fail every request")
	if err := fs.Parse(args); err != nil {
		return err
	}

	var topts []telemetry.Option
	if os.Getenv("OTEL_METRICS_EXPORTER") == "" {
		topts = append(topts, telemetry.WithMetricsExporter("prometheus"))
	}
	tel, err := telemetry.Setup(ctx, append(topts, telemetry.WithServiceName("runkit-example"))...)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := tel.Shutdown(sctx); err != nil {
			fmt.Fprintln(os.Stderr, "service:", err)
		}
	}()
	log := slog.New(tel.LogHandler(slog.NewTextHandler(os.Stderr, nil)))

	// The journal of what happens: health, breakers, the SLO, deploys.
	journal, err := incident.New(incident.Config{Service: "runkit-example", EvaluateEvery: *evaluate})
	if err != nil {
		return err
	}
	defer journal.Close()

	checker := health.New(health.WithVerbose(true), health.WithListener(logChange(log)))
	defer checker.Close()
	defer journal.WatchHealth(checker)()

	inventory := &flakyDependency{failRate: 0.1}
	if err := checker.Register(health.Check{
		Name:     "inventory",
		Func:     inventory.Ping,
		Interval: 5 * time.Second,
		// One bad ping should not take the service out of rotation.
		FailureThreshold: 2,
	}); err != nil {
		return err
	}

	upstreamURL, stopUpstream, err := startFlakyUpstream(*outage)
	if err != nil {
		return err
	}
	defer stopUpstream()
	var breakers breaker.Registry
	client := &http.Client{
		// The caller's deadline: a request cut off by it counts against
		// nothing.
		Timeout:   quoteTimeout,
		Transport: tel.Transport(quoteTransport(nil, &breakers, log, journal.BreakerChange)),
	}
	if err := checker.Register(health.Check{
		Name:     "breakers",
		Func:     breakers.Check,
		Severity: health.NonCritical, // degraded, not down
		// Run in the background, so that the journal sees readiness warn
		// when a breaker opens, not at the next probe.
		Interval: time.Second,
	}); err != nil {
		return err
	}

	routes, err := slo.NewRoutes(availability, routeObjectives)
	if err != nil {
		return err
	}
	// The route is the mux's pattern, known inside the mux.
	tracked := routes.Middleware(slo.MiddlewareConfig{})
	for _, t := range routes.Trackers() {
		if err := journal.WatchTracker(t); err != nil {
			return err
		}
	}

	mux := http.NewServeMux()
	for _, p := range []string{"/livez", "/readyz", "/startupz", "/healthz"} {
		mux.Handle(p, checker.Handler())
		mux.Handle(p+"/", checker.Handler())
	}
	mux.Handle("GET /hello", tracked(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if *outage {
			http.Error(w, "inventory unavailable", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "hello")
	})))
	mux.Handle("GET /slo", routes.Handler()) // every route, worst first; a browser gets the page
	mux.Handle("GET /metrics", tel.MetricsHandler())
	mux.Handle("GET /version", deploy.VersionHandler())
	mux.Handle("GET /events", journal) // a browser gets the timeline
	mux.Handle("GET /quote", tracked(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, upstreamURL, nil)
		resp, err := client.Do(req)
		if err != nil {
			if errors.Is(err, breaker.ErrOpen) {
				http.Error(w, "quotes are unavailable for a moment", http.StatusServiceUnavailable)
				return
			}
			http.Error(w, "upstream: "+err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	})))

	srv := &http.Server{Addr: *addr, Handler: tel.Middleware(mux), ReadHeaderTimeout: 5 * time.Second}
	// Listen before announcing: a service that cannot bind its port (one
	// already in use) fails now, without a marker for a deployment that
	// never serves.
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	// Announce the deployment, waiting two seconds at most: a marker is
	// worth little against a service that does not start.
	announcer := &deploy.Announcer{
		Sinks: []deploy.Sink{deploy.Writer(os.Stdout), deploy.OTel(deploy.OTelConfig{TracerProvider: tel.TracerProvider}), journal.Sink()},
	}
	// A build without VCS data (go run, or an image built from a copied
	// tree) gets its version from RUNKIT_VERSION or RUNKIT_REVISION, or
	// -ldflags; without them FromBuild says why it cannot mark it.
	m, err := deploy.FromBuild("runkit-example", envOr("DEPLOY_ENV", "dev"))
	journal.Started(m)
	defer journal.Stopping(m, "shut down")
	// The flight recorder: the last seconds of execution trace, written
	// out when a breaker opens, readiness fails or a page tier fires.
	rec, recErr := incident.NewRecorder(incident.RecorderConfig{
		Dir: *snapshots, Journal: journal, Deployment: m,
		Authorize: bearer(os.Getenv("RUNKIT_SNAPSHOT_TOKEN")),
	})
	if recErr != nil {
		log.Warn("flight recorder not running", "err", recErr)
	} else {
		defer rec.Close(context.Background())
		mux.Handle("/debug/snapshots", rec.Handler())
		mux.Handle("/debug/snapshots/", rec.Handler())
		srv.Handler = rec.Middleware(srv.Handler)
	}
	if err != nil {
		log.Warn("deployment marker not sent", "err", err)
	} else {
		actx, cancel := context.WithTimeout(ctx, 2*time.Second)
		if _, err := announcer.Announce(actx, m); err != nil {
			log.Warn("deployment marker not sent", "err", err)
		}
		cancel()
	}

	// The first SIGINT or SIGTERM drains and stops gracefully; a second
	// one, from someone who will not wait for the drain, exits at once.
	ctx, stopSignals := interrupts(ctx, log, os.Exit)
	defer stopSignals()
	log.Info("listening", "addr", ln.Addr().String())
	err = health.Serve(ctx, srv, checker, health.ServeConfig{Listener: ln, DrainDelay: *drain, Signals: health.NoSignals})
	if err != nil {
		log.Error("stopped", "err", err)
		return err
	}
	log.Info("stopped")
	return nil
}

// interrupts returns a context that ends at the first SIGINT or SIGTERM;
// at a second one it calls exit(1) without waiting for anything. stop
// stops listening.
func interrupts(ctx context.Context, log *slog.Logger, exit func(int)) (_ context.Context, stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		select {
		case s := <-sigs:
			log.Info("shutting down: draining; interrupt again to exit at once", "signal", s.String())
			cancel()
		case <-done:
			return
		}
		select {
		case s := <-sigs:
			log.Warn("exiting at once, without draining", "signal", s.String())
			exit(1)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		<-finished
		cancel()
	}
}

// bearer authorizes a request bearing token, or nobody when token is
// empty: snapshots hold traces and heap profiles.
func bearer(token string) func(*http.Request) bool {
	if token == "" {
		return nil
	}
	return func(r *http.Request) bool {
		return subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte("Bearer "+token)) == 1
	}
}

// logChange returns a health listener that logs each change by its kind.
func logChange(log *slog.Logger) func(health.Change) {
	return func(c health.Change) {
		switch c.Kind {
		case health.DrainStarted:
			log.Info("draining: readiness fails from now on")
		case health.StatusChanged:
			args := []any{"check", c.Name, "from", c.From, "to", c.To}
			if c.Err != nil { // a passing check has no error to log
				args = append(args, "err", c.Err)
			}
			log.Info("health changed", args...)
		default:
			log.Debug("health "+c.Kind.String(), "check", c.Name)
		}
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func defaultAddr() string {
	if p := os.Getenv("PORT"); p != "" {
		return ":" + p
	}
	return ":8080"
}

// quoteTimeout is how long /quote waits for the upstream: the caller's
// deadline, which counts against nothing when it runs out.
const quoteTimeout = 2 * time.Second

// quoteTransport calls the quote upstream through base (nil for the
// default transport). Retries go outside the breaker, so that none is sent
// to an open one. Each attempt has 500ms, the upstream's deadline, whose
// running out is a failure: three attempts and their backoff fit within
// quoteTimeout, so a hung upstream opens its breaker before callers give
// up.
func quoteTransport(base http.RoundTripper, breakers *breaker.Registry, log *slog.Logger, onChange func(breaker.Change)) http.RoundTripper {
	return &breaker.Retry{Base: &breaker.Transport{
		Base:           base,
		AttemptTimeout: 500 * time.Millisecond,
		Registry:       breakers,
		Config:         breaker.Config{Logger: log, MinCalls: 10, OpenTimeout: 10 * time.Second, OnChange: onChange},
	}}
}

// startFlakyUpstream serves a quote service on loopback that fails a third
// of its requests, or all of them in an outage, standing in for a real
// upstream.
func startFlakyUpstream(outage bool) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{ReadHeaderTimeout: time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if outage || rand.IntN(3) == 0 {
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintf(w, "quote %d\n", rand.IntN(1000))
	})}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String() + "/quote", func() { srv.Close() }, nil
}

// flakyDependency stands in for a database or an upstream service. It is up
// when the service starts, as a real dependency usually is, so the first
// /readyz answers 200; after its first ping, a share failRate of pings
// fail, which the check's FailureThreshold of 2 rides out.
type flakyDependency struct {
	failRate float64
	pinged   atomic.Bool
}

func (d *flakyDependency) Ping(ctx context.Context) error {
	if !d.pinged.Swap(true) {
		// The first ping answers at once, so its result is in before the
		// server listens.
		return nil
	}
	select {
	case <-time.After(time.Duration(rand.IntN(50)) * time.Millisecond):
	case <-ctx.Done():
		return ctx.Err()
	}
	if rand.Float64() < d.failRate {
		return errors.New("inventory: connection reset by peer")
	}
	return nil
}
