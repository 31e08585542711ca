package promtest

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Tool returns the path of the named binary, skipping t when it is
// missing, or failing it when CI is set.
func Tool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not found under CI: .ci/run installs it: %v", name, err)
		}
		t.Skipf("%s not found: %v", name, err)
	}
	return path
}

// FreeAddr returns a loopback host:port nobody listens on now.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Server is a Prometheus or an Alertmanager run by a test.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:PORT.
	URL string
	// Dir holds its configuration and data.
	Dir string
}

// logBuffer is a bytes.Buffer written by a child process and read by the
// test.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// start runs bin with args, waits until URL/-/ready answers 200, and
// kills it at cleanup, logging its output when the test failed.
func start(t testing.TB, ctx context.Context, name, bin, addr, dir string, args ...string) *Server {
	t.Helper()
	var logs logBuffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("%s log:\n%s", name, logs.String())
		}
	})
	s := &Server{URL: "http://" + addr, Dir: dir}
	for {
		resp, err := http.Get(s.URL + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case <-exited:
			t.Fatalf("%s exited: %s", name, logs.String())
		case <-ctx.Done():
			t.Fatalf("%s not ready: %v", name, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// StartPrometheus runs Prometheus with config as prometheus.yml and each
// of files (name → content) beside it, such as the rules the config
// names, on a free loopback port.
func StartPrometheus(t testing.TB, ctx context.Context, config string, files map[string][]byte) *Server {
	t.Helper()
	bin := Tool(t, "prometheus")
	dir := t.TempDir()
	write(t, dir, "prometheus.yml", []byte(config))
	for name, b := range files {
		write(t, dir, name, b)
	}
	addr := FreeAddr(t)
	return start(t, ctx, "prometheus", bin, addr, dir,
		"--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--log.level=warn")
}

// StartAlertmanager runs Alertmanager with config as alertmanager.yml,
// on a free loopback port, without clustering.
func StartAlertmanager(t testing.TB, ctx context.Context, config string) *Server {
	t.Helper()
	bin := Tool(t, "prometheus-alertmanager")
	dir := t.TempDir()
	write(t, dir, "alertmanager.yml", []byte(config))
	addr := FreeAddr(t)
	return start(t, ctx, "alertmanager", bin, addr, dir,
		"--config.file="+filepath.Join(dir, "alertmanager.yml"),
		"--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--cluster.listen-address=",
		"--log.level=warn")
}

func write(t testing.TB, dir, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Sample is one sample of a series.
type Sample struct {
	Metric map[string]string
	Time   time.Time
	Value  float64
}

// Query runs a PromQL query at the server's now: an instant vector gives
// one sample a series, a range vector every sample of each, in order.
func (s *Server) Query(t testing.TB, q string) []Sample {
	t.Helper()
	resp, err := http.Get(s.URL + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string
		Error  string
		Data   struct {
			Result []struct {
				Metric map[string]string
				Value  []any
				Values [][]any
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Status != "success" {
		t.Fatalf("query %s: %v %s", q, err, body.Error)
	}
	var out []Sample
	for _, r := range body.Data.Result {
		values := r.Values
		if r.Value != nil {
			values = [][]any{r.Value}
		}
		for _, v := range values {
			if len(v) != 2 {
				t.Fatalf("query %s: sample %v", q, v)
			}
			ts, _ := v[0].(float64)
			str, _ := v[1].(string)
			f, err := strconv.ParseFloat(str, 64)
			if err != nil {
				t.Fatalf("query %s: value %v", q, v[1])
			}
			sec := int64(ts)
			out = append(out, Sample{Metric: r.Metric, Time: time.Unix(sec, int64((ts-float64(sec))*1e9)).Round(time.Millisecond), Value: f})
		}
	}
	return out
}

// Until polls cond every 100ms until it holds or ctx ends, and reports
// whether it held.
func Until(ctx context.Context, cond func() bool) bool {
	for !cond() {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(100 * time.Millisecond):
		}
	}
	return true
}
