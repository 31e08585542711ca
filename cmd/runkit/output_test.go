package main

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/ybiyri/runkit/deploy"
	"github.com/ybiyri/runkit/slo"
)

func TestHuman(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{500 * time.Microsecond, "500µs"},
		{864 * time.Millisecond, "864ms"},
		{43200 * time.Millisecond, "43.2s"},
		{302400 * time.Millisecond, "5m2.4s"},
		{50 * time.Hour, "2d2h"},
		{30 * 24 * time.Hour, "30d"},
		{90*time.Minute + 1500*time.Microsecond, "1h30m0.002s"},
		{-90 * time.Second, "-1m30s"},
		{slo.Forever, "never"},
	} {
		if got := human(c.d); got != c.want {
			t.Errorf("human(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestNum(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{
		{14.4, "14.4"},
		{0.0144 * 100, "1.44"},
		{0.07200000000000001, "0.072"},
		{1.0 / 3, "0.333333"},
		{3.010299956639812, "3.0103"},
		{1e-5, "0.00001"},
		{0, "0"},
		{-300, "-300"},
	} {
		if got := num(c.v); got != c.want {
			t.Errorf("num(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}

// FuzzParseReports checks that no answer a service sends makes the /slo
// parser panic, and that what it accepts is a usable status.
func FuzzParseReports(f *testing.F) {
	tr, err := slo.NewTracker(slo.Objective{Name: "checkout", Target: 0.999, Window: slo.Rolling(24 * time.Hour)}, slo.TrackerConfig{})
	if err != nil {
		f.Fatal(err)
	}
	tr.RecordN(990, 10)
	one, _ := json.Marshal(tr.Status())
	f.Add(one)
	f.Add([]byte("[" + string(one) + "," + string(one) + "]"))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`<html>`))
	f.Add([]byte(`{"target": 1.5, "window": "30d"}`))
	f.Add([]byte(`{"objective": "x", "noData": true, "budgetRemaining": 1, "target": 0.99, "window": "quarter"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		reports, err := parseReports(body)
		if err != nil {
			return
		}
		if len(reports) == 0 {
			t.Fatal("no error and no report")
		}
		for _, r := range reports {
			if !(r.Target > 0 && r.Target < 1) || r.Period == (slo.Window{}) {
				t.Fatalf("accepted %+v", r)
			}
		}
	})
}

// TestParseReportsShowsTheTrackersReport checks that what status prints
// with -o json is the report the tracker served, read through the gate's
// parser: a rolling and a calendar window, tiers firing and not.
func TestParseReportsShowsTheTrackersReport(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	var want []slo.TrackerStatus
	for _, o := range []slo.Objective{
		{Name: "checkout", Target: 0.999, Window: slo.Rolling(30 * 24 * time.Hour)},
		{Name: "search", Target: 0.99, Window: slo.CalendarWindow(slo.Month, berlin)},
	} {
		tr, err := slo.NewTracker(o, slo.TrackerConfig{})
		if err != nil {
			t.Fatal(err)
		}
		tr.RecordN(900, 100)
		r := tr.Status()
		// Through JSON, as the service sends it: times lose their
		// monotonic reading.
		b, _ := json.Marshal(r)
		r = slo.TrackerStatus{}
		json.Unmarshal(b, &r)
		want = append(want, r)
	}
	body, _ := json.Marshal(want)
	got, err := parseReports(body)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseReports =\n%+v\nwant the tracker's reports\n%+v", got, want)
	}
}

// FuzzParseIncident checks that no line of an incidents file makes the
// parser panic, and that what it accepts is an incident MeasureDORA takes.
func FuzzParseIncident(f *testing.F) {
	f.Add([]byte(`{"start":"2026-04-03T12:30:00Z","restored":"2026-04-03T13:10:00Z","cause":"checkout-1","id":"INC-1"}`))
	f.Add([]byte(`{"start":"2026-04-03T12:30:00Z","restored":null}`))
	f.Add([]byte(`{"start":"2026-04-03T12:30:00Z","restord":"2026-04-03T13:10:00Z"}`))
	f.Add([]byte(`{"start":"2026-04-03T13:00:00Z","restored":"2026-04-03T12:00:00Z"}`))
	f.Add([]byte(`{"start":"yesterday"}`))
	f.Add([]byte(`{} {}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, line []byte) {
		inc, err := parseIncident(line)
		if err != nil {
			return
		}
		if inc.Start.IsZero() {
			t.Fatalf("accepted %q with no start", line)
		}
		if inc.Restored != nil && inc.Restored.Before(inc.Start) {
			t.Fatalf("accepted %q restored before start", line)
		}
		d := deploy.Incident{Start: inc.Start, Restored: restored(inc), Cause: inc.Cause}
		if _, err := deploy.MeasureDORA(d.Start.Add(-time.Hour), d.Start.Add(time.Hour), nil, []deploy.Incident{d}); err != nil {
			t.Fatalf("MeasureDORA refuses what the parser accepted, %q: %v", line, err)
		}
	})
}

func TestTargetPercentKeepsEveryDigit(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want string
	}{
		{"99.99999", "99.99999%"},
		{"99.999999999", "99.999999999%"},
		{"99.9", "99.9%"},
		{"0.5", "50%"},
		{"0.001", "0.1%"},
		{"95", "95%"},
	} {
		v, err := slo.ParseTarget(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := targetPercent(v); got != tt.want {
			t.Errorf("targetPercent(ParseTarget(%q)) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
