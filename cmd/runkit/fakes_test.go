package main

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	colltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/ybiyri/runkit/slo"
)

// sloserve [-window W] [-observed D] [-route R] VAR TARGET GOOD BAD [NAME]
// serves a real slo.Tracker's Handler at $VAR, or with -route the Handler
// of slo.Routes whose route R ("POST /checkout") has the events: an
// objective NAME (default checkout)
// over W (default 30d) with GOOD and BAD events recorded now, so that a
// burst of bad events fires every tier. The tracker has observed its whole
// window, or with -observed only the last D of it, as after a restart D
// ago. Its clock stands still, one second before the minute the test
// started, so that D is observed exactly.
func cmdSLOServe(ts *testscript.TestScript, neg bool, args []string) {
	window, observed, route := 30*24*time.Hour, time.Duration(0), ""
	for len(args) > 1 && strings.HasPrefix(args[0], "-") {
		if args[0] == "-route" {
			route, args = args[1], args[2:]
			continue
		}
		d, err := slo.ParseDuration(args[1])
		ts.Check(err)
		switch args[0] {
		case "-window":
			window = d
		case "-observed":
			observed = d
		default:
			ts.Fatalf("sloserve: unknown flag %s", args[0])
		}
		args = args[2:]
	}
	if neg || len(args) < 4 || len(args) > 5 {
		ts.Fatalf("usage: sloserve [-window W] [-observed D] [-route R] VAR TARGET GOOD BAD [NAME]")
	}
	target, err := slo.ParseTarget(args[1])
	ts.Check(err)
	good, err := strconv.ParseInt(args[2], 10, 64)
	ts.Check(err)
	bad, err := strconv.ParseInt(args[3], 10, 64)
	ts.Check(err)
	name := "checkout"
	if len(args) == 5 {
		name = args[4]
	}
	if observed == 0 {
		observed = window
	}
	minute := time.Now().Truncate(time.Minute)
	now := minute.Add(-observed)
	if route != "" {
		serveRoutes(ts, args[0], slo.Objective{Name: name, Target: target, Window: slo.Rolling(window)}, route, good, bad, &now, minute.Add(-time.Second))
		return
	}
	tr, err := slo.NewTracker(slo.Objective{Name: name, Target: target, Window: slo.Rolling(window)}, slo.TrackerConfig{Now: func() time.Time { return now }})
	ts.Check(err)
	now = minute.Add(-time.Second)
	ts.Check(tr.RecordN(good, bad))
	mux := http.NewServeMux()
	mux.Handle("/slo", tr.Handler())
	srv := httptest.NewServer(mux)
	ts.Defer(srv.Close)
	ts.Setenv(args[0], srv.URL+"/slo")
}

// httpserve VAR CODE FILE answers every request at $VAR with status CODE
// and FILE's content as JSON.
func cmdHTTPServe(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: httpserve VAR CODE FILE")
	}
	code, err := strconv.Atoi(args[1])
	ts.Check(err)
	body := ts.ReadFile(args[2])
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		io.WriteString(w, body)
	}))
	ts.Defer(srv.Close)
	ts.Setenv(args[0], srv.URL+"/slo")
}

// The credentials the vendor fakes accept.
const (
	grafanaToken   = "g-token"
	honeycombKey   = "h-key"
	datadogKey     = "dd-key"
	webhookToken   = "w-token"
	requestLogName = "vendor requests"
)

// vendorLog records what the vendor fakes were sent, one line a request.
type vendorLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *vendorLog) add(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

// fakeVendor is one vendor's API: it answers 404 to another method or
// path, 401 to another credential, 400 to a body that is not a JSON
// object, and otherwise status (200 when zero).
type fakeVendor struct {
	name, method, path, header, value string
	status                            int
	log                               *vendorLog
}

func (v *fakeVendor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	auth := "ok"
	if r.Header.Get(v.header) != v.value {
		auth = "bad"
	}
	body, _ := io.ReadAll(r.Body)
	var obj map[string]any
	jsonErr := json.Unmarshal(body, &obj)
	v.log.add("%s %s %s auth=%s idempotency-key=%q %s", v.name, r.Method, r.URL.Path, auth, r.Header.Get("Idempotency-Key"), jsonCompact(obj))
	switch {
	case r.Method != v.method || r.URL.Path != v.path:
		http.Error(w, "no such endpoint", http.StatusNotFound)
	case auth != "ok":
		http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
	case r.Header.Get("Content-Type") != "application/json" || jsonErr != nil:
		http.Error(w, `{"error":"bad body"}`, http.StatusBadRequest)
	case v.status != 0:
		http.Error(w, `{"error":"try later"}`, v.status)
	default:
		w.Write([]byte(`{}`))
	}
}

// vendors [NAME=CODE...] starts fakes of Grafana, Honeycomb, Datadog, a
// webhook and an OTLP/HTTP receiver, and points the variables deploy mark
// reads at them (the credentials are left to the script). NAME=CODE makes
// one answer CODE to every good request.
func cmdVendors(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("usage: vendors [NAME=CODE...]")
	}
	status := map[string]int{}
	for _, a := range args {
		name, code, ok := strings.Cut(a, "=")
		n, err := strconv.Atoi(code)
		if !ok || err != nil {
			ts.Fatalf("vendors: bad argument %q", a)
		}
		status[name] = n
	}
	log := ts.Value(requestLogName).(*vendorLog)
	start := func(env string, h http.Handler, suffix string) {
		srv := httptest.NewServer(h)
		ts.Defer(srv.Close)
		ts.Setenv(env, srv.URL+suffix)
	}
	start("GRAFANA_URL", &fakeVendor{"grafana", "POST", "/api/annotations", "Authorization", "Bearer " + grafanaToken, status["grafana"], log}, "")
	start("HONEYCOMB_API_ENDPOINT", &fakeVendor{"honeycomb", "POST", "/1/markers/checkout-prod", "X-Honeycomb-Team", honeycombKey, status["honeycomb"], log}, "")
	start("DD_API_URL", &fakeVendor{"datadog", "POST", "/api/v2/dora/deployment", "DD-API-KEY", datadogKey, status["datadog"], log}, "")
	start("DEPLOY_WEBHOOK_URL", &fakeVendor{"webhook", "POST", "/hooks/deploy", "Authorization", "Bearer " + webhookToken, status["webhook"], log}, "/hooks/deploy")
	start("OTEL_EXPORTER_OTLP_ENDPOINT", &otlpReceiver{log: log, status: status["otel"]}, "")
}

// otlpReceiver decodes OTLP/HTTP trace exports with the official protobuf
// types and logs each span with its attributes, sorted.
type otlpReceiver struct {
	log    *vendorLog
	status int
}

func (o *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = gz
	}
	b, _ := io.ReadAll(body)
	if r.URL.Path != "/v1/traces" {
		o.log.add("otel %s %s", r.Method, r.URL.Path)
		w.WriteHeader(http.StatusOK)
		return
	}
	var req colltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	for _, rs := range req.GetResourceSpans() {
		var res []string
		for _, kv := range rs.GetResource().GetAttributes() {
			if k := kv.GetKey(); k == "service.name" || k == "service.version" || k == "deployment.environment.name" {
				res = append(res, k+"="+kv.GetValue().GetStringValue())
			}
		}
		slices.Sort(res)
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				var attrs []string
				for _, kv := range sp.GetAttributes() {
					attrs = append(attrs, kv.GetKey()+"="+kv.GetValue().GetStringValue())
				}
				slices.Sort(attrs)
				o.log.add("otel %s %s span=%q start=%s end=%s resource=[%s] attrs=[%s]",
					r.Method, r.URL.Path, sp.GetName(),
					time.Unix(0, int64(sp.GetStartTimeUnixNano())).UTC().Format(time.RFC3339),
					time.Unix(0, int64(sp.GetEndTimeUnixNano())).UTC().Format(time.RFC3339),
					strings.Join(res, " "), strings.Join(attrs, " "))
			}
		}
	}
	if o.status != 0 {
		http.Error(w, "try later", o.status)
		return
	}
	out, _ := proto.Marshal(&colltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

// requests writes what the vendor fakes were sent, sorted, to stdout for
// the script to match, and forgets it.
func cmdRequests(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: requests")
	}
	log, ok := ts.Value(requestLogName).(*vendorLog)
	if !ok {
		ts.Fatalf("requests: no request log")
	}
	log.mu.Lock()
	lines := slices.Clone(log.lines)
	log.lines = nil
	log.mu.Unlock()
	slices.Sort(lines)
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	ts.Stdout().Write([]byte(b.String()))
}

// serveRoutes serves the Handler of slo.Routes of o at $v, with good and
// bad events recorded into route, on a clock that stands at *now when the
// Routes are made and at then after.
func serveRoutes(ts *testscript.TestScript, v string, o slo.Objective, route string, good, bad int64, now *time.Time, then time.Time) {
	rs, err := slo.NewRoutes(o, slo.RoutesConfig{Tracker: slo.TrackerConfig{Now: func() time.Time { return *now }}})
	ts.Check(err)
	*now = then
	method, path, _ := strings.Cut(route, " ")
	mux := http.NewServeMux()
	mux.HandleFunc(route, func(w http.ResponseWriter, r *http.Request) {})
	mux.Handle("GET /slo", rs.Handler())
	h := rs.Middleware(slo.MiddlewareConfig{})(mux)
	// The route's tracker is made on its first request, a good one.
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(method, path, nil))
	tr, ok := rs.Tracker(route)
	if !ok || good < 1 {
		ts.Fatalf("sloserve -route %q: no tracker, or no good event to make it with", route)
	}
	ts.Check(tr.RecordN(good-1, bad))
	srv := httptest.NewServer(h)
	ts.Defer(srv.Close)
	ts.Setenv(v, srv.URL+"/slo")
}
