package deploy_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/ybiyri/runkit/deploy"
	"github.com/ybiyri/runkit/slo"
)

func ExampleBuild() {
	b := deploy.Build()
	fmt.Println(b.GoVersion != "")
	// Output: true
}

func ExampleVersionHandler() {
	rec := httptest.NewRecorder()
	deploy.VersionHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/version", nil))
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"), strings.Contains(rec.Body.String(), `"goVersion"`))
	// Output: 200 application/json true
}

func ExampleAnnouncer() {
	var out bytes.Buffer
	a := &deploy.Announcer{Sinks: []deploy.Sink{deploy.Writer(&out)}}
	// A starting service bounds how long announcing may take.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := a.Announce(ctx, deploy.Marker{
		ID: "checkout-1.4.2", Service: "checkout", Version: "1.4.2", Environment: "production",
		Start: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC),
	})
	fmt.Println(err)
	fmt.Print(out.String())
	// Output:
	// <nil>
	// {"event":"deployment","id":"checkout-1.4.2","service":"checkout","version":"1.4.2","environment":"production","start":"2026-11-26T09:00:00Z","end":"2026-11-26T09:00:00Z"}
}

func ExampleGrafana() {
	sink, err := deploy.Grafana(deploy.GrafanaConfig{URL: "https://grafana.example.com", Token: "glsa_not_printed"})
	fmt.Println(sink, err)
	// A config prints its secrets redacted, in its URL too.
	cfg := deploy.GrafanaConfig{URL: "https://admin:hunter2@grafana.example.com", Token: "glsa_not_printed"}
	fmt.Printf("%+v\n", cfg)
	// Output:
	// grafana sink to https://grafana.example.com/api/annotations <nil>
	// {URL:https://[redacted]@grafana.example.com Token:[redacted] Tags:[] DashboardUID: Client:<nil>}
}

func ExampleRedactURL() {
	fmt.Println(deploy.RedactURL("https://hooks.slack.com/services/T0/B0/XYZ"))
	fmt.Println(deploy.RedactURL("https://admin:hunter2@grafana.internal:3000/grafana?orgId=1"))
	sink, _ := deploy.Webhook(deploy.WebhookConfig{URL: "https://hooks.slack.com/services/T0/B0/XYZ"})
	fmt.Println(sink)
	// Output:
	// https://hooks.slack.com/[redacted]
	// https://[redacted]@grafana.internal:3000/[redacted]?[redacted]
	// webhook sink to https://hooks.slack.com/[redacted]
}

func ExampleHoneycomb() {
	sink, err := deploy.Honeycomb(deploy.HoneycombConfig{Key: "hc_not_printed", Dataset: "checkout"})
	fmt.Println(sink, err)
	// Output: honeycomb sink to https://api.honeycomb.io/1/markers/checkout <nil>
}

func ExampleDatadog() {
	sink, err := deploy.Datadog(deploy.DatadogConfig{APIKey: "dd_not_printed"})
	fmt.Println(sink, err)
	// Output: datadog sink to https://api.datadoghq.com/api/v2/dora/deployment <nil>
}

func ExampleWebhook() {
	_, err := deploy.Webhook(deploy.WebhookConfig{URL: "hooks.example.com/deploy"})
	fmt.Println(err)
	// Output: deploy: WebhookConfig.URL "hooks.example.com/[redacted]" is not an http or https URL
}

func ExampleOTel() {
	// With no SDK installed the span goes nowhere; with one, it is exported
	// like any other.
	err := deploy.OTel(deploy.OTelConfig{}).Send(context.Background(), deploy.Marker{ID: "1", Service: "checkout"})
	fmt.Println(err)
	// Output: <nil>
}

func ExampleMeasureDORA() {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var deps []deploy.Deployment
	for d := range 14 { // one deployment a day, each carrying a change of two hours
		ts := start.Add(time.Duration(d)*24*time.Hour + 10*time.Hour)
		deps = append(deps, deploy.Deployment{Time: ts, Commits: []time.Time{ts.Add(-2 * time.Hour)}, Failed: d == 3})
	}
	incs := []deploy.Incident{{Start: start.Add(82 * time.Hour), Restored: start.Add(82*time.Hour + 40*time.Minute)}}
	m, _ := deploy.MeasureDORA(start, start.Add(14*24*time.Hour), deps, incs)
	fmt.Printf("%.1f/day (%v), lead %v (%v), CFR %.1f%% (%v), restore %v (%v)\n",
		m.DeploysPerDay, m.Frequency, m.LeadTimeMedian, m.LeadTime, 100*m.ChangeFailureRate, m.FailureRate, m.TimeToRestoreMedian, m.Restore)
	// Output: 1.0/day (elite), lead 2h0m0s (elite), CFR 7.1% (high), restore 40m0s (elite)
}

func ExampleOpenIncident() {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	now := start.Add(7 * 24 * time.Hour)
	deps := []deploy.Deployment{
		{ID: "checkout-a", Time: start.Add(24 * time.Hour)},
		{ID: "checkout-b", Time: now.Add(-3 * time.Hour)},
	}
	incs := []deploy.Incident{
		{Start: start.Add(25 * time.Hour), Restored: start.Add(26 * time.Hour)},
		{Start: now.Add(-2 * time.Hour), Cause: "checkout-b"}, // still open
	}
	m, _ := deploy.MeasureDORA(start, now, deps, incs)
	fmt.Printf("CFR %.0f%%, %d incidents, restore %v, open: %d, %v old\n",
		100*m.ChangeFailureRate, m.Incidents, m.TimeToRestoreMedian, len(m.Open), m.Open[0].Age)
	// Output: CFR 50%, 2 incidents, restore 1h0m0s, open: 1, 2h0m0s old
}

func ExampleBreachIncidents() {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var statuses []slo.TrackerStatus
	for h, remaining := range []float64{0.3, -0.1, -0.2, 0.05} {
		statuses = append(statuses, slo.TrackerStatus{At: t0.Add(time.Duration(h) * time.Hour),
			Status: slo.Status{Objective: "checkout", Total: 1, Remaining: remaining}})
	}
	for _, inc := range deploy.BreachIncidents(statuses) {
		fmt.Println(inc.Cause, inc.Restored.Sub(inc.Start))
	}
	// Output: checkout 2h0m0s
}

func ExampleGate() {
	spent := slo.TrackerStatus{Status: slo.Status{Objective: "checkout", Total: 1000, Remaining: -0.25}}
	var gate deploy.Gate
	fmt.Println(gate.Decide(deploy.Request{Kind: deploy.Feature}, spent))
	fmt.Println(gate.Decide(deploy.Request{Kind: deploy.Rollback, Override: true, By: "alice", Reason: "INC-7"}, spent).Allow)
	// Output:
	// deploy refused (budget-spent): checkout: error budget spent: remaining -25.0%; feature frozen; a fix or a rollback may override the freeze, on the record of who and why
	// true
}

func ExampleGate_noData() {
	// Right after a restart a tracker has seen nothing: the gate cannot
	// judge the budget, and fails closed unless told otherwise.
	quiet := slo.TrackerStatus{Status: slo.Status{Objective: "checkout", NoData: true, Remaining: 1}}
	d := deploy.Gate{}.Decide(deploy.Request{}, quiet)
	fmt.Println(d.Allow, d.Rule)
	fmt.Println(deploy.Gate{AllowNoData: true}.Decide(deploy.Request{}, quiet))
	// Output:
	// false no-data
	// deploy allowed (no-data-allowed): no SLO data: allowed without judging the budget, as the gate allows with no data (no events for checkout)
}

func ExampleReadSLOStatus() {
	// What a service's /slo answered, saved by an earlier pipeline step.
	body := `{"objective":"checkout","noData":false,"total":1000,"budgetRemaining":-0.25,"tiers":[]}`
	statuses, err := deploy.ReadSLOStatus(strings.NewReader(body))
	fmt.Println(err)
	fmt.Println(deploy.Gate{}.Decide(deploy.Request{}, statuses...))
	// Output:
	// <nil>
	// deploy refused (budget-spent): checkout: error budget spent: remaining -25.0%; feature frozen; a fix or a rollback may override the freeze, on the record of who and why
}

func ExampleFetchSLOStatus() {
	// A service restarted an hour ago; its tracker has seen 1,000
	// requests since, 10 of them bad: 1% against a budget of 1%.
	start := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	now := start
	tracker, _ := slo.NewTracker(slo.Objective{Name: "checkout", Target: 0.99, Window: slo.Rolling(24 * time.Hour)},
		slo.TrackerConfig{Now: func() time.Time { return now }})
	now = start.Add(time.Hour - time.Second)
	tracker.RecordN(990, 10)
	srv := httptest.NewServer(tracker.Handler()) // the service's /slo
	defer srv.Close()

	statuses, err := deploy.FetchSLOStatus(context.Background(), nil, srv.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	// An hour's evidence spends the budget of an hour, not of the day.
	d := deploy.Gate{MinRemaining: 0.1}.Decide(deploy.Request{}, statuses...)
	fmt.Printf("%v %v, remaining %.3f\n", d.Allow, d.Rule, statuses[0].Remaining)
	fmt.Println(d.Reasons[0])
	// Output:
	// true within-budget, remaining 0.958
	// checkout: 1h of the 1d window observed (4.1%), since the service started: its budget is judged against the events the whole window would hold at the observed rate
}

func ExampleSecret() {
	key := deploy.Secret("dd_live_123")
	fmt.Println(key, fmt.Sprintf("%#v %q", key, key))
	// Output: [redacted] [redacted] [redacted]
}

func ExampleWriter() {
	var out bytes.Buffer
	deploy.Writer(&out).Send(context.Background(), deploy.Marker{ID: "7", Service: "cart",
		Start: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 26, 9, 1, 0, 0, time.UTC)})
	fmt.Print(out.String())
	// Output: {"event":"deployment","id":"7","service":"cart","start":"2026-11-26T09:00:00Z","end":"2026-11-26T09:01:00Z"}
}

func ExampleID() {
	fmt.Println(deploy.ID("checkout", "production", "1.4.2", "abc123"))
	// Output: checkout-21fa4e2e454d71f7
}

func ExampleReadMarkers() {
	// Three replicas of checkout 1.4.2 started, and one restarted: four
	// lines, one deployment.
	var log bytes.Buffer
	for minute := range 4 {
		now := time.Date(2026, 11, 26, 9, minute, 0, 0, time.UTC)
		a := &deploy.Announcer{Sinks: []deploy.Sink{deploy.Writer(&log)}, Now: func() time.Time { return now }}
		a.Announce(context.Background(), deploy.Marker{Service: "checkout", Environment: "production", Version: "1.4.2"})
	}
	markers, err := deploy.ReadMarkers(&log)
	var deps []deploy.Deployment
	for _, m := range markers {
		deps = append(deps, m.Deployment())
	}
	day := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	d, _ := deploy.MeasureDORA(day, day.Add(24*time.Hour), deps, nil)
	fmt.Println(len(markers), err, d.Deployments, d.Duplicates)
	// Output: 4 <nil> 1 3
}

func ExampleMarker_Deployment() {
	m := deploy.Marker{Service: "checkout", Environment: "production", Version: "1.4.2",
		CommitTime: time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC), Start: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	d := m.Deployment()
	fmt.Println(d.ID, d.Time.Sub(d.Commits[0]))
	// Output: checkout-42910c1443382af4 1h0m0s
}

func ExampleFromBuild() {
	// A build without VCS data (this example's test binary is one) has
	// version "(devel)" and no revision: FromBuild refuses to give every
	// such build the one ID.
	os.Unsetenv("RUNKIT_VERSION")
	os.Unsetenv("RUNKIT_REVISION")
	os.Unsetenv("RUNKIT_COMMIT_TIME")
	_, err := deploy.FromBuild("checkout", "production")
	fmt.Println(errors.Is(err, deploy.ErrUnidentified))

	// The deployment manifest gives it its identity at run time.
	os.Setenv("RUNKIT_VERSION", "1.4.2")
	os.Setenv("RUNKIT_REVISION", "abc123")
	defer os.Unsetenv("RUNKIT_VERSION")
	defer os.Unsetenv("RUNKIT_REVISION")
	m, err := deploy.FromBuild("checkout", "production")
	fmt.Println(m.Version, m.Revision, err, m.Deployment().ID)
	// Output:
	// true
	// 1.4.2 abc123 <nil> checkout-21fa4e2e454d71f7
}

func ExampleDORAReport() {
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	var deps []deploy.Deployment
	for d := range 14 {
		ts := start.Add(time.Duration(d)*24*time.Hour + 10*time.Hour)
		deps = append(deps, deploy.Deployment{ID: fmt.Sprint("v", d), Time: ts, Commits: []time.Time{ts.Add(-2 * time.Hour)}, Failed: d == 3})
	}
	r := deploy.DORAReport{Title: "checkout", Start: start, End: start.Add(14 * 24 * time.Hour), Deployments: deps}
	// runkit dora --html writes this to a file; here, a buffer.
	var page bytes.Buffer
	if err := r.WriteHTML(&page); err != nil {
		panic(err)
	}
	html := page.String()
	fmt.Println(strings.HasPrefix(html, "<!doctype html>"), strings.Contains(html, "<h1>checkout</h1>"))
	fmt.Println(strings.Contains(html, "7 a week"), strings.Contains(html, "1 of 14 deployments caused a failure"))
	// Output:
	// true true
	// true true
}

func ExampleGate_Validate() {
	// MinRemaining is a share: 10% is 0.1, not 10.
	g := deploy.Gate{MinRemaining: 10}
	fmt.Println(g.Validate())
	fmt.Println(g.Decide(deploy.Request{}))
	// Output:
	// deploy: Gate.MinRemaining 10 is out of range [0, 1): it is a share of the budget, 0.1 for 10%
	// deploy refused (invalid-gate): deploy: Gate.MinRemaining 10 is out of range [0, 1): it is a share of the budget, 0.1 for 10%
}

// Without an incident record, change failure rate and time to restore are
// unknown rather than elite; with no commit times, so is lead time.
func ExampleIncidentsUnknown() {
	start := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	deps := []deploy.Deployment{{ID: "v1", Time: start.Add(time.Hour)}, {ID: "v2", Time: start.Add(30 * time.Hour)}}
	d, _ := deploy.MeasureDORA(start, start.Add(7*24*time.Hour), deps, nil, deploy.IncidentsUnknown())
	fmt.Println(d.Frequency, d.LeadTime, d.FailureRate, d.Restore)
	d, _ = deploy.MeasureDORA(start, start.Add(7*24*time.Hour), deps, []deploy.Incident{})
	fmt.Println(d.Frequency, d.LeadTime, d.FailureRate, d.Restore)
	// Output:
	// high unknown unknown unknown
	// high unknown elite elite
}
