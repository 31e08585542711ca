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
