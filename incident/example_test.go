package incident_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"time"

	"github.com/ybiyri/runkit/breaker"
	"github.com/ybiyri/runkit/incident"
)

// A journal on a test clock: a breaker opens, and /events serves it as a
// JSON line.
func ExampleJournal() {
	now := time.Date(2026, 12, 3, 3, 0, 0, 0, time.UTC)
	journal, err := incident.New(incident.Config{Service: "checkout", Instance: "checkout-7f9c", Now: func() time.Time { return now }})
	if err != nil {
		panic(err)
	}
	defer journal.Close()
	b, _ := breaker.New[int](breaker.Config{Name: "payments", ConsecutiveFailures: 1, OnChange: journal.BreakerChange})
	b.Execute(context.Background(), func(context.Context) (int, error) { return 0, fmt.Errorf("connection refused") })

	srv := httptest.NewServer(journal)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/events?kind=breaker")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	io.Copy(os.Stdout, resp.Body)
	// Output:
	// {"seq":1,"time":"2026-12-03T03:00:00Z","service":"checkout","instance":"checkout-7f9c","kind":"breaker","name":"breaker.state","subject":"payments","from":"closed","to":"open","cause":"consecutive failures"}
}

// A flapping subject is summarised: the first FlapLimit changes in the
// window, then one event with a count.
func ExampleConfig_flapLimit() {
	now := time.Date(2026, 12, 3, 3, 0, 0, 0, time.UTC)
	journal, _ := incident.New(incident.Config{FlapLimit: 2, Now: func() time.Time { return now }})
	for i := range 6 {
		to := []string{"open", "closed"}[i%2]
		journal.Record(context.Background(), incident.Event{Name: incident.BreakerState, Subject: "payments", To: to})
	}
	journal.EvaluateAt(now.Add(incident.DefaultFlapWindow)) // the window ends
	for _, e := range journal.Events(incident.Filter{}) {
		fmt.Println(e)
	}
	journal.Close()
	// Output:
	// breaker.state payments: open
	// breaker.state payments: closed
	// breaker.state payments: closed (flapping: 4 changes after the first 2 in 1m0s summarised; the last took it to closed) ×4
}

func ExampleEvent_String() {
	e := incident.Event{Name: incident.BreakerState, Subject: "api.example:443", From: "closed", To: "open", Cause: "failure ratio"}
	fmt.Println(e)
	// Output: breaker.state api.example:443: closed → open (failure ratio)
}

func ExampleParseFilter() {
	now := time.Date(2026, 12, 3, 3, 0, 0, 0, time.UTC)
	q, _ := url.ParseQuery("since=15m&kind=breaker,slo")
	f, err := incident.ParseFilter(q, now)
	fmt.Println(f.Since.Format(time.RFC3339), f.Kinds, err)
	_, err = incident.ParseFilter(url.Values{"kind": {"breakers"}}, now)
	fmt.Println(err)
	// Output:
	// 2026-12-03T02:45:00Z [breaker slo] <nil>
	// incident: kind "breakers" is none of deploy, health, breaker, slo, process
}

// The flight recorder writes a snapshot when the service asks, and when
// the journal's events fire a trigger.
func ExampleRecorder() {
	dir, _ := os.MkdirTemp("", "snapshots")
	defer os.RemoveAll(dir)
	rec, err := incident.NewRecorder(incident.RecorderConfig{Dir: dir})
	if err != nil {
		panic(err)
	}
	defer rec.Close(context.Background())
	s, err := rec.Snapshot(context.Background(), "latency above 2s")
	if err != nil {
		panic(err)
	}
	fmt.Println(s.Trigger, s.Reason, len(s.Files))
	_, err = incident.NewRecorder(incident.RecorderConfig{Dir: dir})
	fmt.Println(err)
	// Output:
	// manual latency above 2s 5
	// incident: a flight recorder is already running in this process
}
