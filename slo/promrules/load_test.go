package promrules_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ybiyri/runkit/internal/promtest"
	"github.com/ybiyri/runkit/slo"
	"github.com/ybiyri/runkit/slo/promrules"
)

// fleetTargets are the targets of fleet's objectives, in turn.
var fleetTargets = []float64{0.99, 0.995, 0.999, 0.9995, 0.9999}

// fleet returns n objectives as a fleet writes them: targets from 99% to
// 99.99%, 30-day windows, the default policy, each reading runkit's own
// event counter.
func fleet(n int) []promrules.SLO {
	slos := make([]promrules.SLO, n)
	for i := range slos {
		slos[i] = promrules.SLO{Objective: slo.Objective{Name: fmt.Sprintf("service-%04d", i), Target: fleetTargets[i%len(fleetTargets)], Window: slo.Rolling(30 * day)}}
	}
	return slos
}

// compareRulesEnv names more rule files, separated by the system's path
// list separator, that BenchmarkCheckAndLoad1000 times beside its own.
const compareRulesEnv = "PROMRULES_COMPARE"

// BenchmarkCheckAndLoad1000 times what 1,000 objectives' rules cost
// before they are evaluated: `promtool check rules` on the file, and a
// Prometheus server started with it until it is ready (it is ready once
// its rules are loaded), less the same server started with no rules. Each
// iteration runs each file once, one after the other, each first in turn,
// and the benchmark
// reports the median of the iterations, in seconds: the time taken
// (check-s, load-s) and the CPU time the process spent (check-cpu-s, and
// load-cpu-s from Prometheus's process_cpu_seconds_total), which other
// work on the machine disturbs less. PROMRULES_COMPARE
// names more rule files (such as another generator's, for the same
// objectives), timed the same way in the same iterations and reported as
// other1-check-s, other1-load-s and so on. Run it with
//
//	PROMRULES_COMPARE=/path/to/other.yaml go test -run '^$' -bench CheckAndLoad1000 -benchtime 5x ./slo/promrules/
func BenchmarkCheckAndLoad1000(b *testing.B) {
	promtool := promtest.Tool(b, "promtool")
	promtest.Tool(b, "prometheus")
	ctx := context.Background()
	var buf bytes.Buffer
	if err := promrules.Write(&buf, promrules.Config{}, fleet(1000)...); err != nil {
		b.Fatal(err)
	}
	files := map[string][]byte{"runkit": buf.Bytes()}
	names := []string{"runkit"}
	if env := os.Getenv(compareRulesEnv); env != "" {
		for i, path := range filepath.SplitList(env) {
			data, err := os.ReadFile(path)
			if err != nil {
				b.Fatalf("%s: %v", compareRulesEnv, err)
			}
			name := fmt.Sprintf("other%d", i+1)
			b.Logf("%s is %s", name, path)
			files[name] = data
			names = append(names, name)
		}
	}
	dir := b.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name+".yaml"), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	// Each returns the time taken and the CPU time the process spent,
	// which other work on the machine disturbs less.
	check := func(name string) (wall, cpu time.Duration) {
		start := time.Now()
		cmd := exec.Command(promtool, "check", "rules", name+".yaml")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("promtool check rules %s: %v\n%s", name, err, out)
		}
		return time.Since(start), cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	ready := func(rules []byte) (wall, cpu time.Duration) {
		config := "global:\n  evaluation_interval: 1m\n"
		files := map[string][]byte{}
		if rules != nil {
			config += "rule_files:\n  - rules.yaml\n"
			files["rules.yaml"] = rules
		}
		start := time.Now()
		p := promtest.StartPrometheus(b, ctx, config, files)
		wall = time.Since(start)
		defer p.Stop()
		return wall, processCPU(b, p.URL)
	}
	type times struct{ wall, cpu []time.Duration }
	checks, loads := map[string]*times{}, map[string]*times{}
	for _, name := range names {
		checks[name], loads[name] = &times{}, &times{}
	}
	for i := 0; b.Loop(); i++ {
		emptyWall, emptyCPU := ready(nil)
		// Each file in turn goes first, so that none always runs after
		// the same one.
		for j := range names {
			name := names[(i+j)%len(names)]
			wall, cpu := check(name)
			checks[name].wall, checks[name].cpu = append(checks[name].wall, wall), append(checks[name].cpu, cpu)
			wall, cpu = ready(files[name])
			loads[name].wall, loads[name].cpu = append(loads[name].wall, wall-emptyWall), append(loads[name].cpu, cpu-emptyCPU)
		}
	}
	for _, name := range names {
		b.ReportMetric(median(checks[name].wall).Seconds(), name+"-check-s")
		b.ReportMetric(median(checks[name].cpu).Seconds(), name+"-check-cpu-s")
		b.ReportMetric(median(loads[name].wall).Seconds(), name+"-load-s")
		b.ReportMetric(median(loads[name].cpu).Seconds(), name+"-load-cpu-s")
		b.Logf("%s: check %v (CPU %v), load %v (CPU %v)", name, checks[name].wall, checks[name].cpu, loads[name].wall, loads[name].cpu)
	}
}

// processCPU reads the CPU time Prometheus has spent, from its own
// metrics.
func processCPU(b *testing.B, url string) time.Duration {
	b.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "process_cpu_seconds_total "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				b.Fatalf("process_cpu_seconds_total %q: %v", v, err)
			}
			return time.Duration(f * float64(time.Second))
		}
	}
	b.Fatalf("no process_cpu_seconds_total at %s/metrics", url)
	return 0
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
