package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ybiyri/runkit/deploy"
	"github.com/ybiyri/runkit/incident"
	"github.com/ybiyri/runkit/internal/htmlpage"
	"github.com/ybiyri/runkit/slo"
)

// runkit runs the command line in-process and returns its standard
// output, failing t on a non-zero exit.
func runkit(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("runkit %s: exit %d: %s", strings.Join(args, " "), code, stderr.String())
	}
	return stdout.String()
}

// cell returns the second cell of the draft's table row headed name.
func cell(t *testing.T, draft, name string) string {
	t.Helper()
	for l := range strings.Lines(draft) {
		if rest, ok := strings.CutPrefix(l, "| "+name+" | "); ok {
			return strings.TrimSuffix(strings.TrimSpace(rest), " |")
		}
	}
	t.Fatalf("no row %q in the draft:\n%s", name, draft)
	return ""
}

// Every number of the draft is the one the code it names computes: time
// to restore as runkit dora's JSON gives it, the impact as the service's
// tracker reports it and slo.AllowedDowntime bounds it, time to detect
// from the journal's event.
func TestPostmortemNumbersAgree(t *testing.T) {
	start := time.Date(2026, 12, 3, 2, 51, 0, 0, time.UTC)
	restored := start.Add(47*time.Minute + 13*time.Second)
	burn := start.Add(-2*time.Minute - 30*time.Second)

	// The tracker has watched its whole window: its budget is what it saw,
	// not projected from a restart.
	var sinceWindowStart atomic.Int64
	sinceWindowStart.Store(int64(-7 * 24 * time.Hour))
	tr, err := slo.NewTracker(slo.Objective{Name: "availability", Target: 0.995, Window: slo.Rolling(7 * 24 * time.Hour)},
		slo.TrackerConfig{Now: func() time.Time { return time.Now().Add(time.Duration(sinceWindowStart.Load())) }})
	if err != nil {
		t.Fatal(err)
	}
	sinceWindowStart.Store(0)
	if err := tr.RecordN(1_234_567, 2_345); err != nil {
		t.Fatal(err)
	}
	journal, err := incident.New(incident.Config{Service: "checkout"})
	if err != nil {
		t.Fatal(err)
	}
	defer journal.Close()
	journal.Record(context.Background(), incident.Event{Time: burn, Name: incident.SLOTier, Subject: "availability page 1h/5m", From: "ok", To: "firing", Severity: "page"})
	mux := http.NewServeMux()
	mux.Handle("GET /slo", tr.Handler())
	mux.Handle("GET /events", journal)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	dir := t.TempDir()
	marker := deploy.Marker{Service: "checkout", Environment: "production", Version: "1.4.2", Start: start.Add(-19 * time.Minute)}
	var markers bytes.Buffer
	deploy.Writer(&markers).Send(context.Background(), marker)
	deployments := filepath.Join(dir, "deployments.jsonl")
	os.WriteFile(deployments, markers.Bytes(), 0o644)
	rec := incident.Record{ID: "checkout-availability-20261203T025100Z", Start: start, Restored: &restored, SLO: "availability",
		Service: "checkout", Environment: "production", Severity: "page", Cause: marker.Deployment().ID}
	line, _ := json.Marshal(rec)
	incidents := filepath.Join(dir, "incidents.jsonl")
	os.WriteFile(incidents, append(line, '\n'), 0o644)

	draft := runkit(t, "postmortem", rec.ID, "--incidents", incidents, "--deployments", deployments,
		"--events", srv.URL+"/events", "--slo-status", srv.URL+"/slo")

	var dora struct {
		TimeToRestoreMedianSeconds float64
		FailedDeployments          int
	}
	if err := json.Unmarshal([]byte(runkit(t, "dora", "--deployments", deployments, "--incidents", incidents,
		"--since", "2026-12-01", "--until", "2026-12-04", "-o", "json")), &dora); err != nil {
		t.Fatal(err)
	}
	ttr := time.Duration(dora.TimeToRestoreMedianSeconds * float64(time.Second))
	if got, want := cell(t, draft, "Time to restore"), human(ttr)+", from the alert to the restore, as runkit dora counts it"; got != want {
		t.Errorf("time to restore %q, runkit dora says %q", got, want)
	}
	if dora.FailedDeployments != 1 {
		t.Errorf("runkit dora counts %d failed deployments, want the attributed one", dora.FailedDeployments)
	}
	if got, want := cell(t, draft, "Time to detect"), human(start.Sub(burn)); got != want {
		t.Errorf("time to detect %q, want %q from the journal", got, want)
	}

	st := tr.Status()
	if got, want := cell(t, draft, "Bad events"), htmlpage.Thousands(st.Total-st.Good)+" of "+htmlpage.Thousands(st.Total)+" ("+percent(st.ErrorRate)+")"; got != want {
		t.Errorf("bad events %q, the tracker says %q", got, want)
	}
	if got, want := cell(t, draft, "Error budget spent"), percent(st.Consumed)+" of the window's budget; "+percent(st.Remaining)+" left"; got != want {
		t.Errorf("budget spent %q, the tracker says %q", got, want)
	}
	allowed, err := slo.AllowedDowntime(0.995, 7*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	outage := time.Duration(st.Consumed * float64(allowed)).Round(time.Second)
	if got, want := cell(t, draft, "Equals"), human(outage)+" of full outage, of the "+human(allowed)+" the window allows"; got != want {
		t.Errorf("outage %q, want %q", got, want)
	}
	// The outage is the bad events at the window's average pace.
	pace := time.Duration(float64(st.Total-st.Good) / float64(st.Total) * float64(7*24*time.Hour)).Round(time.Second)
	if d := outage - pace; d < -time.Second || d > time.Second {
		t.Errorf("outage %v, but the bad events at the window's pace take %v", outage, pace)
	}
}
