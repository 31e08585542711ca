package promtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
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

	stop sync.Once
	kill func()
}

// Stop kills the server and waits until it has exited; the test's cleanup
// does too.
func (s *Server) Stop() { s.stop.Do(s.kill) }

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
	s := &Server{URL: "http://" + addr, Dir: dir, kill: func() {
		cmd.Process.Kill()
		<-exited
	}}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("%s log:\n%s", name, logs.String())
		}
	})
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

// Config is what a Server runs with.
type Config struct {
	// Rules is the rule file; nil loads none.
	Rules []byte
	// Target, a host:port, is scraped every second; empty scrapes nothing.
	Target string
	// DataDir is the TSDB directory, such as one Backfill wrote; empty
	// means a new one. Its data is kept for 400 days.
	DataDir string
	// EvaluationInterval is how often rules run. Zero means 1s.
	EvaluationInterval time.Duration
}

// Start runs Prometheus with cfg, its configuration written from cfg,
// and waits until it is ready; the test's cleanup kills it, and prints its
// log when the test failed.
func Start(t testing.TB, ctx context.Context, cfg Config) *Server {
	t.Helper()
	bin := Tool(t, "prometheus")
	dir := t.TempDir()
	if cfg.DataDir == "" {
		cfg.DataDir = filepath.Join(dir, "data")
	}
	if cfg.EvaluationInterval == 0 {
		cfg.EvaluationInterval = time.Second
	}
	config := fmt.Sprintf("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: %ds\n", int(cfg.EvaluationInterval/time.Second))
	if cfg.Rules != nil {
		write(t, dir, "rules.yaml", cfg.Rules)
		config += "rule_files:\n  - rules.yaml\n"
	}
	if cfg.Target != "" {
		config += fmt.Sprintf("scrape_configs:\n  - job_name: service\n    static_configs:\n      - targets: [%q]\n", cfg.Target)
	}
	write(t, dir, "prometheus.yml", []byte(config))
	addr := FreeAddr(t)
	return start(t, ctx, "prometheus", bin, addr, dir,
		"--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+cfg.DataDir,
		"--storage.tsdb.retention.time=400d",
		"--web.listen-address="+addr,
		"--log.level=warn")
}

// Backfill writes openMetrics, an OpenMetrics text ending in "# EOF"
// with timestamps in seconds, into a new TSDB directory with `promtool
// tsdb create-blocks-from openmetrics`, in blocks of up to 31 days, and
// returns the directory, for Config.DataDir.
func Backfill(t testing.TB, openMetrics []byte) string {
	t.Helper()
	in := filepath.Join(t.TempDir(), "series.om")
	if err := os.WriteFile(in, openMetrics, 0o644); err != nil {
		t.Fatal(err)
	}
	return BackfillFile(t, in)
}

// BackfillFile is Backfill of a file of OpenMetrics text, for histories
// too large to hold in memory.
func BackfillFile(t testing.TB, in string) string {
	t.Helper()
	promtool := Tool(t, "promtool")
	data := filepath.Join(t.TempDir(), "data")
	cmd := exec.Command(promtool, "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=744h", in, data)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool tsdb create-blocks-from openmetrics: %v\n%s", err, out)
	}
	return data
}

// Counter is one counter series to backfill, or a gauge: its samples, at
// times in increasing order.
type Counter struct {
	// Name is the metric's name, without _total.
	Name string
	// Gauge writes the series as a gauge, named Name.
	Gauge  bool
	Labels map[string]string
	Times  []time.Time
	Values []float64
}

// OpenMetrics writes counters as OpenMetrics text for Backfill.
func OpenMetrics(counters ...Counter) []byte {
	var b bytes.Buffer
	var names []string
	for _, c := range counters {
		if !slices.Contains(names, c.Name) {
			names = append(names, c.Name)
		}
	}
	// A family's samples follow its TYPE line.
	for _, name := range names {
		typ, suffix := "counter", "_total"
		for _, c := range counters {
			if c.Name == name && c.Gauge {
				typ, suffix = "gauge", ""
			}
		}
		fmt.Fprintf(&b, "# TYPE %s %s\n", name, typ)
		for _, c := range counters {
			if c.Name != name {
				continue
			}
			keys := make([]string, 0, len(c.Labels))
			for k := range c.Labels {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			var ls []string
			for _, k := range keys {
				ls = append(ls, k+"="+strconv.Quote(c.Labels[k]))
			}
			labels := "{" + strings.Join(ls, ",") + "}"
			for i, at := range c.Times {
				fmt.Fprintf(&b, "%s%s%s %s %d\n", name, suffix, labels, strconv.FormatFloat(c.Values[i], 'f', -1, 64), at.Unix())
			}
		}
	}
	b.WriteString("# EOF\n")
	return b.Bytes()
}
