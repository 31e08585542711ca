package promrules_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ybiyri/runkit/internal/promtest"
	"github.com/ybiyri/runkit/slo"
	"github.com/ybiyri/runkit/slo/promrules"
)

// BenchmarkRuleEvaluation is the cost harness of the rules in a real
// Prometheus: 30 days of http_requests_total of 20 services, each with 2
// instances and codes 200 and 500, one sample a minute, backfilled with
// promtool tsdb create-blocks-from openmetrics, with the events each Step
// recorded over that history; both the rules of Config.RawWindows (every
// window read from the raw counters, "old") and the default ones ("new")
// loaded for the same series, evaluated every 30s. Each iteration waits
// for two cycles and reads prometheus_rule_group_last_duration_seconds
// after each; it reports the mean milliseconds per 30s cycle, summed over
// the 20 SLOs' groups, a group of recorded events counting a tenth (it
// runs every 5m). Run it with
//
//	go test -run '^$' -bench RuleEvaluation -benchtime 1x ./slo/promrules/
//
// (more iterations than one set it all up twice).
func BenchmarkRuleEvaluation(b *testing.B) {
	const services, days = 20, 30
	ctx := context.Background()
	end := time.Now().Add(-time.Minute).Truncate(time.Minute)
	start := end.Add(-days * 24 * time.Hour)

	// The history, written as it is made.
	in := filepath.Join(b.TempDir(), "series.om")
	f, err := os.Create(in)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "# TYPE http_requests_total counter")
	stepBad, stepTotal := map[int]map[int64]float64{}, map[int]map[int64]float64{}
	for svc := range services {
		stepBad[svc], stepTotal[svc] = map[int64]float64{}, map[int64]float64{}
		for _, inst := range []string{"a", "b"} {
			for _, code := range []int{200, 500} {
				v := 1000.0
				for at := start; !at.After(end); at = at.Add(time.Minute) {
					n := 600.0
					if code == 500 {
						n = 0.6 * float64(1+svc%3) // 0.1% to 0.3% bad
					}
					if at != start {
						v += n
						stepEnd := at.Add(promrules.Step - time.Nanosecond).Truncate(promrules.Step)
						if stepEnd.After(end) {
							stepEnd = end
						}
						if code == 500 {
							stepBad[svc][stepEnd.Unix()] += n
						}
						stepTotal[svc][stepEnd.Unix()] += n
					}
					fmt.Fprintf(w, "http_requests_total{code=\"%d\",instance=%q,job=\"svc%02d\"} %s %d\n", code, inst, svc, strconv.FormatFloat(v, 'f', -1, 64), at.Unix())
				}
			}
		}
	}
	// The events each Step, as the rules of the new SLOs record them.
	step := promrules.Duration(promrules.Step)
	for _, name := range []string{promrules.BadIncrease + step, promrules.TotalIncrease + step} {
		fmt.Fprintf(w, "# TYPE %s gauge\n", name)
		for svc := range services {
			m := stepTotal[svc]
			if strings.HasPrefix(name, promrules.BadIncrease) {
				m = stepBad[svc]
			}
			for at := start.Add(promrules.Step).Truncate(promrules.Step); !at.After(end); at = at.Add(promrules.Step) {
				fmt.Fprintf(w, "%s{slo=\"new-%02d\"} %s %d\n", name, svc, strconv.FormatFloat(m[at.Unix()], 'f', -1, 64), at.Unix())
			}
		}
	}
	fmt.Fprintln(w, "# EOF")
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	data := promtest.BackfillFile(b, in)
	os.Remove(in)

	var rules bytes.Buffer
	var old, cur []promrules.SLO
	for svc := range services {
		for _, list := range []*[]promrules.SLO{&old, &cur} {
			name := fmt.Sprintf("old-%02d", svc)
			if list == &cur {
				name = fmt.Sprintf("new-%02d", svc)
			}
			*list = append(*list, promrules.SLO{
				Objective: slo.Objective{Name: name, Target: 0.999, Window: slo.Rolling(30 * 24 * time.Hour)},
				Source:    promrules.Ratio{Bad: fmt.Sprintf(`http_requests_total{job="svc%02d",code="500"}`, svc), Total: fmt.Sprintf(`http_requests_total{job="svc%02d"}`, svc)},
			})
		}
	}
	if err := promrules.Write(&rules, promrules.Config{RawWindows: true}, old...); err != nil {
		b.Fatal(err)
	}
	var curRules bytes.Buffer
	if err := promrules.Write(&curRules, promrules.Config{}, cur...); err != nil {
		b.Fatal(err)
	}
	// One file: the groups of both, after the first file's "groups:".
	all := rules.String() + strings.SplitN(curRules.String(), "groups:\n", 2)[1]
	p := promtest.Start(b, ctx, promtest.Config{Rules: []byte(all), DataDir: data, EvaluationInterval: 30 * time.Second})

	// Until every group has run once: the groups of recorded events run
	// every 5m.
	var d map[string]float64
	for {
		d = groupDurations(b, p.URL)
		if len(d) == 3*services && !hasZero(d) {
			break
		}
		time.Sleep(5 * time.Second)
	}
	var oldSum, newSum float64
	n := 0
	b.ResetTimer()
	for range 2 * b.N {
		time.Sleep(30 * time.Second) // a cycle
		d = groupDurations(b, p.URL)
		for g, v := range d {
			switch {
			case strings.HasPrefix(g, "runkit-slo-old-"):
				oldSum += v
			case strings.HasPrefix(g, "runkit-slo-new-"):
				newSum += v
			case strings.HasPrefix(g, "runkit-step-new-"):
				newSum += v * float64(30*time.Second) / float64(promrules.Step)
			}
		}
		n++
	}
	b.ReportMetric(1000*oldSum/float64(n), "old-ms/cycle")
	b.ReportMetric(1000*newSum/float64(n), "new-ms/cycle")
	var steps float64
	for g, v := range d {
		if strings.HasPrefix(g, "runkit-step-new-") {
			steps += v
		}
	}
	b.ReportMetric(1000*steps, "step-groups-ms/5m")
}

var groupDuration = regexp.MustCompile(`^prometheus_rule_group_last_duration_seconds\{rule_group="[^;"]*;([^"]+)"\} (\S+)$`)

// groupDurations reads each rule group's last evaluation time, in
// seconds, from Prometheus's own metrics.
func groupDurations(b *testing.B, url string) map[string]float64 {
	b.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if m := groupDuration.FindStringSubmatch(sc.Text()); m != nil {
			v, _ := strconv.ParseFloat(m[2], 64)
			out[m[1]] = v
		}
	}
	return out
}

func hasZero(m map[string]float64) bool {
	for _, v := range m {
		if v == 0 {
			return true
		}
	}
	return false
}
