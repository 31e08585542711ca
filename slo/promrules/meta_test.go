package promrules_test

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ybiyri/runkit/slo"
	"github.com/ybiyri/runkit/slo/promrules"
)

// The series a dashboard computes with, evaluated by promtool on events
// whose numbers Go computes: 10 bad of 1,000 a minute against 99.9% burns
// at 10 now and over the whole window; the objective, budget and window
// are numbers; the info series carries service, owner, target, window and
// the SLO's labels; with a label kept, each region has its own burn rates.
func TestPromtoolMetadataSeries(t *testing.T) {
	promtool := tool(t, "promtool")
	o := slo.Objective{Name: "checkout", Target: 0.999, Window: slo.Rolling(30 * day)}
	const perMinute, badPerMinute, minutes = 1000.0, 10.0, 120
	want, err := o.Evaluate(int64((perMinute-badPerMinute)*minutes), int64(perMinute*minutes))
	if err != nil {
		t.Fatal(err)
	}
	if want.BurnRate < 9.999 || want.BurnRate > 10.001 {
		t.Fatalf("Evaluate: burn rate %v, want 10", want.BurnRate)
	}
	checkout := promrules.SLO{Objective: o, Service: "shop", Owner: "payments", Labels: map[string]string{"tier": "1"}}

	// eu fails 1%, us 0.2%, against 99%.
	regional := slo.Objective{Name: "search", Target: 0.99, Window: slo.Rolling(7 * day)}
	search := promrules.SLO{Objective: regional, Keep: []string{"region"}}
	var in []inputSeries
	in = append(in, counters("checkout", perMinute, badPerMinute, minutes)...)
	for region, bad := range map[string]float64{"eu": 10, "us": 2} {
		in = append(in,
			inputSeries{Series: fmt.Sprintf(`runkit_slo_events_total{slo="search",outcome="good",region=%q,instance="a"}`, region), Values: fmt.Sprintf("0+%vx%d", perMinute-bad, minutes)},
			inputSeries{Series: fmt.Sprintf(`runkit_slo_events_total{slo="search",outcome="bad",region=%q,instance="a"}`, region), Values: fmt.Sprintf("0+%vx%d", bad, minutes)},
		)
	}

	near := func(series, labels string, v float64) exprTest {
		return exprTest{
			Expr:       fmt.Sprintf(`abs(%s%s - %v) < bool 1e-9`, series, labels, v),
			EvalTime:   "2h",
			ExpSamples: []expSample{{Labels: labels, Value: 1}},
		}
	}
	burn := func(target, bad float64) float64 { return bad / perMinute / (1 - target) }
	exprs := []exprTest{
		near(promrules.CurrentBurnRate, `{service="shop",slo="checkout",tier="1"}`, want.BurnRate),
		near(promrules.PeriodBurnRate, `{service="shop",slo="checkout",tier="1"}`, want.BurnRate),
		near(promrules.BudgetRemaining, `{service="shop",slo="checkout",tier="1"}`, want.Remaining),
		near(promrules.Objective, `{service="shop",slo="checkout",tier="1"}`, o.Target),
		near(promrules.ErrorBudget, `{service="shop",slo="checkout",tier="1"}`, o.Budget()),
		near(promrules.Window, `{service="shop",slo="checkout",tier="1"}`, (30 * day).Seconds()),
		{
			Expr:       promrules.Info + `{slo="checkout"}`,
			EvalTime:   "2h",
			ExpSamples: []expSample{{Labels: promrules.Info + `{owner="payments",service="shop",slo="checkout",target="0.999",tier="1",window="30d"}`, Value: 1}},
		},
		near(promrules.CurrentBurnRate, `{region="eu",slo="search"}`, burn(0.99, 10)),
		near(promrules.CurrentBurnRate, `{region="us",slo="search"}`, burn(0.99, 2)),
		near(promrules.PeriodBurnRate, `{region="eu",slo="search"}`, burn(0.99, 10)),
		near(promrules.PeriodBurnRate, `{region="us",slo="search"}`, burn(0.99, 2)),
		near(promrules.Window, `{slo="search"}`, (7 * day).Seconds()),
		{
			Expr:       promrules.Info + `{slo="search"}`,
			EvalTime:   "2h",
			ExpSamples: []expSample{{Labels: promrules.Info + `{slo="search",target="0.99",window="7d"}`, Value: 1}},
		},
	}
	runUnitTest(t, promtool, time.Minute, []testCase{{Interval: "1m", InputSeries: in, Exprs: exprs}}, checkout, search)
}

// A service or owner label among the SLO's Labels must agree with Service
// and Owner, which label the info series: two values would be two owners.
func TestServiceAndOwnerAgreeWithLabels(t *testing.T) {
	o := slo.Objective{Name: "checkout", Target: 0.999, Window: slo.Rolling(30 * day)}
	for _, s := range []promrules.SLO{
		{Objective: o, Service: "shop", Labels: map[string]string{"service": "shop"}},
		{Objective: o, Owner: "payments", Labels: map[string]string{"owner": "payments"}},
		{Objective: o, Labels: map[string]string{"service": "shop", "owner": "payments"}},
	} {
		if err := promrules.Write(io.Discard, promrules.Config{}, s); err != nil {
			t.Errorf("Write(%+v) = %v, want no error", s, err)
		}
	}
	for _, tt := range []struct {
		s    promrules.SLO
		want string
	}{
		{promrules.SLO{Objective: o, Service: "shop", Labels: map[string]string{"service": "cart"}},
			`promrules: objective "checkout": Labels["service"]: "cart" differs from Service "shop", the service label of runkit:slo_info`},
		{promrules.SLO{Objective: o, Owner: "payments", Labels: map[string]string{"owner": "search"}},
			`promrules: objective "checkout": Labels["owner"]: "search" differs from Owner "payments", the owner label of runkit:slo_info`},
		{promrules.SLO{Objective: o, Owner: "pay\xffments"}, "not valid UTF-8"},
	} {
		err := promrules.Write(io.Discard, promrules.Config{}, tt.s)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Write(%+v) = %v, want %s", tt.s, err, tt.want)
		}
	}
}

// Two services each have an SLO named availability, their rules written
// to files of their own and loaded into one Prometheus: every series
// carries its service, so each has its own error ratio, budget and alert,
// and nothing is recorded twice.
func TestSLOsOfOneNameInTwoServices(t *testing.T) {
	promtool := tool(t, "promtool")
	o := slo.Objective{Name: "availability", Target: 0.99, Window: slo.Rolling(7 * day)}
	cart := promrules.SLO{Objective: o, Service: "cart", Source: promrules.Events{Matchers: `job="cart"`}}
	search := promrules.SLO{Objective: o, Service: "search", Source: promrules.Events{Matchers: `job="search"`}}
	dir := t.TempDir()
	writeRulesFile(t, filepath.Join(dir, "cart.yaml"), promrules.Config{}, cart)
	writeRulesFile(t, filepath.Join(dir, "search.yaml"), promrules.Config{}, search)
	// And both in one file: its groups named apart, its alerts too.
	both := writeRules(t, dir, promrules.Config{}, search, cart)
	if out := run(t, promtool, "check", "rules", both); !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool check rules on both in one file:\n%s", out)
	}
	// cart fails 50%, search 0.1%, for an hour.
	var in []inputSeries
	for job, bad := range map[string]float64{"cart": 50, "search": 0.1} {
		in = append(in,
			inputSeries{Series: fmt.Sprintf(`runkit_slo_events_total{slo="availability",outcome="good",job=%q}`, job), Values: fmt.Sprintf("0+%vx60", 100-bad)},
			inputSeries{Series: fmt.Sprintf(`runkit_slo_events_total{slo="availability",outcome="bad",job=%q}`, job), Values: fmt.Sprintf("0+%vx60", bad)},
		)
	}
	ratio := func(service string, v float64) exprTest {
		labels := fmt.Sprintf(`{service=%q,slo="availability"}`, service)
		return exprTest{Expr: fmt.Sprintf(`abs(%s1h%s - %v) < bool 1e-9`, promrules.ErrorRatio, labels, v), EvalTime: "1h", ExpSamples: []expSample{{Labels: labels, Value: 1}}}
	}
	cases := []testCase{{
		Interval:    "1m",
		InputSeries: in,
		Exprs: []exprTest{
			ratio("cart", 0.5), ratio("search", 0.001),
			{Expr: fmt.Sprintf(`count(ALERTS{alertname=%q,alertstate="firing",long_window="1h"}) by (service)`, promrules.BurnAlert), EvalTime: "1h",
				ExpSamples: []expSample{{Labels: `{service="cart"}`, Value: 1}}},
		},
	}}
	for _, files := range [][]string{{"cart.yaml", "search.yaml"}, {"rules.yaml"}} {
		data, err := yaml.Marshal(unitTest{RuleFiles: files, EvaluationInterval: "1m", Tests: cases})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "test.yaml")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(promtool, "test", "rules", path).CombinedOutput(); err != nil {
			t.Fatalf("promtool test rules on %v: %v\n%s", files, err, out)
		}
	}
	groups := parseRules(t, write(t, promrules.Config{}, search, cart))
	var names []string
	for _, g := range groups {
		names = append(names, g.Name)
	}
	if want := "runkit-slo-cart-availability runkit-step-cart-availability runkit-slo-search-availability runkit-step-search-availability"; strings.Join(names, " ") != want {
		t.Errorf("groups %v, want %s", names, want)
	}
}
