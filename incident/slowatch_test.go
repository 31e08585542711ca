package incident_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ybiyri/runkit/deploy"
	"github.com/ybiyri/runkit/health"
	"github.com/ybiyri/runkit/incident"
	"github.com/ybiyri/runkit/slo"
)

// A tracker read on a simulated clock: the budget crosses 50% and 25%,
// an event from the future is refused, data ends when the window rolls
// past the last event, and a reading that finds nothing new records
// nothing.
func TestTrackerEvents(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 3, 0, 0, 0, time.UTC)
	now := t0.Add(-time.Hour) // the tracker has watched a whole window by t0
	clock := func() time.Time { return now }
	tracker, err := slo.NewTracker(slo.Objective{Name: "search", Target: 0.9, Window: slo.Rolling(time.Hour)}, slo.TrackerConfig{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	now = t0
	j := newJournal(t, incident.Config{Now: clock})
	if err := j.WatchTracker(tracker); err != nil {
		t.Fatal(err)
	}
	j.EvaluateAt(now) // a fresh tracker: nothing to say
	tracker.RecordN(100, 5)
	j.EvaluateAt(now) // 52% left
	j.EvaluateAt(now)
	tracker.RecordN(0, 1)
	j.EvaluateAt(now) // 43%
	tracker.RecordN(0, 3)
	j.EvaluateAt(now) // 17%
	tracker.RecordAt(now.Add(2*time.Hour), false)
	j.EvaluateAt(now)
	now = now.Add(2 * time.Hour)
	j.EvaluateAt(now)
	want := []string{
		"slo.nodata search: no data → data (events recorded)",
		"slo.budget search: over 50% → 50% or less (43.40% of the budget remains)",
		"slo.budget search: 50% or less → 25% or less (17.43% of the budget remains)",
		"slo.future search: 0 → 1 (1 events refused for being more than 1m0s past the clock)",
		"slo.nodata search: data → no data (no events in the window)",
	}
	if diff := cmp.Diff(want, lines(j.Events(incident.Filter{}))); diff != "" {
		t.Errorf("journal (-want +got):\n%s", diff)
	}
	if err := j.WatchTracker(nil); err == nil {
		t.Error("WatchTracker(nil) returned no error")
	}
}

// A service that starts healthy records no readiness event; one that
// starts failing records it once readiness is known.
func TestReadinessAtStart(t *testing.T) {
	for _, c := range []struct {
		name string
		fail bool
		want []string
	}{
		{"healthy", false, []string{"health.check db: unknown → pass"}},
		{"failing", true, []string{"health.check db: unknown → fail (refused)", "health.readiness readiness: unknown → fail (check db fail)"}},
	} {
		synctest.Test(t, func(t *testing.T) {
			j := newJournal(t, incident.Config{})
			checker := health.New()
			defer checker.Close()
			checker.Register(health.Check{Name: "db", Func: func(context.Context) error {
				if c.fail {
					return errors.New("refused")
				}
				return nil
			}})
			defer j.WatchHealth(checker)()
			checker.Evaluate(t.Context(), health.Readiness)
			synctest.Wait() // the listener runs on the run's goroutine
			if diff := cmp.Diff(c.want, lines(j.Events(incident.Filter{}))); diff != "" {
				t.Errorf("%s: journal (-want +got):\n%s", c.name, diff)
			}
		})
	}
}

// Watch wires the checker, the trackers, the announcer and the start in
// one call.
func TestWatchAll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		j := newJournal(t, incident.Config{})
		checker := health.New()
		defer checker.Close()
		tracker, _ := slo.NewTracker(slo.Objective{Name: "search", Target: 0.9, Window: slo.Rolling(time.Hour)}, slo.TrackerConfig{})
		ann := &deploy.Announcer{}
		if _, err := j.Watch(incident.Sources{Trackers: []*slo.Tracker{nil}}); err == nil || !strings.Contains(err.Error(), "Sources.Trackers[0] is nil") {
			t.Errorf("Watch of a nil tracker: %v", err)
		}
		cancel, err := j.Watch(incident.Sources{Health: checker, Trackers: []*slo.Tracker{tracker}, Announcer: ann, Start: &marker})
		if err != nil {
			t.Fatal(err)
		}
		defer cancel()
		checker.Register(health.Check{Name: "db", Func: func(context.Context) error { return errors.New("refused") }})
		checker.Evaluate(t.Context(), health.Readiness)
		synctest.Wait()
		tracker.RecordN(1, 0)
		j.EvaluateAt(time.Now())
		if _, err := ann.Announce(t.Context(), marker); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range j.Events(incident.Filter{}) {
			names = append(names, e.Name)
		}
		want := []string{incident.DeployStart, incident.HealthCheck, incident.HealthProbe, incident.SLONoData, incident.DeployMarker}
		if diff := cmp.Diff(want, names); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
		j.Close()
		if _, err := j.Watch(incident.Sources{}); !errors.Is(err, incident.ErrClosed) {
			t.Errorf("Watch after Close: %v, want ErrClosed", err)
		}
	})
}
