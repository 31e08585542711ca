package deploy_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ybiyri/runkit/deploy"
	"github.com/ybiyri/runkit/internal/promtest"
	"github.com/ybiyri/runkit/slo"
	"github.com/ybiyri/runkit/slo/promrules"
)

const day = 24 * time.Hour

// fleetSLOs are four objectives of a fleet of two replicas, the second
// serving twice the traffic of the first: one within budget, one spent,
// one paging after 90 minutes at 30% errors, one with no events.
func fleetSLOs() []promtest.FleetSLO {
	obj := func(name string, target float64) slo.Objective {
		return slo.Objective{Name: name, Target: target, Window: slo.Rolling(30 * day)}
	}
	return []promtest.FleetSLO{
		// The info series of checkout alone is labelled owner; its
		// Service labels every series, as cart's Labels do.
		{SLO: promrules.SLO{Objective: obj("checkout", 0.999), Labels: map[string]string{"team": "payments"}, Service: "shop", Owner: "payments"}, ErrorRate: []float64{0.0002, 0.0006}},
		{SLO: promrules.SLO{Objective: obj("cart", 0.999), Labels: map[string]string{"service": "shop"}, Service: "shop"}, ErrorRate: []float64{0.001, 0.0025}},
		{SLO: promrules.SLO{Objective: obj("search", 0.99)}, ErrorRate: []float64{0.005, 0.005}, Spike: 0.3, SpikeFor: 90 * time.Minute},
		{SLO: promrules.SLO{Objective: obj("quiet", 0.99)}},
	}
}

// Each value of a label the rules keep is an objective of its own, which
// Labels selects.
func TestFetchPrometheusSLOStatusKept(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prometheus")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	o := slo.Objective{Name: "regions", Target: 0.999, Window: slo.Rolling(30 * day)}
	fleet := promtest.StartFleet(t, ctx, promrules.Config{},
		promtest.FleetSLO{SLO: promrules.SLO{Objective: o, Keep: []string{"instance"}}, ErrorRate: []float64{0.0002, 0.003}})
	src := deploy.PrometheusSource{URL: fleet.URL, SLO: "regions"}
	st := fetchTwo(t, ctx, src)
	for i, want := range []struct {
		name string
		rule deploy.Rule
	}{{`regions{instance="a"}`, deploy.RuleWithinBudget}, {`regions{instance="b"}`, deploy.RuleBudgetSpent}} {
		if d := (deploy.Gate{}).Decide(deploy.Request{}, st[i]); st[i].Objective != want.name || d.Rule != want.rule {
			t.Errorf("status %d: %s, %v; want %s, %v", i, st[i].Objective, d.Rule, want.name, want.rule)
		}
	}
	src.Labels = map[string]string{"instance": "b"}
	st, err := deploy.FetchPrometheusSLOStatus(ctx, nil, src)
	if err != nil || len(st) != 1 || st[0].Objective != `regions{instance="b"}` {
		t.Errorf("instance=b: %+v, %v", st, err)
	}
}

// Two services each have an SLO named availability: their series keep
// apart, each is a status named with its service, and Labels selects one.
func TestFetchPrometheusSLOStatusTwoServices(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prometheus")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	o := slo.Objective{Name: "availability", Target: 0.999, Window: slo.Rolling(30 * day)}
	fleet := promtest.StartFleet(t, ctx, promrules.Config{},
		promtest.FleetSLO{SLO: promrules.SLO{Objective: o, Service: "cart", Source: promrules.Events{Matchers: `job="cart"`}}, ErrorRate: []float64{0.01}},
		promtest.FleetSLO{SLO: promrules.SLO{Objective: o, Service: "search", Source: promrules.Events{Matchers: `job="search"`}}, ErrorRate: []float64{0.0002}},
	)
	src := deploy.PrometheusSource{URL: fleet.URL, SLO: "availability"}
	st := fetchTwo(t, ctx, src)
	for i, want := range []struct {
		name string
		rule deploy.Rule
		rate float64
	}{{`availability{service="cart"}`, deploy.RuleBudgetSpent, 0.01}, {`availability{service="search"}`, deploy.RuleWithinBudget, 0.0002}} {
		d := (deploy.Gate{}).Decide(deploy.Request{}, st[i])
		if st[i].Objective != want.name || d.Rule != want.rule || rel(st[i].ErrorRate, want.rate) > 1e-3 {
			t.Errorf("status %d: %s, %v, error rate %v; want %s, %v, %v", i, st[i].Objective, d.Rule, st[i].ErrorRate, want.name, want.rule, want.rate)
		}
	}
	src.Labels = map[string]string{"service": "search"}
	st, err := deploy.FetchPrometheusSLOStatus(ctx, nil, src)
	if err != nil || len(st) != 1 || st[0].Objective != "availability" || rel(st[0].ErrorRate, 0.0002) > 1e-3 {
		t.Errorf("service=search: %+v, %v; want one status, its error rate 0.0002", st, err)
	}
}

// The gate judges the fleet from a real Prometheus holding 29 days of
// backfilled counters of two replicas, with the rules promrules writes:
// the budget Prometheus reports is slo.Evaluate's on the same counts, and
// the gate decides as it does on those statuses.
func TestFetchPrometheusSLOStatus(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prometheus")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	slos := fleetSLOs()
	fleet := promtest.StartFleet(t, ctx, promrules.Config{}, slos...)

	want := map[string]deploy.Rule{"checkout": deploy.RuleWithinBudget, "cart": deploy.RuleBudgetSpent, "search": deploy.RulePageFiring, "quiet": deploy.RuleNoData}
	for _, s := range slos {
		o := s.SLO.Objective
		src := deploy.PrometheusSource{URL: fleet.URL, SLO: o.Name}
		var st []slo.TrackerStatus
		// Until the rules have run on the history, and the alerts with them.
		if !promtest.Until(ctx, func() bool {
			var err error
			st, err = deploy.FetchPrometheusSLOStatus(ctx, nil, src)
			if err != nil {
				t.Fatal(err)
			}
			return len(st) == 1 && (o.Name == "quiet" || !st[0].NoData) && (o.Name != "search" || len(st[0].Tiers) > 0)
		}) {
			t.Fatalf("%s: status %+v", o.Name, st)
		}
		got := st[0]
		d := deploy.Gate{}.Decide(deploy.Request{}, got)
		if d.Rule != want[o.Name] {
			t.Errorf("%s: rule %v, want %v; reasons %q", o.Name, d.Rule, want[o.Name], d.Reasons)
		}
		if got.Good != 0 || got.Total != 0 || got.AllowedBad != 0 {
			t.Errorf("%s: counts %d of %d, allowed bad %v; Prometheus records none", o.Name, got.Good, got.Total, got.AllowedBad)
		}
		if got.Objective != o.Name || got.Target != o.Target || got.Period != o.Window || got.Window != 30*day || got.ObservedShare != 1 {
			t.Errorf("%s: objective %q target %v window %v (%v), observed share %v", o.Name, got.Objective, got.Target, got.Period, got.Window, got.ObservedShare)
		}
		if o.Name == "quiet" {
			if !got.NoData || got.Remaining != 1 || got.SLI != 1 || got.ExhaustsIn != slo.Forever {
				t.Errorf("quiet: %+v, want no data, nothing consumed", got.Status)
			}
			continue
		}
		// The same counts, judged by slo.Evaluate and gated as a tracker's:
		// the same to the resolution of the events recorded each
		// promrules.Step (Prometheus's own first Step may count again
		// the last minutes of the history).
		ev := fleet.Evaluate(t, o)
		if rel(got.Remaining, ev.Remaining) > 1e-3 || rel(got.ErrorRate, ev.ErrorRate) > 1e-3 || rel(got.BurnRate, ev.BurnRate) > 1e-3 || rel(got.SLI, ev.SLI) > 1e-3 {
			t.Errorf("%s: Prometheus says remaining %v, error rate %v, burn rate %v, SLI %v; slo.Evaluate on %d of %d good: %v, %v, %v, %v",
				o.Name, got.Remaining, got.ErrorRate, got.BurnRate, got.SLI, ev.Good, ev.Total, ev.Remaining, ev.ErrorRate, ev.BurnRate, ev.SLI)
		}
		evStatus := slo.TrackerStatus{Status: ev, Window: 30 * day, Period: o.Window, Observed: 30 * day, ObservedShare: 1, Tiers: got.Tiers}
		if ed := (deploy.Gate{}).Decide(deploy.Request{}, evStatus); ed.Rule != d.Rule {
			t.Errorf("%s: the gate says %v on Prometheus's status, %v on slo.Evaluate's", o.Name, d.Rule, ed.Rule)
		}
		t.Logf("%s: remaining %.6f (slo.Evaluate %.6f), recent burn %.3g over %v, %d firing tiers: %v", o.Name, got.Remaining, ev.Remaining, got.RecentBurnRate, got.RecentWindow, len(got.Tiers), d.Rule)
	}

	// The page tier read back, with its windows and burn rates.
	st, err := deploy.FetchPrometheusSLOStatus(ctx, nil, deploy.PrometheusSource{URL: fleet.URL, SLO: "search"})
	if err != nil {
		t.Fatal(err)
	}
	var page *slo.TierResult
	for i, tr := range st[0].Tiers {
		if tr.Tier.Severity == slo.Page && tr.Tier.Long == time.Hour {
			page = &st[0].Tiers[i]
		}
	}
	if page == nil || page.Tier.Short != 5*time.Minute || !(page.LongBurn > 14.4 && page.ShortBurn > 14.4) || st[0].RecentWindow != time.Hour || st[0].RecentBurnRate != page.LongBurn {
		t.Errorf("search: tiers %+v, recent %v over %v; want the page 1h/5m firing above 14.4", st[0].Tiers, st[0].RecentBurnRate, st[0].RecentWindow)
	}

	// Labels select: the SLO's own label, and one it does not carry.
	if st, err := deploy.FetchPrometheusSLOStatus(ctx, nil, deploy.PrometheusSource{URL: fleet.URL, SLO: "checkout", Labels: map[string]string{"team": "payments"}}); err != nil || len(st) != 1 || st[0].NoData {
		t.Errorf("checkout, team=payments: %+v, %v", st, err)
	}
	_, err = deploy.FetchPrometheusSLOStatus(ctx, nil, deploy.PrometheusSource{URL: fleet.URL, SLO: "checkout", Labels: map[string]string{"team": "search"}})
	if err == nil || !strings.Contains(err.Error(), `runkit:slo_info{slo="checkout",team="search"}`) {
		t.Errorf("checkout, team=search: %v, want no series of runkit:slo_info", err)
	}
	// An SLO Prometheus has no rules for is an error, which the gate's
	// caller refuses on.
	_, err = deploy.FetchPrometheusSLOStatus(ctx, nil, deploy.PrometheusSource{URL: fleet.URL, SLO: "chekout"})
	if err == nil || !strings.Contains(err.Error(), "rules are not loaded there, or no SLO has that name") {
		t.Errorf("unknown SLO: %v", err)
	}
}

// fetchTwo returns src's statuses once there are two, both with data:
// once the rules have run on the history.
func fetchTwo(t *testing.T, ctx context.Context, src deploy.PrometheusSource) []slo.TrackerStatus {
	t.Helper()
	var st []slo.TrackerStatus
	if !promtest.Until(ctx, func() bool {
		var err error
		st, err = deploy.FetchPrometheusSLOStatus(ctx, nil, src)
		if err != nil {
			t.Fatal(err)
		}
		return len(st) == 2 && !st[0].NoData && !st[1].NoData
	}) {
		t.Fatalf("statuses %+v", st)
	}
	return st
}

func rel(a, b float64) float64 {
	if a == b {
		return 0
	}
	return math.Abs(a-b) / math.Max(math.Abs(a), math.Abs(b))
}

// fakePrometheus answers the queries FetchPrometheusSLOStatus makes with
// one SLO, checkout, within budget, as Prometheus's query API would, and
// records the Authorization header of each request.
func fakePrometheus(t *testing.T, auth *[]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*auth = append(*auth, r.Header.Get("Authorization"))
		q := r.URL.Query().Get("query")
		w.Header().Set("Content-Type", "application/json")
		result := `[]`
		switch {
		case !strings.Contains(q, `slo="checkout"`):
		case strings.HasPrefix(q, "runkit:slo_info"):
			result = `[{"metric":{"__name__":"runkit:slo_info","slo":"checkout","target":"0.999","window":"30d"},"value":[1796212800,"1"]}]`
		case strings.HasPrefix(q, "{__name__"):
			result = `[{"metric":{"__name__":"runkit:slo_budget_remaining:ratio","slo":"checkout"},"value":[1796212800,"0.75"]},
				{"metric":{"__name__":"runkit:slo_errors:ratio_rate30d","slo":"checkout"},"value":[1796212800,"0.00025"]},
				{"metric":{"__name__":"runkit:slo_errors:ratio_rate1h","slo":"checkout"},"value":[1796212800,"0.0005"]}]`
		}
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":%s}}`, result)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestFetchPrometheusSLOStatusAuth(t *testing.T) {
	var auth []string
	srv := fakePrometheus(t, &auth)
	for _, c := range []struct {
		src  deploy.PrometheusSource
		want string
	}{
		{deploy.PrometheusSource{}, ""},
		{deploy.PrometheusSource{BearerToken: "s3cret"}, "Bearer s3cret"},
		{deploy.PrometheusSource{Username: "gate", Password: "pw"}, "Basic Z2F0ZTpwdw=="},
		// A user and password in the URL.
		{deploy.PrometheusSource{URL: strings.Replace(srv.URL, "://", "://gate:pw@", 1)}, "Basic Z2F0ZTpwdw=="},
	} {
		auth = nil
		if c.src.URL == "" {
			c.src.URL = srv.URL
		}
		c.src.SLO = "checkout"
		st, err := deploy.FetchPrometheusSLOStatus(context.Background(), srv.Client(), c.src)
		if err != nil || len(st) != 1 {
			t.Fatalf("%+v: %v, %v", c.src, st, err)
		}
		for _, a := range auth {
			if a != c.want {
				t.Errorf("Authorization %q, want %q", a, c.want)
			}
		}
		if len(auth) != 3 {
			t.Errorf("%d queries, want 3", len(auth))
		}
	}
}

// Bad input and bad answers are errors naming the field or the answer,
// with the URL's secrets redacted.
func TestFetchPrometheusSLOStatusErrors(t *testing.T) {
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html>sign in</html>")
	}))
	defer html.Close()
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"status":"error","errorType":"bad_data","error":"parse error"}`)
	}))
	defer bad.Close()
	down := httptest.NewServer(nil)
	down.Close()
	var auth []string
	ok := fakePrometheus(t, &auth)
	for _, c := range []struct {
		src  deploy.PrometheusSource
		want string
	}{
		{deploy.PrometheusSource{URL: "prometheus:9090", SLO: "x"}, `Prometheus URL "prometheus:9090" is not an http or https URL`},
		{deploy.PrometheusSource{URL: ok.URL}, "PrometheusSource.SLO is empty"},
		{deploy.PrometheusSource{URL: ok.URL, SLO: "x", BearerToken: "t", Username: "u"}, "both BearerToken and Username"},
		{deploy.PrometheusSource{URL: ok.URL, SLO: "x", Labels: map[string]string{"slo": "y"}}, `Labels["slo"]: not a label to select by`},
		{deploy.PrometheusSource{URL: ok.URL, SLO: "x", Labels: map[string]string{"a-b": "y"}}, `Labels["a-b"]`},
		{deploy.PrometheusSource{URL: html.URL, SLO: "x"}, `not an answer of Prometheus's query API (Content-Type "text/html")`},
		{deploy.PrometheusSource{URL: bad.URL, SLO: "x"}, "bad_data: parse error"},
		{deploy.PrometheusSource{URL: "http://user:pw@" + strings.TrimPrefix(down.URL, "http://"), SLO: "x"}, "connection refused"},
		{deploy.PrometheusSource{URL: ok.URL, SLO: "x"}, `no series runkit:slo_info{slo="x"}`},
	} {
		_, err := deploy.FetchPrometheusSLOStatus(context.Background(), nil, c.src)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.src, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "pw@") {
			t.Errorf("error shows the password: %v", err)
		}
	}
}

// promAnswers serves Prometheus's query API: each query's result is that
// of the first prefix it starts with, else none.
func promAnswers(t *testing.T, answers [][2]string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query().Get("query")
		result := `[]`
		for _, a := range answers {
			if strings.HasPrefix(q, a[0]) {
				result = a[1]
				break
			}
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":%s}}`, result)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// SLOs of one name in three services, one of which has no events yet:
// each is a status of its own, named with its service, and the quiet one
// has no data rather than another service's budget. Rules written when
// service labelled the info series alone are still read.
func TestFetchPrometheusSLOStatusServiceWithoutEvents(t *testing.T) {
	info := func(service string) string {
		return `{"metric":{"__name__":"runkit:slo_info","slo":"availability","service":"` + service + `","target":"0.999","window":"30d"},"value":[1796212800,"1"]}`
	}
	series := func(service, remaining, ratio string) string {
		l := `"slo":"availability"`
		if service != "" {
			l += `,"service":"` + service + `"`
		}
		return `{"metric":{"__name__":"runkit:slo_budget_remaining:ratio",` + l + `},"value":[1796212800,"` + remaining + `"]},` +
			`{"metric":{"__name__":"runkit:slo_errors:ratio_rate30d",` + l + `},"value":[1796212800,"` + ratio + `"]}`
	}
	url := promAnswers(t, [][2]string{
		{"runkit:slo_info", "[" + info("cart") + "," + info("pay") + "," + info("shop") + "]"},
		{"{__name__", "[" + series("cart", "-499", "0.5") + "," + series("shop", "1", "0") + "]"},
	})
	st, err := deploy.FetchPrometheusSLOStatus(context.Background(), nil, deploy.PrometheusSource{URL: url, SLO: "availability"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range st {
		got = append(got, fmt.Sprintf("%s %v %.4g", s.Objective, s.NoData, s.Remaining))
	}
	want := []string{`availability{service="cart"} false -499`, `availability{service="pay"} true 1`, `availability{service="shop"} false 1`}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("statuses\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Just loaded: no series of any service yet. Each is no data, named
	// with its service.
	url = promAnswers(t, [][2]string{{"runkit:slo_info", "[" + info("cart") + "," + info("shop") + "]"}})
	st, err = deploy.FetchPrometheusSLOStatus(context.Background(), nil, deploy.PrometheusSource{URL: url, SLO: "availability"})
	if err != nil || len(st) != 2 || st[0].Objective != `availability{service="cart"}` || st[1].Objective != `availability{service="shop"}` || !st[0].NoData || !st[1].NoData {
		t.Errorf("no series yet: %+v, %v; want cart and shop, each no data", st, err)
	}

	// Older rules: service on the info series alone.
	url = promAnswers(t, [][2]string{
		{"runkit:slo_info", "[" + info("cart") + "]"},
		{"{__name__", "[" + series("", "0.5", "0.0005") + "]"},
	})
	st, err = deploy.FetchPrometheusSLOStatus(context.Background(), nil, deploy.PrometheusSource{URL: url, SLO: "availability"})
	if err != nil || len(st) != 1 || st[0].NoData || st[0].Remaining != 0.5 {
		t.Errorf("older rules: %+v, %v; want one status, remaining 0.5", st, err)
	}
}

// A page that fires while the window's ratio is not recorded yet (the
// rules just loaded) is still a firing tier, and the gate refuses on it
// even when it allows no data.
func TestFetchPrometheusSLOStatusPageWithoutData(t *testing.T) {
	url := promAnswers(t, [][2]string{
		{"runkit:slo_info", `[{"metric":{"__name__":"runkit:slo_info","slo":"checkout","target":"0.999","window":"30d"},"value":[1796212800,"1"]}]`},
		{"{__name__", `[{"metric":{"__name__":"runkit:slo_errors:ratio_rate1h","slo":"checkout"},"value":[1796212800,"0.5"]}]`},
		{"ALERTS", `[{"metric":{"__name__":"ALERTS","alertname":"SLOErrorBudgetBurn","alertstate":"firing","slo":"checkout","severity":"critical","slo_severity":"page","long_window":"1h","short_window":"5m"},"value":[1796212800,"1"]}]`},
	})
	st, err := deploy.FetchPrometheusSLOStatus(context.Background(), nil, deploy.PrometheusSource{URL: url, SLO: "checkout"})
	if err != nil || len(st) != 1 {
		t.Fatalf("%+v, %v", st, err)
	}
	if !st[0].NoData || len(st[0].Tiers) != 1 || st[0].Tiers[0].Tier.Severity != slo.Page {
		t.Fatalf("status %+v, want no data with the page tier firing", st[0])
	}
	d := deploy.Gate{AllowNoData: true}.Decide(deploy.Request{}, st[0])
	if d.Allow || d.Rule != deploy.RulePageFiring {
		t.Errorf("gate allowing no data: %v, %v, %q; want refused, page-firing", d.Allow, d.Rule, d.Reasons)
	}
	if d := (deploy.Gate{AllowNoData: true, IgnorePages: true}).Decide(deploy.Request{}, st[0]); !d.Allow || d.Rule != deploy.RuleNoDataAllowed {
		t.Errorf("gate allowing no data, ignoring pages: %v, %v, %q; want allowed, no-data-allowed", d.Allow, d.Rule, d.Reasons)
	}
	// Without AllowNoData too, the page is the reason.
	if d := (deploy.Gate{}).Decide(deploy.Request{}, st[0]); d.Allow || d.Rule != deploy.RulePageFiring {
		t.Errorf("gate: %v, %v, %q; want refused, page-firing", d.Allow, d.Rule, d.Reasons)
	}
	// Two tiers mapped to one label cannot be told apart.
	_, err = deploy.FetchPrometheusSLOStatus(context.Background(), nil, deploy.PrometheusSource{URL: url, SLO: "checkout", Severity: map[slo.Severity]string{slo.Page: "critical", slo.Ticket: "critical"}})
	if err == nil || !strings.Contains(err.Error(), `PrometheusSource.Severity maps page and ticket to one label "critical"`) {
		t.Errorf("one label for two tiers: %v", err)
	}
}
