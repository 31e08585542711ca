package telemetry_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.opentelemetry.io/contrib/bridges/otelslog"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/goleak"

	"github.com/ybiyri/runkit/internal/muxpattern"
	"github.com/ybiyri/runkit/telemetry"
	"github.com/ybiyri/runkit/telemetry/telemetrytest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clearEnv unsets every variable Setup reads, for the test.
func clearEnv(t *testing.T) {
	for _, v := range []string{"OTEL_SDK_DISABLED", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES",
		"OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_LOGS_EXPORTER",
		"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
		"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
		"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG", "OTEL_PROPAGATORS",
		"OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "OTEL_BSP_SCHEDULE_DELAY", "OTEL_BSP_EXPORT_TIMEOUT"} {
		t.Setenv(v, "")
	}
}

func TestNothingLostAtShutdown(t *testing.T) {
	clearEnv(t)
	rc := newReceiver()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rc.startHTTP(t))
	tel, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics())
	if err != nil {
		t.Fatal(err)
	}
	tracer := tel.Tracer("test")
	counter, _ := tel.Meter("test").Int64Counter("orders")
	const n = 10000
	for i := range n {
		_, span := tracer.Start(context.Background(), "order")
		span.SetAttributes(attribute.Int("seq", i))
		span.End()
		counter.Add(context.Background(), 1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := tel.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.spans["order"] != n || len(rc.seqs) != n {
		t.Errorf("receiver has %d spans named order with %d distinct seq values, want %d", rc.spans["order"], len(rc.seqs), n)
	}
	if rc.counters["orders"] != n {
		t.Errorf("receiver's last value of orders = %d, want %d", rc.counters["orders"], n)
	}
}

func TestLogExportThroughSlog(t *testing.T) {
	clearEnv(t)
	rc := newReceiver()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rc.startHTTP(t))
	t.Setenv("OTEL_LOGS_EXPORTER", "otlp")
	tel, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics(), telemetry.WithMetricsExporter("none"))
	if err != nil {
		t.Fatal(err)
	}
	var local bytes.Buffer
	log := slog.New(tel.LogHandler(slog.NewTextHandler(&local, nil)))
	ctx, span := tel.Tracer("t").Start(context.Background(), "work")
	log.InfoContext(ctx, "charged card")
	span.End()
	if err := tel.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	tid := span.SpanContext().TraceID().String()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.logs) != 1 || rc.logs[0] != "charged card trace="+tid {
		t.Errorf("receiver logs = %q, want the record with trace %s", rc.logs, tid)
	}
	if !strings.Contains(local.String(), "trace_id="+tid) {
		t.Errorf("local log = %q", local.String())
	}
}

func TestGRPCExport(t *testing.T) {
	clearEnv(t)
	rc := newReceiver()
	tel, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics(),
		telemetry.WithProtocol("grpc"), telemetry.WithEndpoint(rc.startGRPC(t)), telemetry.WithMetricsExporter("none"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 500 {
		_, span := tel.Tracer("test").Start(context.Background(), "rpc")
		span.SetAttributes(attribute.Int("seq", i))
		span.End()
	}
	if err := tel.Shutdown(t.Context()); err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.spans["rpc"] != 500 {
		t.Errorf("gRPC receiver has %d spans, want 500", rc.spans["rpc"])
	}
}

func TestCollectorDown(t *testing.T) {
	clearEnv(t)
	// A collector that accepts connections and never answers: an exporter
	// that blocked its caller would hold each span for the export timeout
	// (10 s by default).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns sync.WaitGroup
	var held []net.Conn
	var heldMu sync.Mutex
	conns.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			heldMu.Lock()
			held = append(held, c)
			heldMu.Unlock()
		}
	})
	t.Cleanup(func() {
		ln.Close()
		conns.Wait()
		heldMu.Lock()
		for _, c := range held {
			c.Close()
		}
		heldMu.Unlock()
	})
	tel, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics(),
		telemetry.WithEndpoint("http://"+ln.Addr().String()))
	if err != nil {
		t.Fatal(err)
	}
	// The service keeps working: spans end at once. 1,000 spans take a few
	// milliseconds even under -race; the bound is half the export timeout,
	// so only an End that waited for the collector can break it, however
	// loaded the machine.
	start := time.Now()
	for range 1000 {
		_, span := tel.Tracer("test").Start(context.Background(), "work")
		span.End()
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("ending 1000 spans with the collector hung took %v", d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start = time.Now()
	err = tel.Shutdown(ctx)
	// Shutdown honours its deadline; the slack is for a loaded machine.
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Shutdown with a 1s deadline took %v", d)
	}
	if err == nil {
		t.Error("Shutdown with the collector down = nil, want the export failure")
	}
	if err2 := tel.Shutdown(context.Background()); err2 != err {
		t.Errorf("second Shutdown = %v, want the first result %v", err2, err)
	}
}

func TestDisabledStartsNothing(t *testing.T) {
	clearEnv(t)
	w := watch(t, "127.0.0.1:0")
	t.Setenv("OTEL_SDK_DISABLED", "true")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://"+w.ln.Addr().String())
	t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
	t.Setenv("OTEL_METRICS_EXPORTER", "otlp")
	before := goleak.IgnoreCurrent()
	tel, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals())
	if err != nil {
		t.Fatal(err)
	}
	if !tel.Disabled() {
		t.Fatal("Disabled() = false with OTEL_SDK_DISABLED=true")
	}
	if err := goleak.Find(before); err != nil {
		t.Errorf("a disabled Setup started goroutines: %v", err)
	}
	_, span := tel.Tracer("t").Start(context.Background(), "x")
	span.End()
	if err := tel.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := w.conns.Load(); n != 0 {
		t.Errorf("a disabled Setup made %d connections", n)
	}
	h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	if got := tel.Middleware(h); got == nil || tel.Transport(nil) != http.DefaultTransport {
		t.Error("disabled Middleware or Transport wrapped its argument")
	}
}

func TestNoTrafficWithoutConfiguration(t *testing.T) {
	clearEnv(t)
	w := watch(t, "127.0.0.1:4318") // the default OTLP/HTTP port
	tel, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals())
	if err != nil {
		t.Fatal(err)
	}
	_, span := tel.Tracer("t").Start(context.Background(), "x")
	span.End()
	c, _ := tel.Meter("t").Int64Counter("c")
	c.Add(context.Background(), 1)
	if err := tel.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := w.conns.Load(); n != 0 {
		t.Errorf("an unconfigured Setup made %d connections to :4318", n)
	}
}

func TestBadConfiguration(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, `OTEL_TRACES_EXPORTER="zipkin": unknown exporter "zipkin"`},
		{map[string]string{"OTEL_METRICS_EXPORTER": "otlp,none"}, `"none" cannot be combined`},
		{map[string]string{"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "1.5"}, `OTEL_TRACES_SAMPLER_ARG="1.5": want a ratio from 0 to 1`},
		{map[string]string{"OTEL_TRACES_SAMPLER": "sometimes"}, `OTEL_TRACES_SAMPLER="sometimes": unknown sampler`},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"}, `OTEL_EXPORTER_OTLP_ENDPOINT="collector:4318": want an http or https URL such as http://localhost:4318; the value has no scheme`},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:99999"}, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="http://c:99999": port out of range`},
		{map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, `OTEL_EXPORTER_OTLP_PROTOCOL="http/json"`},
		{map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "team=checkout,broken"}, `OTEL_RESOURCE_ATTRIBUTES="team=checkout,broken"`},
		{map[string]string{"OTEL_PROPAGATORS": "tracecontext,carrier-pigeon"}, `OTEL_PROPAGATORS`},
	}
	for _, tt := range tests {
		clearEnv(t)
		for k, v := range tt.env {
			t.Setenv(k, v)
		}
		tel, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals())
		if err == nil {
			tel.Shutdown(t.Context())
		}
		var ce *telemetry.ConfigError
		if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.As(err, &ce) {
			t.Errorf("Setup with %v = %v, want a ConfigError containing %q", tt.env, err, tt.want)
		}
	}
	clearEnv(t)
	if _, err := telemetry.Setup(t.Context(), telemetry.WithTracesExporter("jaeger")); err == nil || !strings.Contains(err.Error(), "WithTracesExporter") {
		t.Errorf("Setup(WithTracesExporter(jaeger)) = %v, want an error naming the option", err)
	}
}

func TestResource(t *testing.T) {
	clearEnv(t)
	t.Setenv("OTEL_SERVICE_NAME", "from-env")
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "team=payments,service.name=ignored")
	tel, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals())
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(t.Context())
	get := func(tel *telemetry.Telemetry, k string) string {
		v, _ := tel.Resource.Set().Value(attribute.Key(k))
		return v.String()
	}
	if get(tel, "service.name") != "from-env" || get(tel, "team") != "payments" || get(tel, "host.name") == "" || get(tel, "process.pid") == "" {
		t.Errorf("resource = %v", tel.Resource)
	}
	over, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals(), telemetry.WithServiceName("checkout"),
		telemetry.WithServiceVersion("1.4.2"), telemetry.WithEnvironment("production"))
	if err != nil {
		t.Fatal(err)
	}
	defer over.Shutdown(t.Context())
	if get(over, "service.name") != "checkout" || get(over, "service.version") != "1.4.2" || get(over, "deployment.environment.name") != "production" {
		t.Errorf("resource with options = %v", over.Resource)
	}
	clearEnv(t)
	bare, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals())
	if err != nil {
		t.Fatal(err)
	}
	defer bare.Shutdown(t.Context())
	if name := get(bare, "service.name"); name == "" || strings.HasPrefix(name, "unknown_service") {
		t.Errorf("default service.name = %q, want the binary's name", name)
	}
}

func TestMiddlewareSpansAndDuration(t *testing.T) {
	clearEnv(t)
	spans := tracetest.NewSpanRecorder()
	reader := sdkmetric.NewManualReader()
	tel, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics(),
		telemetry.WithSpanProcessor(spans), telemetry.WithMetricReader(reader))
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(t.Context())
	var logs bytes.Buffer
	log := slog.New(telemetry.TraceHandler(slog.NewTextHandler(&logs, nil)))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		log.InfoContext(r.Context(), "serving item")
	})
	h := tel.Middleware(mux)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/items/42", nil))

	ended := spans.Ended()
	if len(ended) != 1 || ended[0].Name() != "GET /items/{id}" {
		names := []string{}
		for _, s := range ended {
			names = append(names, s.Name())
		}
		t.Fatalf("spans = %v, want one named GET /items/{id}", names)
	}
	tid := ended[0].SpanContext().TraceID().String()
	if !strings.Contains(logs.String(), "trace_id="+tid) || !strings.Contains(logs.String(), "span_id="+ended[0].SpanContext().SpanID().String()) {
		t.Errorf("log line %q lacks trace_id %s and span_id", logs.String(), tid)
	}
	rec := &collected{reader: reader}
	if n := rec.histogramCount(t, "http.server.request.duration"); n != 1 {
		t.Errorf("http.server.request.duration count = %d, want 1", n)
	}
}

func TestPrometheusHandler(t *testing.T) {
	clearEnv(t)
	t.Setenv("OTEL_METRICS_EXPORTER", "prometheus")
	tel, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics())
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(t.Context())
	c, _ := tel.Meter("test").Int64Counter("jobs.done")
	c.Add(context.Background(), 3)
	rec := httptest.NewRecorder()
	tel.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), "jobs_done_total") {
		t.Errorf("/metrics lacks jobs_done_total:\n%s", rec.Body.String())
	}
}

func TestTelemetrytest(t *testing.T) {
	rec := telemetrytest.New(t)
	// Code under test reaches the recorder through the globals.
	c, _ := otel.Meter("t").Int64Counter("pings")
	c.Add(context.Background(), 2, metricAttr("route", "/ping"))
	h, _ := otel.Meter("t").Float64Histogram("latency")
	h.Record(context.Background(), 0.2)
	_, span := otel.Tracer("t").Start(context.Background(), "ping")
	span.End()
	if got := rec.SpansNamed("ping"); len(got) != 1 || len(rec.Spans()) != 1 {
		t.Errorf("SpansNamed(ping) = %v", got)
	}
	if v, ok := rec.Int64("pings", attribute.String("route", "/ping")); !ok || v != 2 {
		t.Errorf("Int64(pings) = %v, %v", v, ok)
	}
	if _, ok := rec.Int64("pings", attribute.String("route", "/other")); ok {
		t.Error("Int64 with other attributes found a value")
	}
	if n, ok := rec.HistogramCount("latency"); !ok || n != 1 {
		t.Errorf("HistogramCount(latency) = %v, %v", n, ok)
	}
	fc, _ := otel.Meter("t").Float64Counter("bytes")
	fc.Add(context.Background(), 1.5)
	fc.Add(context.Background(), 2)
	ih, _ := otel.Meter("t").Int64Histogram("sizes")
	ih.Record(context.Background(), 3)
	ih.Record(context.Background(), 4)
	if v, ok := rec.Float64("bytes"); !ok || v != 3.5 {
		t.Errorf("Float64(bytes) = %v, %v", v, ok)
	}
	if n, ok := rec.HistogramCount("sizes"); !ok || n != 2 {
		t.Errorf("HistogramCount(sizes) = %v, %v", n, ok)
	}
	if _, ok := rec.HistogramCount("missing"); ok {
		t.Error("HistogramCount of an unrecorded metric reported true")
	}
}

func TestWithSpanExporterFlushesAtShutdown(t *testing.T) {
	clearEnv(t)
	exp := &countingExporter{}
	tel, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals(), telemetry.WithSpanExporter(exp))
	if err != nil {
		t.Fatal(err)
	}
	for range 100 {
		_, span := tel.Tracer("t").Start(context.Background(), "batch")
		span.End()
	}
	if err := tel.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := exp.n.Load(); n != 100 {
		t.Errorf("exporter got %d spans after Shutdown, want 100", n)
	}
}

// countingExporter counts the spans exported to it. (tracetest's in-memory
// exporter forgets its spans on Shutdown.)
type countingExporter struct{ n atomic.Int64 }

func (e *countingExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	e.n.Add(int64(len(spans)))
	return nil
}

func (e *countingExporter) Shutdown(context.Context) error { return nil }

func TestServerSpanRoute(t *testing.T) {
	clearEnv(t)
	spans := tracetest.NewSpanRecorder()
	tel, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics(),
		telemetry.WithSpanProcessor(spans), telemetry.WithMetricReader(sdkmetric.NewManualReader()))
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(t.Context())
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("/static/", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("127.0.0.1/admin/{page}", func(http.ResponseWriter, *http.Request) {})
	srv := httptest.NewServer(tel.Middleware(mux))
	defer srv.Close()

	tests := []struct {
		path, route string // route "" means no http.route attribute
	}{
		{"/items/42", "/items/{id}"},
		{"/static/app.css", "/static/"},
		{"/admin/users", "/admin/{page}"},
		{"/nowhere", ""},
	}
	for _, tt := range tests {
		resp, err := http.Get(srv.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	ended := spans.Ended()
	if len(ended) != len(tests) {
		t.Fatalf("%d spans ended, want %d", len(ended), len(tests))
	}
	for i, tt := range tests {
		var route string
		var found bool
		for _, kv := range ended[i].Attributes() {
			if kv.Key == "http.route" {
				route, found = kv.Value.AsString(), true
			}
		}
		if found != (tt.route != "") || route != tt.route {
			t.Errorf("GET %s: span %q has http.route %q (present %v), want %q", tt.path, ended[i].Name(), route, found, tt.route)
		}
	}
}

// A middleware outside Middleware that watches for the mux's pattern (as
// slo's Routes does) gets it, though otelhttp hands the mux a copy of the
// request.
func TestMiddlewarePassesPatternOut(t *testing.T) {
	clearEnv(t)
	tel, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics(),
		telemetry.WithSpanProcessor(tracetest.NewSpanRecorder()), telemetry.WithMetricReader(sdkmetric.NewManualReader()))
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(t.Context())
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(http.ResponseWriter, *http.Request) {})
	h := tel.Middleware(mux)
	for path, want := range map[string]string{"/items/1": "GET /items/{id}", "/nowhere": ""} {
		r, matched := muxpattern.Watch(httptest.NewRequest("GET", path, nil))
		h.ServeHTTP(httptest.NewRecorder(), r)
		if got := matched(); got != want {
			t.Errorf("GET %s: pattern outside Middleware = %q, want %q", path, got, want)
		}
	}
}

// TestGlobalLoggerProvider shows that an otelslog bridge made without a
// provider, as a library would make one, exports through Setup's. The
// global provider forwards to the first provider ever installed, so the
// test runs in a process of its own.
func TestGlobalLoggerProvider(t *testing.T) {
	if os.Getenv("RUNKIT_TEST_CHILD") != t.Name() {
		inChildProcess(t)
		return
	}
	clearEnv(t)
	rc := newReceiver()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rc.startHTTP(t))
	t.Setenv("OTEL_LOGS_EXPORTER", "otlp")
	// Made before Setup: the global provider forwards to the one Setup
	// installs later.
	early := otelslog.NewLogger("github.com/example/early")
	tel, err := telemetry.Setup(t.Context(), telemetry.WithoutRuntimeMetrics(), telemetry.WithMetricsExporter("none"), telemetry.WithTracesExporter("none"))
	if err != nil {
		t.Fatal(err)
	}
	late := otelslog.NewLogger("github.com/example/late")
	early.Info("from early")
	late.Info("from late")
	if err := tel.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	want := []string{"from early trace=", "from late trace="}
	if !slices.Equal(rc.logs, want) {
		t.Errorf("receiver logs = %q, want %q", rc.logs, want)
	}
}

// inChildProcess runs the calling test alone in a new process of the test
// binary, for a test of process-wide state that other tests have changed.
func inChildProcess(t *testing.T) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v")
	cmd.Env = append(os.Environ(), "RUNKIT_TEST_CHILD="+t.Name())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("%s in a child process: %v\n%s", t.Name(), err, out)
	}
}

// TestShutdownCollectorDownGRPC: with the collector down, each signal gets
// the caller's whole deadline (metrics are not starved by traces that
// retry), and each failure names its signal, exporter and endpoint.
func TestShutdownCollectorDownGRPC(t *testing.T) {
	clearEnv(t)
	endpoint := "http://" + closedAddr(t)
	before := goleak.IgnoreCurrent()
	tel, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics(),
		telemetry.WithProtocol("grpc"), telemetry.WithEndpoint(endpoint))
	if err != nil {
		t.Fatal(err)
	}
	_, span := tel.Tracer("t").Start(context.Background(), "work")
	span.End()
	c, _ := tel.Meter("t").Int64Counter("jobs")
	c.Add(context.Background(), 1)

	const deadline = 2 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	err = tel.Shutdown(ctx)
	// Generous: the point is that Shutdown keeps to the deadline, not
	// how closely on a loaded machine.
	if d := time.Since(start); d > deadline+5*time.Second {
		t.Errorf("Shutdown with a %v deadline took %v", deadline, d)
	}
	if err == nil {
		t.Fatal("Shutdown with the collector down = nil")
	}
	t.Logf("Shutdown = %v", err)
	// Nothing goes on retrying once Shutdown has returned.
	if leak := goleak.Find(before); leak != nil {
		t.Errorf("after Shutdown: %v", leak)
	}
	bySignal := map[string]*telemetry.ShutdownError{}
	var walk func(error)
	walk = func(e error) {
		if se, ok := e.(*telemetry.ShutdownError); ok {
			bySignal[se.Signal] = se
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	for _, sig := range []string{"traces", "metrics"} {
		se := bySignal[sig]
		if se == nil {
			t.Errorf("Shutdown error %q has no ShutdownError for %s", err, sig)
			continue
		}
		if se.Exporter != "otlp" || se.Protocol != "grpc" || se.Endpoint != endpoint {
			t.Errorf("%s: exporter %q protocol %q endpoint %q, want otlp grpc %s", sig, se.Exporter, se.Protocol, se.Endpoint, endpoint)
		}
		msg := se.Error()
		if !strings.Contains(msg, sig) || !strings.Contains(msg, endpoint) {
			t.Errorf("%s: message %q does not name the signal and the endpoint", sig, msg)
		}
		// An export was attempted and failed for want of a collector,
		// rather than never tried for want of time.
		if !strings.Contains(msg, "Unavailable") {
			t.Errorf("%s: %q shows no export attempt", sig, msg)
		}
	}
}

// TestShutdownExporterIgnoresDeadline: an exporter that ignores
// cancellation holds Shutdown no more than a second past the deadline.
func TestShutdownExporterIgnoresDeadline(t *testing.T) {
	clearEnv(t)
	synctest.Test(t, func(t *testing.T) {
		exp := &stuckExporter{release: make(chan struct{})}
		tel, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics(), telemetry.WithSpanExporter(exp))
		if err != nil {
			t.Fatal(err)
		}
		_, span := tel.Tracer("t").Start(context.Background(), "work")
		span.End()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		err = tel.Shutdown(ctx)
		if d := time.Since(start); d > 6*time.Second {
			t.Errorf("Shutdown with a 5s deadline took %v", d)
		}
		var se *telemetry.ShutdownError
		if !errors.As(err, &se) || se.Signal != "traces" || se.Exporter != "*telemetry_test.stuckExporter" || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Shutdown = %v, want a ShutdownError for traces via *telemetry_test.stuckExporter and the deadline", err)
		}
		close(exp.release)
	})
}

// stuckExporter blocks every export until released, whatever its context.
type stuckExporter struct{ release chan struct{} }

func (e *stuckExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error {
	<-e.release
	return nil
}

func (e *stuckExporter) Shutdown(context.Context) error { return nil }

// TestShutdownReportsFailedFlush: spans that the final export could not
// deliver are an error of Shutdown, even when the exporter failed at once.
func TestShutdownReportsFailedFlush(t *testing.T) {
	clearEnv(t)
	refused := errors.New("collector answered 400 Bad Request")
	tel, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics(),
		telemetry.WithSpanExporter(failingExporter{refused}))
	if err != nil {
		t.Fatal(err)
	}
	_, span := tel.Tracer("t").Start(context.Background(), "work")
	span.End()
	err = tel.Shutdown(t.Context())
	var se *telemetry.ShutdownError
	if !errors.Is(err, refused) || !errors.As(err, &se) || se.Signal != "traces" {
		t.Errorf("Shutdown = %v, want a ShutdownError for traces wrapping %v", err, refused)
	}
}

type failingExporter struct{ err error }

func (e failingExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return e.err }
func (e failingExporter) Shutdown(context.Context) error                             { return nil }
