package deploy_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ybiyri/runkit/deploy"
)

func TestIDIsDeterministic(t *testing.T) {
	id := deploy.ID("checkout", "production", "1.4.2", "abc123")
	// The algorithm is documented, so the value is a promise: the SHA-256
	// of the four fields as netstrings, its first 16 hex digits after the
	// service. printf '8:checkout,10:production,5:1.4.2,6:abc123,' | sha256sum
	if id != "checkout-21fa4e2e454d71f7" {
		t.Errorf("ID = %q", id)
	}
	if again := deploy.ID("checkout", "production", "1.4.2", "abc123"); again != id {
		t.Errorf("ID changed between calls: %q, %q", id, again)
	}
	others := [][4]string{
		{"checkout", "staging", "1.4.2", "abc123"},
		{"checkout", "production", "1.4.3", "abc123"},
		{"checkout", "production", "1.4.2", "abc124"},
		{"checkoutproduction", "", "1.4.2", "abc123"},
		{"checkout", "production1.4.2", "", "abc123"},
	}
	seen := map[string]bool{id: true}
	for _, o := range others {
		got := deploy.ID(o[0], o[1], o[2], o[3])
		if seen[got] {
			t.Errorf("ID%q = %q, the same as another deployment's", o, got)
		}
		seen[got] = true
	}
}

// TestTwentyRestartsAreOneDeployment wires it as a service does: every
// replica announces itself at start-up with a marker from its build, to a
// Writer; the pipeline reads the lines back and measures DORA.
func TestTwentyRestartsAreOneDeployment(t *testing.T) {
	var log bytes.Buffer
	first := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	var ids []string
	for replica := range 20 {
		now := first.Add(time.Duration(replica) * time.Minute)
		a := &deploy.Announcer{Sinks: []deploy.Sink{deploy.Writer(&log)}, Now: func() time.Time { return now }}
		res, err := a.Announce(context.Background(), deploy.Marker{Service: "checkout", Environment: "production", Version: "1.4.2", Revision: "abc123"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res[0].Marker.ID)
	}
	// A second version, deployed later by two replicas.
	for replica := range 2 {
		now := first.Add(time.Duration(24+replica) * time.Hour)
		a := &deploy.Announcer{Sinks: []deploy.Sink{deploy.Writer(&log)}, Now: func() time.Time { return now }}
		a.Announce(context.Background(), deploy.Marker{Service: "checkout", Environment: "production", Version: "1.4.3", Revision: "def456", Failed: replica == 1})
	}
	for _, id := range ids {
		if id != deploy.ID("checkout", "production", "1.4.2", "abc123") {
			t.Fatalf("marker IDs %q: want the deployment's ID every time", ids)
		}
	}
	markers, err := deploy.ReadMarkers(&log)
	if err != nil || len(markers) != 22 {
		t.Fatalf("ReadMarkers = %d markers, %v; want 22", len(markers), err)
	}
	var deps []deploy.Deployment
	for _, m := range markers {
		deps = append(deps, m.Deployment())
	}
	d, err := deploy.MeasureDORA(first.Add(-time.Hour), first.Add(47*time.Hour), deps, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.Deployments != 2 || d.Duplicates != 20 {
		t.Errorf("20 restarts of 1.4.2 and 2 of 1.4.3 counted as %d deployments, %d duplicates; want 2 and 20", d.Deployments, d.Duplicates)
	}
	if d.ChangeFailureRate != 0.5 {
		t.Errorf("change failure rate %v, want 0.5: a later marker of 1.4.3 says it failed", d.ChangeFailureRate)
	}
	// The first marker's time is the deployment's: a period that starts
	// after it does not count 1.4.2 again from a later restart.
	d, _ = deploy.MeasureDORA(first.Add(time.Minute), first.Add(47*time.Hour), deps, nil)
	if d.Deployments != 1 {
		t.Errorf("from a minute after the first marker: %d deployments, want 1 (1.4.3 only)", d.Deployments)
	}
}

func TestDuplicatesFirstSeenWins(t *testing.T) {
	// Out of order: the earliest time wins, whatever the order given.
	deps := []deploy.Deployment{
		{ID: "a", Time: at(5), Commits: []time.Time{at(1)}},
		{ID: "a", Time: at(3), Commits: []time.Time{at(1), at(2)}},
		{ID: "a", Time: at(4)},
		{Time: at(6)}, {Time: at(6)}, // no ID: nothing to tell them apart by, so two
	}
	d, err := deploy.MeasureDORA(day0, at(24), deps, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Lead times from 3h: commits at 1h and 2h, each once.
	if d.Deployments != 3 || d.Duplicates != 2 || d.Changes != 2 || d.LeadTimeMedian != 90*time.Minute {
		t.Errorf("deployments %d duplicates %d changes %d lead %v; want 3, 2, 2, 1h30m", d.Deployments, d.Duplicates, d.Changes, d.LeadTimeMedian)
	}
	// A duplicate whose commits come after the first-seen time is wrong.
	_, err = deploy.MeasureDORA(day0, at(24), []deploy.Deployment{{ID: "a", Time: at(3)}, {ID: "a", Time: at(5), Commits: []time.Time{at(4)}}}, nil)
	if err == nil || !strings.Contains(err.Error(), `"a"`) {
		t.Errorf("commit after the first-seen time: %v", err)
	}
}
