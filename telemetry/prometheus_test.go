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
