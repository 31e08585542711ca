package main

//lint:file-ignore SA1019 The dashboard is the classic JSON model, which the SDK's deprecated dashboard package reads (see dashboard.go).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/ybiyri/runkit/internal/promtest"
	"github.com/ybiyri/runkit/slo"
	"github.com/ybiyri/runkit/slo/promrules"
)

// dashboardSLOs are two SLOs over the events runkit's trackers export,
// as promtest.StartFleet backfills them: one over 30 days with every
// default tier, one over 7 days, which leaves the ticket tiers out.
const dashboardSLOs = `apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout
spec:
  service: shop
  indicator:
    metadata:
      name: checkout-errors
    spec:
      ratioMetric:
        counter: true
        bad:
          metricSource:
            type: Prometheus
            spec:
              query: runkit_slo_events_total{slo="checkout",outcome="bad"}
        total:
          metricSource:
            type: Prometheus
            spec:
              query: runkit_slo_events_total{slo="checkout"}
  timeWindow:
    - duration: 30d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 0.999
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: search
spec:
  indicator:
    metadata:
      name: search-errors
    spec:
      ratioMetric:
        counter: true
        bad:
          metricSource:
            type: Prometheus
            spec:
              query: runkit_slo_events_total{slo="search",outcome="bad"}
        total:
          metricSource:
            type: Prometheus
            spec:
              query: runkit_slo_events_total{slo="search"}
  timeWindow:
    - duration: 7d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 0.99
`

// dashboardJSON is the part of Grafana's dashboard model the tests read.
type dashboardJSON struct {
	SchemaVersion int
	UID           string
	Templating    struct {
		List []struct {
			Type, Name string
			Query      any
			Datasource *struct{ Type, UID string }
			Multi      bool
			IncludeAll bool
		}
	}
	Panels []panelJSON
}

type panelJSON struct {
	ID         int
	Type       string
	Title      string
	GridPos    *struct{ X, Y, W, H int }
	Datasource *struct{ Type, UID string }
	Targets    []struct {
		RefID      string
		Expr       string
		Instant    bool
		Datasource *struct{ Type, UID string }
	}
	FieldConfig struct {
		Defaults struct {
			Thresholds struct {
				Steps []struct {
					Value *float64
					Color string
				}
			}
		}
	}
	Panels []panelJSON
}

// grafanaVars are the values Grafana gives its own variables for the
// dashboard's range (7 days) and a scrape interval of 1s.
var grafanaVars = map[string]string{
	"__rate_interval": "1m",
	"__interval":      "5m",
	"__range":         "7d",
	"__range_s":       "604800",
}

var varRef = regexp.MustCompile(`\$\{(\w+)(?::(\w+))?\}|\$(\w+)|\[\[(\w+)\]\]`)

// interpolate fills in a panel's query as Grafana's Prometheus data
// source does: the multi-value slo variable as a regular expression of
// its chosen values, each escaped, the others from grafanaVars.
func interpolate(t *testing.T, expr string, chosen []string) string {
	t.Helper()
	return varRef.ReplaceAllStringFunc(expr, func(ref string) string {
		m := varRef.FindStringSubmatch(ref)
		name := m[1] + m[3] + m[4]
		if name == sloVar {
			escaped := make([]string, len(chosen))
			for i, c := range chosen {
				// Escaped for a regular expression inside a PromQL string.
				escaped[i] = regexp.MustCompile(`[$^*{}\[\]'+?.()|\\]`).ReplaceAllString(c, `\\$0`)
			}
			if len(escaped) == 1 {
				return escaped[0]
			}
			return "(" + strings.Join(escaped, "|") + ")"
		}
		v, ok := grafanaVars[name]
		if !ok {
			t.Errorf("%s: unknown variable %s", expr, ref)
		}
		return v
	})
}

// queryRange runs q as a range query over the last d, a point each step,
// and returns how many points it holds. The range ends now, to the
// millisecond: an alert that fired a moment ago is in it.
func queryRange(t *testing.T, server, q string, d, step time.Duration) int {
	t.Helper()
	end := time.Now()
	unix := func(at time.Time) string { return strconv.FormatFloat(float64(at.UnixMilli())/1000, 'f', 3, 64) }
	v := url.Values{"query": {q}, "start": {unix(end.Add(-d))}, "end": {unix(end)}, "step": {fmt.Sprint(int(step.Seconds()))}}
	resp, err := http.Get(server + "/api/v1/query_range?" + v.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string
		Error  string
		Data   struct{ Result []struct{ Values [][]any } }
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Status != "success" {
		t.Fatalf("query_range %s: %v %s", q, err, body.Error)
	}
	n := 0
	for _, r := range body.Data.Result {
		n += len(r.Values)
	}
	return n
}

// labelValues runs Grafana's label_values(SELECTOR, LABEL) on the server.
func labelValues(t *testing.T, server, query string) []string {
	t.Helper()
	m := regexp.MustCompile(`^label_values\((.+), *(\w+)\)$`).FindStringSubmatch(query)
	if m == nil {
		t.Fatalf("variable query %q is not label_values(SELECTOR, LABEL)", query)
	}
	resp, err := http.Get(server + "/api/v1/label/" + m[2] + "/values?match[]=" + url.QueryEscape(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string
		Data   []string
	}
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &body); err != nil || body.Status != "success" {
		t.Fatalf("label_values %q: %v %s", query, err, b)
	}
	return body.Data
}

// Every query of the dashboard returns data from a real Prometheus that
// runs the rules slo rules writes for the same file, over 29 days of
// backfilled events ending in a burn that fires each SLO's page; the slo
// variable chooses what shows, and the thresholds drawn are the alerts'.
func TestDashboardQueries(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prometheus")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	dir := t.TempDir()
	file := filepath.Join(dir, "slos.yaml")
	if err := os.WriteFile(file, []byte(dashboardSLOs), 0o644); err != nil {
		t.Fatal(err)
	}

	// The rules Prometheus runs are those slo rules writes for the file.
	in, err := readInput([]string{file}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	rules, problems := ruleSLOs(in, nil, promrules.Config{})
	if len(problems) > 0 || len(rules) != 2 {
		t.Fatalf("ruleSLOs: %d SLOs, %v", len(rules), problems)
	}
	var want bytes.Buffer
	if err := promrules.Write(&want, promrules.Config{}, rules...); err != nil {
		t.Fatal(err)
	}
	written, stderr, code := runkitExit(t, nil, "slo", "rules", file)
	if code != 0 || written != want.String() {
		t.Fatalf("slo rules: exit %d, the rules StartFleet loads: %v\n%s", code, written == want.String(), stderr)
	}
	fleet := promtest.StartFleet(t, ctx, promrules.Config{},
		promtest.FleetSLO{SLO: rules[0], ErrorRate: []float64{0.0002, 0.0006}, Spike: 0.3, SpikeFor: 90 * time.Minute},
		promtest.FleetSLO{SLO: rules[1], ErrorRate: []float64{0.002}, Spike: 0.5, SpikeFor: 90 * time.Minute},
	)
	names := []string{"checkout", "search"}
	for _, name := range names {
		if !promtest.Until(ctx, func() bool {
			return len(fleet.Query(t, `ALERTS{slo="`+name+`",severity="page",alertstate="firing"}`)) > 0
		}) {
			t.Fatalf("the page of %s never fired", name)
		}
	}

	out, stderr, code := runkitExit(t, nil, "slo", "dashboard", file)
	if code != 0 {
		t.Fatalf("slo dashboard: exit %d\n%s", code, stderr)
	}
	var d dashboardJSON
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}

	// The variables: the data source, and the SLOs from runkit:slo_info.
	if len(d.Templating.List) != 2 {
		t.Fatalf("%d variables, want datasource and slo", len(d.Templating.List))
	}
	if v := d.Templating.List[0]; v.Type != "datasource" || v.Name != datasourceVar || v.Query != "prometheus" {
		t.Errorf("first variable %+v, want a prometheus datasource variable named %s", v, datasourceVar)
	}
	v := d.Templating.List[1]
	if v.Type != "query" || v.Name != sloVar || !v.Multi || !v.IncludeAll || v.Datasource == nil || v.Datasource.UID != "${datasource}" {
		t.Errorf("second variable %+v, want a multi-value query variable slo on ${datasource}", v)
	}
	q, _ := v.Query.(string)
	if !strings.Contains(q, promrules.Info) {
		t.Errorf("slo variable query %q does not read %s", q, promrules.Info)
	}
	if got := labelValues(t, fleet.URL, q); !slices.Equal(got, names) {
		t.Errorf("slo variable: values %v, want %v", got, names)
	}

	// The panels: each SLO's row, then its panels, each on the grid, with
	// its own id and the datasource variable.
	rowOf := map[int]string{}
	var row string
	ids := map[int]bool{}
	type cell struct{ x, y int }
	taken := map[cell]int{}
	rows := 0
	for _, p := range d.Panels {
		if p.ID == 0 || ids[p.ID] {
			t.Errorf("panel %q: id %d is zero or taken", p.Title, p.ID)
		}
		ids[p.ID] = true
		g := p.GridPos
		if g == nil || g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
			t.Errorf("panel %q: gridPos %+v", p.Title, g)
			continue
		}
		for x := g.X; x < g.X+g.W; x++ {
			for y := g.Y; y < g.Y+g.H; y++ {
				if other, ok := taken[cell{x, y}]; ok {
					t.Errorf("panel %d %q overlaps panel %d at %d,%d", p.ID, p.Title, other, x, y)
				}
				taken[cell{x, y}] = p.ID
			}
		}
		if p.Type == "row" {
			rows++
			if len(p.Panels) != 0 {
				t.Errorf("row %q holds panels: an open row's panels follow it", p.Title)
			}
			row, _, _ = strings.Cut(p.Title, ":")
			continue
		}
		rowOf[p.ID] = row
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
			t.Errorf("panel %q: datasource %+v, want uid ${datasource}", p.Title, p.Datasource)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			if tg.Datasource == nil || tg.Datasource.UID != "${datasource}" {
				t.Errorf("panel %q query %s: datasource %+v, want uid ${datasource}", p.Title, tg.RefID, tg.Datasource)
			}
		}
	}
	if d.SchemaVersion < 39 || d.UID != "runkit-slos" || rows != 2 {
		t.Errorf("schemaVersion %d, uid %q, %d rows; want 39 or more, runkit-slos, a row per SLO", d.SchemaVersion, d.UID, rows)
	}

	// Each SLO's burn-rate panels: one per tier of the rules, the tier's
	// threshold drawn.
	objectives := map[string]slo.Objective{}
	for _, r := range rules {
		objectives[r.Objective.Name] = r.Objective
		policy, _ := slo.DefaultPolicyFor(r.Objective)
		for _, tier := range policy.Tiers {
			title := fmt.Sprintf("Burn rate, %s %s/%s", tier.Severity, promrules.Duration(tier.Long), promrules.Duration(tier.ShortWindow()))
			i := slices.IndexFunc(d.Panels, func(p panelJSON) bool { return p.Title == title && rowOf[p.ID] == r.Objective.Name })
			if i < 0 {
				t.Errorf("%s: no panel %q", r.Objective.Name, title)
				continue
			}
			steps := d.Panels[i].FieldConfig.Defaults.Thresholds.Steps
			if len(steps) != 2 || steps[1].Value == nil || *steps[1].Value != tier.Threshold(r.Objective.Window.Rolling) {
				t.Errorf("%s %q: thresholds %+v, want the tier's %v", r.Objective.Name, title, steps, tier.Threshold(r.Objective.Window.Rolling))
			}
		}
		burns := 0
		for _, p := range d.Panels {
			if rowOf[p.ID] == r.Objective.Name && strings.HasPrefix(p.Title, "Burn rate") {
				burns++
			}
		}
		if burns != len(policy.Tiers) {
			t.Errorf("%s: %d burn-rate panels, want %d, one per tier", r.Objective.Name, burns, len(policy.Tiers))
		}
	}

	// Every query returns data while its SLO is chosen, alone or with
	// all, and none while only the other is: as an instant query, and a
	// graph's as the range query Grafana runs over the dashboard's 7 days.
	for _, p := range d.Panels {
		name := rowOf[p.ID]
		if name == "" {
			continue
		}
		other := names[0]
		if other == name {
			other = names[1]
		}
		for _, tg := range p.Targets {
			for _, chosen := range [][]string{{name}, names} {
				q := interpolate(t, tg.Expr, chosen)
				if strings.Contains(q, "$") {
					t.Errorf("%s %q: %s keeps a variable", name, p.Title, q)
				}
				if len(fleet.Query(t, q)) == 0 {
					t.Errorf("%s %q query %s with slo=%v: no data: %s", name, p.Title, tg.RefID, chosen, q)
				}
				if !tg.Instant && queryRange(t, fleet.URL, q, 7*24*time.Hour, 5*time.Minute) == 0 {
					t.Errorf("%s %q query %s with slo=%v: no data over 7d: %s", name, p.Title, tg.RefID, chosen, q)
				}
			}
			if got := fleet.Query(t, interpolate(t, tg.Expr, []string{other})); len(got) != 0 {
				t.Errorf("%s %q query %s with only %s chosen: %v", name, p.Title, tg.RefID, other, got)
			}
		}
	}

	// What the stat panels show is what the SLOs are.
	for _, name := range names {
		stat := func(title string) float64 {
			i := slices.IndexFunc(d.Panels, func(p panelJSON) bool { return p.Title == title && rowOf[p.ID] == name })
			if i < 0 {
				t.Fatalf("%s: no panel %q", name, title)
			}
			got := fleet.Query(t, interpolate(t, d.Panels[i].Targets[0].Expr, []string{name}))
			if len(got) != 1 {
				t.Fatalf("%s %q: %v, want one value", name, title, got)
			}
			return got[0].Value
		}
		// The fleet's history fits in a 30-day window, not in a 7-day one.
		if objectives[name].Window.Rolling == 30*24*time.Hour {
			st := fleet.Evaluate(t, objectives[name])
			// To the resolution of the events recorded each promrules.Step.
			if got := stat("Budget remaining"); math.Abs(got-st.Remaining) > 1e-3*math.Abs(st.Remaining) {
				t.Errorf("%s: budget remaining %v, slo.Evaluate %v", name, got, st.Remaining)
			}
		}
		if got, want := stat("Error budget"), objectives[name].Budget(); math.Abs(got-want) > 1e-12 {
			t.Errorf("%s: error budget %v, want %v", name, got, want)
		}
		if got := stat("Alerts firing now"); got < 1 {
			t.Errorf("%s: %v alerts firing, want the page at least", name, got)
		}
	}
}

// strictly decodes raw into v with its UnmarshalJSONStrict, which
// returns its list of problems as the error: a non-nil error holding an
// empty list when there is none.
func strictly(raw []byte, v interface{ UnmarshalJSONStrict([]byte) error }) error {
	var problems cog.BuildErrors
	if err := v.UnmarshalJSONStrict(raw); err != nil && (!errors.As(err, &problems) || len(problems) > 0) {
		return err
	}
	return nil
}

// The dashboard reads back strictly as the Grafana Foundation SDK's
// dashboard, every panel, its options and its queries as the schema of
// their types, and passes its validation.
func TestDashboardSchema(t *testing.T) {
	file := filepath.Join(t.TempDir(), "slos.yaml")
	if err := os.WriteFile(file, []byte(dashboardSLOs), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := runkitExit(t, nil, "slo", "dashboard", file, "--keep", "region")
	if code != 0 {
		t.Fatalf("slo dashboard: exit %d\n%s", code, stderr)
	}
	plugins.RegisterDefaultPlugins()

	// Strict decoding finds every field its schema does not know, in the
	// dashboard, each panel, its options and field config and its
	// queries. (It then drops the panels it decoded, so their types are
	// read from a plain decoding.)
	if err := strictly([]byte(out), &dashboard.Dashboard{}); err != nil {
		t.Fatalf("strict decoding as a Grafana dashboard: %v", err)
	}
	var d dashboard.Dashboard
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	if err := d.Validate(); err != nil {
		t.Errorf("the dashboard does not validate: %v", err)
	}
	types := map[string]int{}
	for i, pr := range d.Panels {
		if pr.RowPanel != nil {
			types["row"]++
			continue
		}
		p := pr.Panel
		types[p.Type]++
		switch p.Options.(type) {
		case *stat.Options, *timeseries.Options:
		default:
			t.Errorf("panel %d %q: options %T, not the options of its type", i, *p.Title, p.Options)
		}
		for _, q := range p.Targets {
			if _, ok := q.(*prometheus.Dataquery); !ok {
				t.Errorf("panel %d %q: query %T, want a Prometheus query", i, *p.Title, q)
			}
		}
	}
	// checkout's four tiers and search's two; per SLO a row, four stats
	// and three more graphs.
	want := map[string]int{"row": 2, "stat": 8, "timeseries": 6 + 6}
	if diff := cmp.Diff(want, types); diff != "" {
		t.Errorf("panels by type (-want +got):\n%s", diff)
	}
}
