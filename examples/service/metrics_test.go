package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ybiyri/runkit/breaker"
	"github.com/ybiyri/runkit/health"
	"github.com/ybiyri/runkit/slo"
	"github.com/ybiyri/runkit/telemetry"
)

// The metrics table in the telemetry package's documentation is what a
// team reads to write its dashboards and alerts: these tests keep it true
// to what /metrics serves, and /metrics clean for promtool.

// documentedMetric is a row of the table.
type documentedMetric struct {
	typ, unit string
	labels    []string // nil with anyLabel: any label may appear
	anyLabel  bool
}

// metricsTable reads the table of the telemetry package's "# Metrics"
// documentation.
func metricsTable(t *testing.T) map[string]documentedMetric {
	t.Helper()
	src, err := os.ReadFile("../../telemetry/doc.go")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(src), "// # Metrics\n")
	if !ok {
		t.Fatal("telemetry/doc.go has no # Metrics section")
	}
	section, _, _ = strings.Cut(section, "\n// #")
	cols := regexp.MustCompile(`\s{2,}`)
	row := regexp.MustCompile(`^//\t[a-z][a-z_]+ `)
	// Label sets the table names in brackets, defined below it; a set may
	// continue on indented lines.
	sets := map[string]string{}
	var last string
	for _, line := range strings.Split(section, "\n") {
		switch {
		case strings.HasPrefix(line, "//\t["):
			key, rest, _ := strings.Cut(strings.TrimPrefix(line, "//\t"), "]")
			last = key + "]"
			sets[last] = rest
		case strings.HasPrefix(line, "//\t ") && last != "":
			sets[last] += ", " + line
		default:
			last = ""
		}
	}
	parens := regexp.MustCompile(`\([^)]*\)`)
	table := map[string]documentedMetric{}
	for _, line := range strings.Split(section, "\n") {
		if !row.MatchString(line) {
			continue
		}
		f := cols.Split(strings.TrimPrefix(line, "//\t"), -1)
		if len(f) < 6 {
			t.Fatalf("table row %q has %d columns, want 6", line, len(f))
		}
		m := documentedMetric{typ: f[1], unit: f[2]}
		labels := f[3]
		if set, ok := sets[labels]; ok {
			labels = set
			m.anyLabel = labels == sets["[resource]"]
		} else if strings.HasPrefix(labels, "[") {
			t.Fatalf("table row %q names label set %s, which the table does not define", line, labels)
		}
		if labels != "-" && !m.anyLabel {
			for _, l := range strings.Split(parens.ReplaceAllString(labels, ""), ",") {
				if l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "//")); l != "" {
					m.labels = append(m.labels, l)
				}
			}
		}
		table[f[0]] = m
	}
	if len(table) == 0 {
		t.Fatal("telemetry/doc.go's metrics table has no rows")
	}
	return table
}

// scrape is a Prometheus text exposition: each family's type and the
// labels its samples carry.
type scrape struct {
	types  map[string]string
	labels map[string]map[string]bool
}

func parseScrape(t *testing.T, body []byte) scrape {
	t.Helper()
	s := scrape{types: map[string]string{}, labels: map[string]map[string]bool{}}
	sample := regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? `)
	label := regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"`)
	for _, line := range strings.Split(string(body), "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			s.types[f[2]] = f[3]
			continue
		}
		m := sample.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		family := m[1]
		if _, ok := s.types[family]; !ok {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if base := strings.TrimSuffix(family, suffix); base != family && s.types[base] == "histogram" {
					family = base
				}
			}
		}
		if s.labels[family] == nil {
			s.labels[family] = map[string]bool{}
		}
		for _, l := range label.FindAllStringSubmatch(m[2], -1) {
			s.labels[family][l[1]] = true
		}
	}
	return s
}

// checkDocumented reports each family of the scrape that the table lacks
// or describes otherwise.
func checkDocumented(t *testing.T, table map[string]documentedMetric, s scrape) {
	t.Helper()
	for family, typ := range s.types {
		doc, ok := table[family]
		if !ok {
			t.Errorf("/metrics serves %s (%s), which the telemetry package's metrics table lacks", family, typ)
			continue
		}
		if doc.typ != typ {
			t.Errorf("%s is a %s; the table says %s", family, typ, doc.typ)
		}
		if doc.unit != "-" && !strings.Contains(family, "_"+doc.unit) {
			t.Errorf("%s: the table's unit %s is not in the name", family, doc.unit)
		}
		if doc.anyLabel {
			continue
		}
		for l := range s.labels[family] {
			if l != "le" && !strings.HasPrefix(l, "otel_scope_") && !slices.Contains(doc.labels, l) {
				t.Errorf("%s has label %s; the table lists %v", family, l, doc.labels)
			}
		}
	}
}

// promtoolCheck runs `promtool check metrics` on an exposition; promtool
// must have nothing to say. Without promtool the test is skipped, except
// in CI, where it fails.
func promtoolCheck(t *testing.T, body []byte) {
	t.Helper()
	tool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("promtool not found (Debian package prometheus): %v", err)
		}
		t.Skip("promtool not found; install Debian's prometheus package")
	}
	cmd := exec.Command(tool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

func get(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMetricsEndpoint scrapes the example service's /metrics after some
// traffic, as Prometheus would.
func TestMetricsEndpoint(t *testing.T) {
	url := startService(t)
	for range 10 {
		get(t, url+"/hello")
		get(t, url+"/quote")
	}
	get(t, url+"/readyz")
	body := get(t, url+"/metrics")
	promtoolCheck(t, body)
	s := parseScrape(t, body)
	for _, family := range []string{"http_server_request_duration_seconds", "http_client_request_duration_seconds",
		"runkit_health_check_status", "runkit_health_check_duration_seconds", "runkit_breaker_calls_total", "go_goroutines"} {
		if s.types[family] == "" {
			t.Errorf("/metrics lacks %s", family)
		}
	}
	checkDocumented(t, metricsTable(t), s)
}

// TestEveryRunkitMetric records every metric of runkit's own packages
// (health, breaker with its state and rejections, breaker/redisbreaker
// against a real redis-server, slo), of the HTTP
// middleware and transport and of the runtime, and checks them against the
// table in both directions.
func TestEveryRunkitMetric(t *testing.T) {
	// go.memory.limit is recorded only under a memory limit.
	prev := debug.SetMemoryLimit(64 << 30)
	defer debug.SetMemoryLimit(prev)
	tel, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals(), telemetry.WithMetricsExporter("prometheus"))
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(context.Background())

	checker := health.New(health.WithMeterProvider(tel.MeterProvider))
	defer checker.Close()
	if err := checker.Register(health.Check{Name: "db", Func: func(context.Context) error { return nil }}); err != nil {
		t.Fatal(err)
	}
	b, err := breaker.New[int](breaker.Config{Name: "payments", ConsecutiveFailures: 2, MeterProvider: tel.MeterProvider})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	down := func(context.Context) (int, error) { return 0, errors.New("down") }
	b.Execute(ctx, func(context.Context) (int, error) { return 1, nil })
	b.Execute(ctx, down)
	b.Execute(ctx, down)
	if _, err := b.Execute(ctx, down); !errors.Is(err, breaker.ErrOpen) {
		t.Fatalf("third call after two failures = %v, want the breaker open", err)
	}

	recordSharedBreakerMetrics(t, tel.MeterProvider)

	tracker, err := slo.NewTracker(slo.Objective{Name: "checkout", Target: 0.999, Window: slo.Rolling(24 * time.Hour)},
		slo.TrackerConfig{MeterProvider: tel.MeterProvider})
	if err != nil {
		t.Fatal(err)
	}
	tracker.Record(true)

	mux := http.NewServeMux()
	mux.Handle("/readyz", checker.Handler())
	mux.Handle("GET /metrics", tel.MetricsHandler())
	srv := httptest.NewServer(tel.Middleware(mux))
	defer srv.Close()
	client := &http.Client{Transport: tel.Transport(nil)}
	resp, err := client.Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	body := get(t, srv.URL+"/metrics")
	promtoolCheck(t, body)
	s := parseScrape(t, body)
	table := metricsTable(t)
	checkDocumented(t, table, s)
	for family := range table {
		if s.types[family] == "" {
			t.Errorf("the table lists %s, which /metrics does not serve", family)
		}
	}
}

// TestBreakerStateFromFirstCall scrapes /metrics after one /quote, which
// cannot trip the quote breaker (MinCalls 10, at most three attempts):
// the breaker exists, so its state is served, closed (0), as the
// telemetry package's table promises, before it ever changes.
func TestBreakerStateFromFirstCall(t *testing.T) {
	url := startService(t)
	get(t, url+"/quote")
	body := get(t, url+"/metrics")
	state := regexp.MustCompile(`(?m)^runkit_breaker_state\{[^}]*breaker="127\.0\.0\.1:[0-9]+"[^}]*\} (\S+)$`).FindSubmatch(body)
	if state == nil {
		t.Fatalf("/metrics after one /quote has no runkit_breaker_state for the quote upstream:\n%s", grepLines(body, "runkit_breaker"))
	}
	if string(state[1]) != "0" {
		t.Errorf("runkit_breaker_state after one /quote = %s, want 0 (closed)", state[1])
	}
}

// grepLines returns the lines of body that contain s.
func grepLines(body []byte, s string) string {
	var out []string
	for _, l := range strings.Split(string(body), "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
