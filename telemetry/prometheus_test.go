package telemetry_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/ybiyri/runkit/telemetry"
)

// promtool returns the path of Prometheus's promtool. Without it the test
// is skipped, except in CI, where it fails.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("promtool not found (Debian package prometheus): %v", err)
		}
		t.Skip("promtool not found; install Debian's prometheus package")
	}
	return p
}

// TestMetricsPassPromtool scrapes what Setup serves when the exporter is
// prometheus: runtime metrics and otelhttp's server and client metrics,
// recorded through a real server and client. promtool must have nothing
// to say about it.
func TestMetricsPassPromtool(t *testing.T) {
	tool := promtool(t)
	clearEnv(t)
	tel, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals(), telemetry.WithMetricsExporter("prometheus"))
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(t.Context())
	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte("ok"))
	})
	mux.Handle("GET /metrics", tel.MetricsHandler())
	srv := httptest.NewServer(tel.Middleware(mux))
	defer srv.Close()
	client := &http.Client{Transport: tel.Transport(nil)}
	for range 3 {
		resp, err := client.Post(srv.URL+"/orders/7", "text/plain", strings.NewReader("one order"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, family := range []string{"http_server_request_duration_seconds", "http_client_request_duration_seconds", "go_memory_used_bytes"} {
		if !bytes.Contains(body, []byte("# TYPE "+family+" ")) {
			t.Errorf("/metrics lacks %s", family)
		}
	}
	cmd := exec.Command(tool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	out, err := cmd.CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// TestMetricsHandlerSaysHowToTurnItOn scrapes /metrics, wired as the
// README wires it, from a service whose metrics are not exported to
// Prometheus: rather than a bare 404, the answer says what to set.
func TestMetricsHandlerSaysHowToTurnItOn(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []telemetry.Option
		want []string
	}{
		{"nothing configured", nil, []string{
			"OTEL_METRICS_EXPORTER=prometheus", `telemetry.WithMetricsExporter("prometheus")`}},
		{"console only", []telemetry.Option{telemetry.WithMetricsExporter("console"), telemetry.WithConsoleWriter(io.Discard)}, []string{
			"console", "OTEL_METRICS_EXPORTER=console,prometheus", `telemetry.WithMetricsExporter("console", "prometheus")`}},
		{"disabled", []telemetry.Option{telemetry.WithDisabled(true)}, []string{
			"OTEL_SDK_DISABLED", "OTEL_METRICS_EXPORTER=prometheus"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			tel, err := telemetry.Setup(t.Context(), append([]telemetry.Option{telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics()}, tc.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			defer tel.Shutdown(t.Context())
			mux := http.NewServeMux()
			mux.Handle("GET /metrics", tel.MetricsHandler())
			srv := httptest.NewServer(tel.Middleware(mux))
			defer srv.Close()
			resp, err := srv.Client().Get(srv.URL + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET /metrics = %d, want 404", resp.StatusCode)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("Content-Type = %q, want text/plain", ct)
			}
			if lines := strings.Count(string(body), "\n"); lines != 1 || !strings.HasSuffix(string(body), "\n") {
				t.Errorf("body %q is not one line", body)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(body), w) {
					t.Errorf("body %q does not say %s", body, w)
				}
			}
		})
	}
}
