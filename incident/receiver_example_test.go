package incident_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ybiyri/runkit/deploy"
	"github.com/ybiyri/runkit/incident"
)

// A receiver behind Alertmanager: the page of SLO availability fires and
// resolves, and the incident file holds one incident, restored after 25
// minutes.
func ExampleReceiver() {
	dir, _ := os.MkdirTemp("", "incidents")
	defer os.RemoveAll(dir)
	r, err := incident.NewReceiver(incident.ReceiverConfig{File: filepath.Join(dir, "incidents.jsonl"), Token: "s3cret"})
	if err != nil {
		panic(err)
	}
	defer r.Close()
	srv := httptest.NewServer(r)
	defer srv.Close()

	post := func(body string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer s3cret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println(resp.Status)
	}
	labels := `"labels":{"alertname":"SLOErrorBudgetBurn","slo":"availability","severity":"page","service":"checkout"}`
	post(`{"version":"4","status":"firing","alerts":[{"status":"firing",` + labels + `,"startsAt":"2026-12-03T14:00:00Z","fingerprint":"4f2a"}]}`)
	post(`{"version":"4","status":"resolved","alerts":[{"status":"resolved",` + labels + `,"startsAt":"2026-12-03T14:00:00Z","endsAt":"2026-12-03T14:25:00Z","fingerprint":"4f2a"}]}`)
	for _, rec := range r.Records() {
		fmt.Println(rec.ID, rec.Severity, rec.Restored.Sub(rec.Start))
	}
	// Output:
	// 200 OK
	// 200 OK
	// checkout-availability-20261203T140000Z page 25m0s
}

// An incident is attributed to the last deployment of its service and
// environment before it started, within the lookback.
func ExampleAttribute() {
	start := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	markers := []deploy.Marker{
		{Service: "checkout", Environment: "production", Version: "1.4.1", Start: start.Add(-26 * time.Hour)},
		{Service: "checkout", Environment: "production", Version: "1.4.2", Start: start.Add(-40 * time.Minute)},
		{Service: "checkout", Environment: "production", Version: "1.4.3", Start: start.Add(5 * time.Minute)},
	}
	ref, ok := incident.Attribute(markers, "checkout", "production", start, incident.DefaultLookback)
	fmt.Println(ref.Version, ref.ID, ok)
	_, ok = incident.Attribute(markers, "checkout", "production", start, 30*time.Minute)
	fmt.Println(ok)
	// Output:
	// 1.4.2 checkout-42910c1443382af4 true
	// false
}

// ParseWebhook reads Alertmanager's payload and names what is wrong
// with one it cannot take.
func ExampleParseWebhook() {
	m, err := incident.ParseWebhook([]byte(`{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"SLOErrorBudgetBurn","slo":"availability"},"startsAt":"2026-12-03T14:00:00Z","fingerprint":"4f2a"}]}`))
	fmt.Println(len(m.Alerts), m.Alerts[0].Labels["slo"], err)
	_, err = incident.ParseWebhook([]byte(`{"version":"3"}`))
	fmt.Println(err)
	// Output:
	// 1 availability <nil>
	// incident: webhook payload version "3": want "4", Alertmanager's webhook version
}

// The last line of an ID is the incident: the receiver appends a record
// when it opens and when it is restored.
func ExampleReadRecords() {
	file := `{"id":"checkout-availability-20261203T140000Z","start":"2026-12-03T14:00:00Z","slo":"availability"}
{"id":"checkout-availability-20261203T140000Z","start":"2026-12-03T14:00:00Z","restored":"2026-12-03T14:25:00Z","slo":"availability"}
`
	recs, err := incident.ReadRecords(strings.NewReader(file))
	if err != nil {
		panic(err)
	}
	for _, r := range recs {
		fmt.Println(r.ID, r.Open(), r.Restored.Sub(r.Start))
	}
	// Output:
	// checkout-availability-20261203T140000Z false 25m0s
}

// An incident's ID names its service, SLO and start, so every receiver
// gives the same alert the same ID.
func ExampleRecordID() {
	fmt.Println(incident.RecordID("checkout", "availability", time.Date(2026, 12, 3, 14, 0, 2, 0, time.UTC)))
	fmt.Println(incident.RecordID("", "availability", time.Date(2026, 12, 3, 14, 0, 2, 0, time.UTC)))
	// Output:
	// checkout-availability-20261203T140002Z
	// availability-20261203T140002Z
}

// A timeline of two services: the events of each, a deployment marker
// and an incident, in time order.
func ExampleTimeline() {
	at := func(m int) time.Time { return time.Date(2026, 12, 3, 2, m, 0, 0, time.UTC) }
	restored := at(40)
	rec := incident.Record{ID: "checkout-availability-20261203T022100Z", Start: at(21), Restored: &restored, Service: "checkout", Severity: "page"}
	tl := incident.Timeline{
		Since: at(0), Until: at(59),
		Events: append([]incident.Event{
			incident.MarkerEvent(deploy.Marker{Service: "checkout", Version: "1.4.2", Start: at(2)}),
			{Time: at(14), Service: "quotes", Kind: incident.Health, Name: incident.HealthProbe, Subject: "readiness", From: "pass", To: "fail"},
			{Time: at(15), Service: "checkout", Kind: incident.Breaker, Name: incident.BreakerState, Subject: "quotes.internal:443", From: "closed", To: "open"},
		}, rec.Events()...),
	}
	fmt.Println(tl.Services())
	for _, e := range tl.Sorted() {
		fmt.Println(e.Time.Format("15:04"), e.Service, e)
	}
	var page strings.Builder
	if err := tl.WriteHTML(&page); err != nil {
		panic(err)
	}
	fmt.Println(strings.Count(page.String(), `<section class="lane"`), "lanes")
	// Output:
	// [checkout quotes]
	// 02:02 checkout deploy.marker checkout-c485faba820b71d6: 1.4.2
	// 02:14 quotes health.readiness readiness: pass → fail
	// 02:15 checkout breaker.state quotes.internal:443: closed → open
	// 02:21 checkout slo.incident checkout-availability-20261203T022100Z: open
	// 02:40 checkout slo.incident checkout-availability-20261203T022100Z: open → restored
	// 2 lanes
}
