package slo_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ybiyri/runkit/slo"
)

// testClock is a clock a test moves by hand.
type testClock struct {
	mu sync.Mutex // guards t
	t  time.Time
}

func newClock(t time.Time) *testClock { return &testClock{t: t} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// get fetches url through a real client and returns the status code.
func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// The middleware times requests on the tracker's clock and
// judges them by the tracker's latency threshold, so that its events and
// the ones recorded on the tracker directly share one timeline.
func TestMiddlewareUsesTrackerClockAndLatency(t *testing.T) {
	clock := newClock(t0)
	o := slo.Objective{Name: "api", Target: 0.99, Window: slo.Rolling(day)}
	tr := newTracker(t, o, slo.TrackerConfig{Latency: 10 * time.Millisecond, Now: clock.Now})
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			clock.Add(20 * time.Millisecond) // twice the tracker's threshold
		}
	})
	srv := httptest.NewServer(slo.Middleware(tr, slo.MiddlewareConfig{})(app))
	defer srv.Close()

	tr.Record(true) // on the tracker's clock, before any request
	if code := get(t, srv.URL+"/"); code != 200 {
		t.Fatalf("GET / = %d", code)
	}
	if code := get(t, srv.URL+"/slow"); code != 200 {
		t.Fatalf("GET /slow = %d", code)
	}
	tr.Record(true) // and after

	s := tr.Status()
	if s.Total != 4 || s.Good != 3 || s.Dropped != 0 {
		t.Errorf("after 2 direct events, a fast and a 20ms request against a 10ms threshold: good %d total %d dropped %d, want 3, 4, 0",
			s.Good, s.Total, s.Dropped)
	}
}

// The JSON names the window as the user wrote it, with the
// time zone of a calendar window and the bounds of the window reported on.
func TestReportWindowAsWritten(t *testing.T) {
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	clock := newClock(time.Date(2026, 2, 10, 12, 0, 0, 0, kolkata))
	tests := []struct {
		w            slo.Window
		window, zone string
		start, end   time.Time
	}{
		{slo.Rolling(30 * day), "30d", "", clock.Now().Add(-30 * day), clock.Now()},
		{slo.CalendarWindow(slo.Month, nil), "month", "UTC",
			time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},
		{slo.CalendarWindow(slo.Quarter, kolkata), "quarter", "Asia/Kolkata",
			time.Date(2026, 1, 1, 0, 0, 0, 0, kolkata), time.Date(2026, 4, 1, 0, 0, 0, 0, kolkata)},
	}
	for _, tt := range tests {
		o := slo.Objective{Name: "api", Target: 0.999, Window: tt.w}
		tr := newTracker(t, o, slo.TrackerConfig{Now: clock.Now})
		srv := httptest.NewServer(tr.Handler())
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		var r map[string]any
		err = json.NewDecoder(resp.Body).Decode(&r)
		resp.Body.Close()
		srv.Close()
		if err != nil {
			t.Fatal(err)
		}
		zone, _ := r["timeZone"].(string)
		start, _ := r["windowStart"].(string)
		end, _ := r["windowEnd"].(string)
		if r["window"] != tt.window || zone != tt.zone || start != tt.start.UTC().Format(time.RFC3339Nano) || end != tt.end.UTC().Format(time.RFC3339Nano) {
			t.Errorf("%v: window %q zone %q from %q to %q, want %q %q from %v to %v",
				tt.w, r["window"], zone, start, end, tt.window, tt.zone, tt.start.UTC(), tt.end.UTC())
		}
		if w, _ := r["window"].(string); w != "" {
			if _, err := slo.ParseWindow(w); err != nil {
				t.Errorf("ParseWindow(%q) from the report = %v", w, err)
			}
		}
	}
}
