package incident_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/ybiyri/runkit/breaker"
	"github.com/ybiyri/runkit/deploy"
	"github.com/ybiyri/runkit/health"
	"github.com/ybiyri/runkit/incident"
	"github.com/ybiyri/runkit/internal/pipenet"
	"github.com/ybiyri/runkit/slo"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newJournal(t testing.TB, cfg incident.Config) *incident.Journal {
	t.Helper()
	if cfg.Service == "" {
		cfg.Service = "checkout"
	}
	if cfg.Instance == "" {
		cfg.Instance = "checkout-7f9c"
	}
	j, err := incident.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

// line is an event as the tests compare it.
func line(e incident.Event) string {
	s := fmt.Sprintf("%s %s: %s → %s", e.Name, e.Subject, e.From, e.To)
	if e.Severity != "" {
		s += " [" + e.Severity + "]"
	}
	if e.Cause != "" {
		s += " (" + e.Cause + ")"
	}
	if e.Count > 0 {
		s += fmt.Sprintf(" ×%d", e.Count)
	}
	return s
}

func lines(es []incident.Event) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = line(e)
	}
	return out
}

var marker = deploy.Marker{Service: "checkout", Environment: "prod", Version: "1.4.2", Revision: "9f2c1e7"}

// getEvents reads /events through a client, as an operator's script does.
func getEvents(t *testing.T, client *http.Client, url string) []incident.Event {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/jsonl; charset=utf-8" {
		t.Fatalf("GET %s: %s, Content-Type %q", url, resp.Status, resp.Header.Get("Content-Type"))
	}
	var out []incident.Event
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var e incident.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

// The journal holds, in order, what the real components did: a deploy
// announced, a check failing and readiness warning, a Transport's breaker
// opening, a tracker's tiers firing, draining, shutdown; /events serves
// it as JSON lines.
func TestJournalThroughRealPaths(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		j := newJournal(t, incident.Config{})
		n := pipenet.New(t)

		j.Started(marker)
		ann := &deploy.Announcer{Sinks: []deploy.Sink{j.Sink()}}
		if _, err := ann.Announce(t.Context(), marker); err != nil {
			t.Fatal(err)
		}

		checker := health.New()
		defer checker.Close()
		defer j.WatchHealth(checker)()
		var failing atomic.Bool
		checker.Register(health.Check{Name: "inventory", Severity: health.NonCritical, Func: func(context.Context) error {
			if failing.Load() {
				return errors.New("inventory: connection reset by peer")
			}
			return nil
		}})
		checker.Evaluate(t.Context(), health.Readiness)
		synctest.Wait()
		failing.Store(true)
		time.Sleep(2 * time.Second) // past the check's cache
		checker.Evaluate(t.Context(), health.Readiness)
		synctest.Wait()

		upstream := n.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "down", http.StatusInternalServerError)
		}))
		client := &http.Client{Transport: &breaker.Transport{Base: n.Transport,
			Config: breaker.Config{ConsecutiveFailures: 3, OnChange: j.BreakerChange}}}
		for range 4 {
			if resp, err := client.Get(upstream); err == nil {
				resp.Body.Close()
			}
		}

		// The tracker has watched its whole window, so the budget is judged
		// on what it saw rather than projected from a restart.
		var sinceWindowStart atomic.Int64
		sinceWindowStart.Store(int64(-30 * 24 * time.Hour))
		tracker, err := slo.NewTracker(slo.Objective{Name: "checkout-availability", Target: 0.999, Window: slo.Rolling(30 * 24 * time.Hour)},
			slo.TrackerConfig{Now: func() time.Time { return time.Now().Add(time.Duration(sinceWindowStart.Load())) }})
		if err != nil {
			t.Fatal(err)
		}
		sinceWindowStart.Store(0)
		if err := j.WatchTracker(tracker); err != nil {
			t.Fatal(err)
		}
		tracker.RecordN(900, 100)
		j.EvaluateAt(time.Now())
		tiers := tracker.StatusAt(time.Now()).Tiers // their reasons are the tracker's

		checker.Drain()
		synctest.Wait()
		j.Stopping(marker, "SIGTERM")

		id := deploy.ID("checkout", "prod", "1.4.2", "9f2c1e7")
		host := upstream[len("http://"):]
		want := []string{
			"deploy.start " + id + ":  → 1.4.2 (revision 9f2c1e7, environment prod)",
			"deploy.marker " + id + ":  → 1.4.2 (revision 9f2c1e7, environment prod)",
			"health.check inventory: unknown → pass",
			"health.check inventory: pass → fail (inventory: connection reset by peer)",
			"health.readiness readiness: pass → warn (check inventory fail)",
			"breaker.state " + host + ": closed → open (consecutive failures)",
			"slo.nodata checkout-availability: no data → data (events recorded)",
			"slo.tier checkout-availability page 1h/5m: ok → firing [page] (" + tiers[0].Reason + ")",
			"slo.tier checkout-availability page 6h/30m: ok → firing [page] (" + tiers[1].Reason + ")",
			"slo.tier checkout-availability ticket 1d/2h: ok → firing [ticket] (" + tiers[2].Reason + ")",
			"slo.tier checkout-availability ticket 3d/6h: ok → firing [ticket] (" + tiers[3].Reason + ")",
			"slo.budget checkout-availability: over 50% → spent (-9900.00% of the budget remains)",
			"health.drain readiness: pass → fail (draining)",
			"health.readiness readiness: warn → fail (draining)",
			"deploy.shutdown " + id + ": 1.4.2 →  (SIGTERM)",
		}
		got := j.Events(incident.Filter{})
		if diff := cmp.Diff(want, lines(got)); diff != "" {
			t.Errorf("journal (-want +got):\n%s", diff)
		}
		for i, e := range got {
			if e.Seq != uint64(i+1) || e.Service != "checkout" || e.Instance != "checkout-7f9c" || e.Time.IsZero() || string(e.Kind) == "" {
				t.Errorf("event %d: %+v: want seq %d, service, instance, time and kind", i, e, i+1)
			}
		}

		url := n.Serve(t, j)
		web := &http.Client{Transport: n.Transport}
		if diff := cmp.Diff(got, getEvents(t, web, url+"/events")); diff != "" {
			t.Errorf("/events differs from Events (-journal +served):\n%s", diff)
		}
		breakers := getEvents(t, web, url+"/events?kind=breaker,deploy&since=1h")
		if diff := cmp.Diff([]string{want[0], want[1], want[5], want[14]}, lines(breakers)); diff != "" {
			t.Errorf("/events?kind=breaker,deploy (-want +got):\n%s", diff)
		}
	})
}
