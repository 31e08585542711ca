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

// Tool finds a binary of Debian's prometheus package. Without it the test
// skips, unless CI is set: CI must never pass by skipping.
func Tool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed; .ci/run installs Debian's prometheus package", name)
		}
		t.Skipf("%s is not installed (apt-get install prometheus)", name)
	}
	return path
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

// Server is a Prometheus run by a test.
type Server struct {
	// URL is the server's base URL on the loopback interface.
	URL string

	stop sync.Once
	kill func()
}

// Stop kills the server and waits until it has exited; the test's cleanup
// does too.
func (s *Server) Stop() { s.stop.Do(s.kill) }

// Start runs Prometheus with cfg and waits until it is ready; the test's
// cleanup kills it, and prints its log when the test failed.
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
		if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), cfg.Rules, 0o644); err != nil {
			t.Fatal(err)
		}
		config += "rule_files:\n  - rules.yaml\n"
	}
	if cfg.Target != "" {
		config += fmt.Sprintf("scrape_configs:\n  - job_name: service\n    static_configs:\n      - targets: [%q]\n", cfg.Target)
	}
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t)))
	var logs bytes.Buffer
	cmd := exec.CommandContext(ctx, bin,
		"--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+cfg.DataDir,
		"--storage.tsdb.retention.time=400d",
		"--web.listen-address="+addr,
		"--log.level=warn")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	s := &Server{URL: "http://" + addr, kill: func() {
		cmd.Process.Kill()
		<-exited
	}}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("prometheus log:\n%s", logs.String())
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
			t.Fatalf("prometheus exited: %s", logs.String())
		case <-ctx.Done():
			t.Fatalf("prometheus not ready: %v", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// freePort returns a loopback port nobody listens on now.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Sample is one element of an instant vector.
type Sample struct {
	Metric map[string]string
	Value  float64
	// At is the time the query was evaluated at.
	At time.Time
}

// Query runs an instant query at the server's present.
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
				Value  [2]any
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Status != "success" {
		t.Fatalf("query %s: %v %s", q, err, body.Error)
	}
	out := make([]Sample, len(body.Data.Result))
	for i, r := range body.Data.Result {
		text, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(text, 64)
		if err != nil {
			t.Fatalf("query %s: value %v", q, r.Value[1])
		}
		ts, _ := r.Value[0].(float64)
		out[i] = Sample{Metric: r.Metric, Value: v, At: time.UnixMilli(int64(ts * 1000))}
	}
	return out
}

// Until polls cond every 250ms until it holds or ctx ends.
func Until(ctx context.Context, cond func() bool) bool {
	for !cond() {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(250 * time.Millisecond):
		}
	}
	return true
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
