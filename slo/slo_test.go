package slo_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/ybiyri/runkit/slo"
)

const day = 24 * time.Hour

func objective(t *testing.T, target float64, window time.Duration) slo.Objective {
	t.Helper()
	o := slo.Objective{Name: "api", Target: target, Window: slo.Rolling(window)}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestAllowedDowntimeTable(t *testing.T) {
	// Hand-computed: budget × window.
	tests := []struct {
		target string
		window time.Duration
		want   string
	}{
		{"99%", 28 * day, "6h43m12s"},
		{"99%", 30 * day, "7h12m0s"},
		{"99%", 91 * day, "21h50m24s"},
		{"99%", 365 * day, "87h36m0s"},
		{"99.9%", 28 * day, "40m19.2s"},
		{"99.9%", 30 * day, "43m12s"},
		{"99.9%", 91 * day, "2h11m2.4s"},
		{"99.9%", 365 * day, "8h45m36s"},
		{"99.95%", 28 * day, "20m9.6s"},
		{"99.95%", 30 * day, "21m36s"},
		{"99.95%", 91 * day, "1h5m31.2s"},
		{"99.95%", 365 * day, "4h22m48s"},
		{"99.99%", 28 * day, "4m1.92s"},
		{"99.99%", 30 * day, "4m19.2s"},
		{"99.99%", 91 * day, "13m6.24s"},
		{"99.99%", 365 * day, "52m33.6s"},
		{"99.999%", 28 * day, "24.192s"},
		{"99.999%", 30 * day, "25.92s"},
		{"99.999%", 91 * day, "1m18.624s"},
		{"99.999%", 365 * day, "5m15.36s"},
	}
	for _, tt := range tests {
		target, err := slo.ParseTarget(tt.target)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := slo.AllowedDowntime(target, tt.window); err != nil || got.String() != tt.want {
			t.Errorf("AllowedDowntime(%s, %v) = %s, want %s", tt.target, tt.window, got, tt.want)
		}
	}
}

func TestBudgetPrecision(t *testing.T) {
	for _, s := range []string{"99.9%", "99.9", "0.999"} {
		target, err := slo.ParseTarget(s)
		if err != nil {
			t.Fatal(err)
		}
		o := slo.Objective{Name: "x", Target: target, Window: slo.Rolling(30 * day)}
		if b := o.Budget(); b != 0.001 {
			t.Errorf("Budget of %s = %v, want exactly 0.001", s, b)
		}
		if n := o.Nines(); n != 3 {
			t.Errorf("Nines of %s = %v, want 3", s, n)
		}
	}
	if got := (slo.Objective{Target: 0.9995}).Nines(); math.Abs(got-3.30103) > 1e-5 {
		t.Errorf("Nines(0.9995) = %v", got)
	}
}

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		err  string
	}{
		{"99.9%", 0.999, ""},
		{"99.95", 0.9995, ""},
		{" 99.99 % ", 0.9999, ""},
		{"0.999", 0.999, ""},
		{"5%", 0.05, ""},
		{"1", 0.01, ""},
		{"100%", 0, "out of range"},
		{"100", 0, "out of range"},
		{"0", 0, "out of range"},
		{"-1%", 0, "out of range"},
		{"NaN", 0, "not a decimal number"},
		{"1e-3", 0, "not a decimal number"},
		{"", 0, "not a decimal number"},
		{"%", 0, "not a decimal number"},
		{"abc", 0, "not a decimal number"},
	}
	for _, tt := range tests {
		got, err := slo.ParseTarget(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), fmt.Sprintf("%q", tt.in)) {
				t.Errorf("ParseTarget(%q) = %v, %v; want an error naming the value and %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseTarget(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseWindow(t *testing.T) {
	tests := []struct {
		in   string
		want slo.Window
		err  bool
	}{
		{"30d", slo.Rolling(30 * day), false},
		{"4w", slo.Rolling(28 * day), false},
		{"6h", slo.Rolling(6 * time.Hour), false},
		{"1h30m", slo.Rolling(90 * time.Minute), false},
		{"1d12h", slo.Rolling(36 * time.Hour), false},
		{"500ms", slo.Rolling(500 * time.Millisecond), false},
		{"month", slo.CalendarWindow(slo.Month, nil), false},
		{"Quarter", slo.CalendarWindow(slo.Quarter, nil), false},
		{"year", slo.CalendarWindow(slo.Year, nil), false},
		{"", slo.Window{}, true},
		{"30", slo.Window{}, true},
		{"d", slo.Window{}, true},
		{"0d", slo.Window{}, true},
		{"1.5h", slo.Window{}, true},
		{"-1d", slo.Window{}, true},
		{"99999999999999999w", slo.Window{}, true},
		{"30x", slo.Window{}, true},
	}
	for _, tt := range tests {
		got, err := slo.ParseWindow(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseWindow(%q) = %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestValidate(t *testing.T) {
	w := slo.Rolling(30 * day)
	tests := []struct {
		o    slo.Objective
		want string
	}{
		{slo.Objective{Name: "a", Target: 1, Window: w}, "Target 1 out of range (0, 1)"},
		{slo.Objective{Name: "a", Target: 0, Window: w}, "Target 0 out of range"},
		{slo.Objective{Name: "a", Target: 1.2, Window: w}, "Target 1.2 out of range"},
		{slo.Objective{Name: "a", Target: math.NaN(), Window: w}, "Target NaN is not a number"},
		{slo.Objective{Name: "a", Target: math.Inf(1), Window: w}, "Target +Inf is not a number"},
		{slo.Objective{Name: "a", Target: 0.99}, "Window 0s is not positive"},
		{slo.Objective{Name: "a", Target: 0.99, Window: slo.Rolling(-day)}, "Window -24h0m0s is not positive"},
		{slo.Objective{Name: "a", Target: 0.99, Window: slo.Window{Rolling: day, Calendar: slo.Month}}, "sets both"},
		{slo.Objective{Name: "a", Target: 0.99, Window: w, Method: 9}, "Method Method(9) is unknown"},
		{slo.Objective{Name: "a", Target: 0.99, Window: w, Method: slo.Timeslices, SliceTarget: 2}, "SliceTarget 2 out of range"},
		{slo.Objective{Name: "a", Target: 0.99, Window: w, Method: slo.Timeslices, Slice: 7 * time.Minute}, "Slice 7m0s does not divide Window 30d"},
		{slo.Objective{Name: "a", Target: 0.99, Window: slo.CalendarWindow(slo.Month, nil), Method: slo.Timeslices, Slice: 7 * time.Minute}, "Slice 7m0s does not divide a day"},
	}
	for _, tt := range tests {
		err := tt.o.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate(%+v) = %v, want %q", tt.o, err, tt.want)
		}
	}
}

func TestEvaluate(t *testing.T) {
	o := objective(t, 0.999, 30*day)
	tests := []struct {
		good, total int64
		want        slo.Status
	}{
		{1_000_000, 1_000_000, slo.Status{SLI: 1, Remaining: 1, AllowedBad: 1000, ExhaustsIn: slo.Forever}},
		{999_500, 1_000_000, slo.Status{SLI: 0.9995, ErrorRate: 0.0005, AllowedBad: 1000, Consumed: 0.5, Remaining: 0.5, BurnRate: 0.5, ExhaustsIn: 30 * day}},
		// Missed: remaining goes negative and stays so.
		{997_000, 1_000_000, slo.Status{SLI: 0.997, ErrorRate: 0.003, AllowedBad: 1000, Consumed: 3, Remaining: -2, BurnRate: 3}},
		// A quiet night: no data, no NaN.
		{0, 0, slo.Status{NoData: true, SLI: 1, Remaining: 1, ExhaustsIn: slo.Forever}},
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	for _, tt := range tests {
		got, err := o.Evaluate(tt.good, tt.total)
		if err != nil {
			t.Fatal(err)
		}
		w := tt.want
		if got.NoData != w.NoData || !near(got.SLI, w.SLI) || !near(got.ErrorRate, w.ErrorRate) ||
			!near(got.AllowedBad, w.AllowedBad) || !near(got.Consumed, w.Consumed) || !near(got.Remaining, w.Remaining) ||
			!near(got.BurnRate, w.BurnRate) || (got.ExhaustsIn-w.ExhaustsIn).Abs() > time.Second {
			t.Errorf("Evaluate(%d, %d) = %+v, want %+v", tt.good, tt.total, got, w)
		}
		for _, v := range []float64{got.SLI, got.ErrorRate, got.Consumed, got.Remaining, got.BurnRate} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("Evaluate(%d, %d) has a NaN or Inf: %+v", tt.good, tt.total, got)
			}
		}
	}
	for _, bad := range [][2]int64{{-1, 10}, {5, -1}, {11, 10}} {
		if _, err := o.Evaluate(bad[0], bad[1]); err == nil {
			t.Errorf("Evaluate(%d, %d) = nil error", bad[0], bad[1])
		}
	}
	if got := o.AllowedBad(2_000_000); got != 2000 {
		t.Errorf("AllowedBad(2e6) = %v, want 2000", got)
	}
	if got, _ := slo.BurnRate(0.0144, 0.999); math.Abs(got-14.4) > 1e-9 {
		t.Errorf("BurnRate(0.0144, 0.999) = %v, want 14.4", got)
	}
}

func TestBurnRateThresholds(t *testing.T) {
	tests := []struct {
		window time.Duration
		want   []float64
	}{
		{30 * day, []float64{14.4, 6, 3, 1}},
		{28 * day, []float64{13.44, 5.6, 2.8, 0.933333333333}},
		{7 * day, []float64{3.36, 1.4, 0.7, 0.233333333333}},
	}
	for _, tt := range tests {
		for i, tier := range slo.DefaultPolicy().Tiers {
			if got := tier.Threshold(tt.window); got != tt.want[i] {
				t.Errorf("window %v tier %d threshold = %v, want %v", tt.window, i, got, tt.want[i])
			}
		}
	}
	shorts := []time.Duration{5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 6 * time.Hour}
	for i, tier := range slo.DefaultPolicy().Tiers {
		if tier.ShortWindow() != shorts[i] || tier.Long/12 != shorts[i] {
			t.Errorf("tier %d short window = %v, want %v = long/12", i, tier.ShortWindow(), shorts[i])
		}
	}
	if got := (slo.Tier{Long: time.Hour}).ShortWindow(); got != 5*time.Minute {
		t.Errorf("default short window of 1h = %v, want 5m", got)
	}
}

func TestPolicyValidate(t *testing.T) {
	// At 90%, 14.4 × 0.1 ≥ 1: the first tier can never fire.
	o := objective(t, 0.9, 30*day)
	err := slo.DefaultPolicy().Validate(o)
	if err == nil || !strings.Contains(err.Error(), "can never fire") || !strings.Contains(err.Error(), "14.4") {
		t.Errorf("Validate(default, 90%%) = %v, want a never-fires error naming 14.4", err)
	}
	if err := slo.DefaultPolicy().Validate(objective(t, 0.999, 30*day)); err != nil {
		t.Errorf("Validate(default, 99.9%%) = %v", err)
	}
	bad := []slo.Tier{
		{Long: time.Hour, BudgetShare: 0.02},
		{Severity: slo.Page, Long: 0, BudgetShare: 0.02},
		{Severity: slo.Page, Long: time.Hour, Short: 2 * time.Hour, BudgetShare: 0.02},
		{Severity: slo.Page, Long: time.Hour, BudgetShare: 0},
		{Severity: slo.Page, Long: time.Hour, BudgetShare: 1.5},
		{Severity: slo.Page, Long: 40 * day, BudgetShare: 0.5},
	}
	for _, tier := range bad {
		if err := (slo.Policy{Tiers: []slo.Tier{tier}}).Validate(objective(t, 0.999, 30*day)); err == nil {
			t.Errorf("Validate(%+v) = nil", tier)
		}
	}
	p := slo.DefaultPolicy()
	if _, err := slo.NewTracker(o, slo.TrackerConfig{Policy: &p}); err == nil {
		t.Error("NewTracker(90%, Policy: DefaultPolicy()) = nil error")
	}
}

func TestPolicyEvaluate(t *testing.T) {
	o := objective(t, 0.999, 30*day)
	rates := map[time.Duration]float64{
		time.Hour: 0.02, 5 * time.Minute: 0.03, // burn 20 and 30: page tier 1 fires
		6 * time.Hour: 0.004, 30 * time.Minute: 0.01, // long burn 4 < 6
		24 * time.Hour: 0.004, 2 * time.Hour: 0.0001, // long 4 > 3 but short 0.1: stopped
	}
	got := slo.DefaultPolicy().Evaluate(o, 30*day, func(d time.Duration) (float64, bool) {
		r, ok := rates[d]
		return r, ok
	})
	firing := []bool{true, false, false, false}
	reasons := []string{"both exceed 14.4", "is within 6", "the burn has stopped", "no data"}
	for i, r := range got {
		if r.Firing != firing[i] || !strings.Contains(r.Reason, reasons[i]) {
			t.Errorf("tier %d: firing %v (%s), want %v and %q", i, r.Firing, r.Reason, firing[i], reasons[i])
		}
	}
}

func TestCalendarWindows(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err) // time/tzdata is embedded, so this never depends on the machine
	}
	tests := []struct {
		w    slo.Window
		at   time.Time
		want time.Duration
	}{
		{slo.CalendarWindow(slo.Month, nil), time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC), 28 * day},
		{slo.CalendarWindow(slo.Month, nil), time.Date(2028, 2, 29, 23, 0, 0, 0, time.UTC), 29 * day},
		{slo.CalendarWindow(slo.Month, nil), time.Date(2026, 1, 31, 23, 59, 0, 0, time.UTC), 31 * day},
		{slo.CalendarWindow(slo.Month, nil), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), 30 * day},
		// March 2026 in Berlin loses an hour on the 29th.
		{slo.CalendarWindow(slo.Month, berlin), time.Date(2026, 3, 15, 12, 0, 0, 0, berlin), 31*day - time.Hour},
		{slo.CalendarWindow(slo.Month, berlin), time.Date(2026, 10, 15, 12, 0, 0, 0, berlin), 31*day + time.Hour},
		{slo.CalendarWindow(slo.Quarter, nil), time.Date(2026, 5, 5, 0, 0, 0, 0, time.UTC), 91 * day},
		{slo.CalendarWindow(slo.Year, nil), time.Date(2028, 7, 1, 0, 0, 0, 0, time.UTC), 366 * day},
	}
	for _, tt := range tests {
		if got := tt.w.Length(tt.at); got != tt.want {
			t.Errorf("%v.Length(%v) = %v, want %v", tt.w, tt.at, got, tt.want)
		}
	}
	// Midnight at the turn of a month belongs to the new month.
	start, end := slo.CalendarWindow(slo.Month, berlin).Bounds(time.Date(2026, 3, 1, 0, 0, 0, 0, berlin))
	if start != time.Date(2026, 3, 1, 0, 0, 0, 0, berlin) || end != time.Date(2026, 4, 1, 0, 0, 0, 0, berlin) {
		t.Errorf("Bounds(1 March) = %v, %v", start, end)
	}
	o := slo.Objective{Name: "m", Target: 0.999, Window: slo.CalendarWindow(slo.Month, nil)}
	if got := o.AllowedDowntime(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)); got != 40*time.Minute+19200*time.Millisecond {
		t.Errorf("AllowedDowntime(99.9%%, February) = %v, want 40m19.2s", got)
	}
}

// EvaluateSlices reports the burn rate over the elapsed
// slices, so 40 bad minutes in the first hour of a 30-day window exhaust
// the budget in minutes, not in 57h36m.
func TestEvaluateSlicesBurnRateOverElapsedSlices(t *testing.T) {
	o := slo.Objective{Name: "api", Target: 0.999, Window: slo.Rolling(30 * day), Method: slo.Timeslices}
	s, err := o.EvaluateSlices(40, 60, 43200)
	if err != nil {
		t.Fatal(err)
	}
	// Error rate 40/60, burn 666.7; 1 - 40/43.2 of the budget remains and
	// lasts 0.0741 / 666.7 × 720h = 4m48s.
	if want := (40.0 / 60) / 0.001; math.Abs(s.BurnRate-want) > 1e-9 || s.Total != 60 || s.Good != 20 {
		t.Errorf("EvaluateSlices(40, 60, 43200): burn %v, %d/%d; want %v, 20/60", s.BurnRate, s.Good, s.Total, want)
	}
	if math.Abs(s.Consumed-40/43.2) > 1e-12 {
		t.Errorf("consumed %v, want %v: the budget is a share of the whole window", s.Consumed, 40/43.2)
	}
	if want := 4*time.Minute + 48*time.Second; (s.ExhaustsIn - want).Abs() > time.Second {
		t.Errorf("ExhaustsIn = %v, want %v", s.ExhaustsIn, want)
	}
	if s, err := o.EvaluateSlices(0, 0, 43200); err != nil || !s.NoData || s.Remaining != 1 {
		t.Errorf("EvaluateSlices(0, 0, 43200) = %+v, %v; want no data", s, err)
	}
	for _, c := range [][3]int64{{-1, 5, 10}, {6, 5, 10}, {1, 11, 10}} {
		if _, err := o.EvaluateSlices(c[0], c[1], c[2]); err == nil {
			t.Errorf("EvaluateSlices%v = nil error", c)
		}
	}
}
