package slo_test

import (
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ybiyri/runkit/internal/htmltest"
	"github.com/ybiyri/runkit/slo"
)

var t0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// newTracker returns a tracker for o. Unless cfg sets a clock, the clock
// stands at t0 plus a year, so that events at simulated times after t0 are
// never refused as ahead of it, whatever the date the test runs.
func newTracker(t testing.TB, o slo.Objective, cfg slo.TrackerConfig) *slo.Tracker {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return t0.Add(365 * day) }
	}
	tr, err := slo.NewTracker(o, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// newTrackerSince returns a tracker for o made when its clock stood at
// since, as a tracker that has run since then; its clock then is cfg.Now,
// or stands at t0 plus a year as newTracker's does.
func newTrackerSince(t testing.TB, o slo.Objective, cfg slo.TrackerConfig, since time.Time) *slo.Tracker {
	t.Helper()
	now := cfg.Now
	if now == nil {
		now = func() time.Time { return t0.Add(365 * day) }
	}
	made := false
	cfg.Now = func() time.Time {
		if !made {
			return since
		}
		return now()
	}
	tr := newTracker(t, o, cfg)
	made = true
	return tr
}

func TestTrackerCountsAndWindows(t *testing.T) {
	o := slo.Objective{Name: "api", Target: 0.999, Window: slo.Rolling(30 * day)}
	tr := newTracker(t, o, slo.TrackerConfig{})
	// One day of traffic: 1000 good a minute, and in the last ten
	// minutes 100 bad a minute.
	for m := range 24 * 60 {
		at := t0.Add(time.Duration(m) * time.Minute)
		tr.RecordNAt(at, 1000, 0)
		if m >= 24*60-10 {
			tr.RecordNAt(at, 0, 100)
		}
	}
	now := t0.Add(day - time.Second)
	s := tr.StatusAt(now)
	if s.Good != 1_440_000 || s.Total != 1_441_000 {
		t.Errorf("counts = %d/%d, want 1440000/1441000", s.Good, s.Total)
	}
	if r, ok := tr.ErrorRateAt(now, 5*time.Minute); !ok || r != 100.0/1100 {
		t.Errorf("ErrorRate(5m) = %v, %v; want 100/1100", r, ok)
	}
	if r, ok := tr.ErrorRateAt(now, time.Hour); !ok || r != 1000.0/61000 {
		t.Errorf("ErrorRate(1h) = %v, %v; want 1000/61000", r, ok)
	}
	// The 1h and 6h page tiers: 1h burn 16.4 > 14.4 and 5m burn 90.9 > 14.4.
	if !s.Tiers[0].Firing || !s.Firing(slo.Page) {
		t.Errorf("page tier 1 = %+v, want firing", s.Tiers[0])
	}
	if s.Tiers[1].Firing {
		t.Errorf("page tier 2 = %+v, want quiet (6h burn %v < 6)", s.Tiers[1], s.Tiers[1].LongBurn)
	}
	// A month later everything has left the window.
	later := tr.StatusAt(t0.Add(31 * day))
	if !later.NoData || later.Remaining != 1 || later.ExhaustsIn != slo.Forever {
		t.Errorf("status after the window = %+v, want no data", later.Status)
	}
	if _, ok := tr.ErrorRateAt(t0.Add(31*day), time.Hour); ok {
		t.Error("ErrorRate over an empty hour reported data")
	}
}

func TestTrackerOutOfOrderAndTooOld(t *testing.T) {
	o := slo.Objective{Name: "api", Target: 0.99, Window: slo.Rolling(time.Hour)}
	tr := newTracker(t, o, slo.TrackerConfig{Policy: &slo.Policy{Tiers: []slo.Tier{{Severity: slo.Page, Long: 30 * time.Minute, BudgetShare: 0.5}}}})
	tr.RecordAt(t0.Add(50*time.Minute), true)
	tr.RecordAt(t0.Add(20*time.Minute), false) // out of order, within the window
	tr.RecordAt(t0.Add(-20*time.Minute), true) // 70 minutes older than the newest
	tr.RecordAt(t0.Add(-2*time.Hour), false)   // far too old
	s := tr.StatusAt(t0.Add(55 * time.Minute))
	if s.Good != 1 || s.Total != 2 || s.Dropped != 2 || tr.Dropped() != 2 {
		t.Errorf("good %d total %d dropped %d, want 1, 2, 2", s.Good, s.Total, s.Dropped)
	}
}

func TestTrackerConcurrentExact(t *testing.T) {
	o := slo.Objective{Name: "api", Target: 0.999, Window: slo.Rolling(day)}
	tr := newTracker(t, o, slo.TrackerConfig{})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 5000 {
				// Spread over buckets so that goroutines race on claims.
				at := t0.Add(time.Duration(i%120) * time.Minute)
				tr.RecordAt(at, (i+g)%10 != 0)
			}
		})
	}
	wg.Wait()
	s := tr.StatusAt(t0.Add(2 * time.Hour))
	if s.Total != 40000 || s.Total-s.Good != 4000 {
		t.Errorf("after 40000 concurrent events: good %d total %d, want 36000/40000", s.Good, s.Total)
	}
}

func TestTimeslicesVersusOccurrences(t *testing.T) {
	// OpenSLO's point: one day into a 30-day window, a ten-minute full
	// outage has burned several times the occurrences budget (the events
	// seen so far are few) but little of the timeslice budget, which is a
	// share of all 43,200 minutes of the window.
	occ := slo.Objective{Name: "occ", Target: 0.999, Window: slo.Rolling(30 * day)}
	ts := occ
	ts.Name, ts.Method = "ts", slo.Timeslices
	// The occurrences tracker has run the whole window, a day of it
	// with traffic: the events it saw are all the window holds.
	trO := newTrackerSince(t, occ, slo.TrackerConfig{}, t0.Add(-29*day))
	trT := newTracker(t, ts, slo.TrackerConfig{})
	for m := range 24 * 60 {
		at := t0.Add(time.Duration(m) * time.Minute)
		for _, tr := range []*slo.Tracker{trO, trT} {
			if m >= 600 && m < 610 {
				tr.RecordNAt(at, 0, 100)
			} else {
				tr.RecordNAt(at, 100, 0)
			}
		}
	}
	now := t0.Add(day - time.Second)
	so, st := trO.StatusAt(now), trT.StatusAt(now)
	// Occurrences: 1000 bad of 144000, budget 0.001 → 6.94 budgets.
	if so.Consumed < 6.9 || so.Consumed > 7 || so.Remaining > -5.9 {
		t.Errorf("occurrences consumed %v, remaining %v; want about 6.94 and -5.94", so.Consumed, so.Remaining)
	}
	// Timeslices: 10 bad slices of 43200, 43.2 allowed → 23%.
	// Total is the 1440 slices seen so far.
	if st.Total != 1440 || st.Good != 1430 || st.Consumed < 0.231 || st.Consumed > 0.232 {
		t.Errorf("timeslices %d/%d consumed %v, want 1430/1440 and 0.2315", st.Good, st.Total, st.Consumed)
	}
	if _, err := slo.NewTracker(ts, slo.TrackerConfig{Resolution: 5 * time.Minute}); err == nil {
		t.Error("NewTracker with a Resolution unlike the Slice = nil error")
	}
	if s, err := ts.EvaluateSlices(10, 1440, 43200); err != nil || s.Consumed != st.Consumed || s.BurnRate != st.BurnRate {
		t.Errorf("EvaluateSlices(10, 1440, 43200) = consumed %v burn %v, %v; want %v and %v", s.Consumed, s.BurnRate, err, st.Consumed, st.BurnRate)
	}
}

func TestTrackerCalendarMonth(t *testing.T) {
	o := slo.Objective{Name: "m", Target: 0.99, Window: slo.CalendarWindow(slo.Month, nil)}
	tr := newTracker(t, o, slo.TrackerConfig{Resolution: time.Hour})
	feb := time.Date(2026, 2, 27, 12, 0, 0, 0, time.UTC)
	tr.RecordNAt(feb, 90, 10)
	// Still February: counted, over a 28-day window.
	if s := tr.StatusAt(time.Date(2026, 2, 28, 23, 0, 0, 0, time.UTC)); s.Total != 100 || s.Window != 28*day {
		t.Errorf("end of February: total %d window %v", s.Total, s.Window)
	}
	// March has begun: February's events are not in this month's window.
	if s := tr.StatusAt(time.Date(2026, 3, 1, 0, 30, 0, 0, time.UTC)); !s.NoData || s.Window != 31*day {
		t.Errorf("1 March: %+v window %v, want no data over 31 days", s.Status, s.Window)
	}
}

// TestTrackerMemory keeps TrackerConfig.Resolution's sentence: a 30-day
// objective at one minute with the default policy holds 1,946 buckets,
// 46,704 bytes, and takes under 60,000 bytes in all, within 64 KiB; a
// 1-day objective keeps one ring of one-minute buckets.
func TestTrackerMemory(t *testing.T) {
	o := slo.Objective{Name: "api", Target: 0.999, Window: slo.Rolling(30 * day)}
	const buckets = 360 + 865 + 721 // 6h at 1m, 3d at 5m, 30d at 1h, and one more at each coarse level
	if size := buckets * 24; size != 46_704 || size > 1<<20 {
		t.Errorf("30d/1m buckets = %d bytes, want 46,704", size)
	}
	grown := trackerBytes(t, o)
	if grown > 60_000 || grown > 64<<10 {
		t.Errorf("NewTracker(30d, 1m) allocated %d bytes, want under 60,000, within 64 KiB", grown)
	}
	t.Logf("a 30d/1m tracker takes %d bytes", grown)
	o.Window = slo.Rolling(day)
	if grown := trackerBytes(t, o); grown < 1440*24 {
		t.Errorf("NewTracker(1d, 1m) allocated %d bytes, less than a ring of 1,440 buckets", grown)
	}
}

// trackerBytes returns the bytes NewTracker allocates for o.
func trackerBytes(t *testing.T, o slo.Objective) uint64 {
	var before, after runtimeMem
	before.read()
	tr := newTracker(t, o, slo.TrackerConfig{})
	after.read()
	tr.Record(true)
	return after.alloc - before.alloc
}

func TestTrackerRejectsBadConfig(t *testing.T) {
	o := slo.Objective{Name: "api", Target: 0.999, Window: slo.Rolling(30 * day)}
	for _, cfg := range []slo.TrackerConfig{
		{Resolution: -time.Minute},
		{Resolution: 7 * time.Minute},
		{Latency: -1},
		{Resolution: time.Millisecond},
		{Policy: &slo.Policy{}},
	} {
		if _, err := slo.NewTracker(o, cfg); err == nil {
			t.Errorf("NewTracker(%+v) = nil error", cfg)
		}
	}
	if _, err := slo.NewTracker(slo.Objective{Target: 2}, slo.TrackerConfig{}); err == nil {
		t.Error("NewTracker(target 2) = nil error")
	}
}

func TestMiddlewareAndHandler(t *testing.T) {
	o := slo.Objective{Name: "checkout", Target: 0.99, Window: slo.Rolling(day)}
	// The tracker started a window before the requests, so it has
	// observed the whole window and judges the budget by the events seen.
	clock := t0.Add(-day)
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	tr := newTracker(t, o, slo.TrackerConfig{Now: now, Latency: time.Second})
	clock = t0
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/fail":
			w.WriteHeader(http.StatusBadGateway)
		case "/missing":
			http.NotFound(w, r)
		case "/slow":
			mu.Lock()
			clock = clock.Add(2 * time.Second)
			mu.Unlock()
		case "/panic":
			panic("handler bug")
		}
	})
	h := slo.Middleware(tr, slo.MiddlewareConfig{})(app)
	for _, p := range []string{"/", "/", "/fail", "/missing", "/slow", "/panic"} {
		func() {
			defer func() { recover() }()
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p, nil))
		}()
	}
	s := tr.Status()
	// Good: two "/" and the 404. Bad: 502, slow, panic.
	if s.Good != 3 || s.Total != 6 {
		t.Errorf("middleware recorded %d/%d, want 3/6", s.Good, s.Total)
	}

	rec := httptest.NewRecorder()
	tr.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/slo", nil))
	var r wireReport
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("%v in %s", err, rec.Body)
	}
	if rec.Header().Get("Content-Type") != "application/json" || r.Objective != "checkout" || r.Target != 0.99 ||
		r.Window != "1d" || r.Total != 6 || r.BudgetRemaining != -49 || len(r.Tiers) != 0 || len(r.OmittedTiers) != 4 || r.ExhaustsIn == nil || *r.ExhaustsIn != 0 {
		t.Errorf("report = %+v", r)
	}
	rec = httptest.NewRecorder()
	tr.Handler().ServeHTTP(rec, httptest.NewRequest("POST", "/slo", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST = %d", rec.Code)
	}
}

func TestTrackerStatusCacheSeesLateEvents(t *testing.T) {
	for _, method := range []slo.Method{slo.Occurrences, slo.Timeslices} {
		o := slo.Objective{Name: "api", Target: 0.99, Window: slo.Rolling(30 * day), Method: method}
		tr := newTracker(t, o, slo.TrackerConfig{})
		for m := range 3 * 24 * 60 {
			tr.RecordNAt(t0.Add(time.Duration(m)*time.Minute), 100, 0)
		}
		now := t0.Add(3*day - time.Second)
		before := tr.StatusAt(now)
		// A late event lands in a coarse bucket, past the finest level.
		tr.RecordNAt(t0.Add(5*time.Hour), 0, 50)
		after := tr.StatusAt(now)
		if method == slo.Occurrences && (after.Total != before.Total+50 || after.Good != before.Good) {
			t.Errorf("occurrences: after a late event %d/%d, before %d/%d", after.Good, after.Total, before.Good, before.Total)
		}
		if method == slo.Timeslices && after.Good != before.Good-1 {
			t.Errorf("timeslices: good slices %d after a late bad minute, want %d", after.Good, before.Good-1)
		}
		// And the result equals what a fresh tracker computes.
		fresh := newTracker(t, o, slo.TrackerConfig{})
		for m := range 3 * 24 * 60 {
			fresh.RecordNAt(t0.Add(time.Duration(m)*time.Minute), 100, 0)
		}
		fresh.RecordNAt(t0.Add(5*time.Hour), 0, 50)
		if f := fresh.StatusAt(now); f.Good != after.Good || f.Total != after.Total {
			t.Errorf("%v: cached status %d/%d, fresh %d/%d", method, after.Good, after.Total, f.Good, f.Total)
		}
	}
}

func TestRecordNRejectsNegativeCounts(t *testing.T) {
	tr := newTracker(t, slo.Objective{Name: "api", Target: 0.99, Window: slo.Rolling(day)}, slo.TrackerConfig{})
	for _, c := range [][2]int64{{-1, 5}, {5, -2}} {
		if err := tr.RecordNAt(t0, c[0], c[1]); err == nil || !strings.Contains(err.Error(), "is negative") {
			t.Errorf("RecordNAt(%d, %d) = %v, want an error naming the value", c[0], c[1], err)
		}
	}
	if err := tr.RecordNAt(t0, 0, 0); err != nil {
		t.Errorf("RecordNAt(0, 0) = %v", err)
	}
	if s := tr.StatusAt(t0); !s.NoData {
		t.Errorf("rejected counts were recorded: %+v", s.Status)
	}
}

// An event stamped far in the future (a skewed clock, a bad
// caller) is refused and counted apart from the too-old ones, instead of
// making every current event too old for a whole window.
func TestTrackerRefusesFutureEvents(t *testing.T) {
	clock := newClock(t0)
	o := slo.Objective{Name: "api", Target: 0.99, Window: slo.Rolling(day)}
	tr := newTracker(t, o, slo.TrackerConfig{Now: clock.Now})
	tr.RecordAt(t0.Add(365*day), true)
	for range 100 {
		tr.Record(false)
	}
	s := tr.Status()
	if s.Total != 100 || s.Good != 0 || s.Dropped != 0 {
		t.Errorf("after one event a year ahead and 100 current bad ones: good %d total %d dropped %d, want 0, 100, 0",
			s.Good, s.Total, s.Dropped)
	}
	if s.Future != 1 || tr.Future() != 1 {
		t.Errorf("Future = %d (status %d), want 1", tr.Future(), s.Future)
	}
	// Within MaxSkew of the clock is accepted; beyond it RecordNAt says so.
	if err := tr.RecordNAt(t0.Add(slo.MaxSkew), 1, 0); err != nil {
		t.Errorf("RecordNAt(clock + MaxSkew) = %v", err)
	}
	// The test is on the event's bucket (one minute here): the bucket of
	// clock + MaxSkew + 59s starts within MaxSkew, the next does not.
	if err := tr.RecordNAt(t0.Add(slo.MaxSkew+59*time.Second), 1, 0); err != nil {
		t.Errorf("RecordNAt(clock + MaxSkew + 59s) = %v", err)
	}
	err := tr.RecordNAt(t0.Add(slo.MaxSkew+time.Minute), 2, 3)
	if err == nil || !strings.Contains(err.Error(), "MaxSkew") || !strings.Contains(err.Error(), "2026-11-01T00:02:00Z") {
		t.Errorf("RecordNAt(clock + MaxSkew + 1m) = %v, want an error naming the time and MaxSkew", err)
	}
	// As the clock moves on, the horizon moves with it.
	clock.Add(time.Hour)
	tr.RecordAt(t0.Add(time.Hour+slo.MaxSkew/2), true)
	s = tr.Status()
	if s.Total != 103 || s.Future != 6 || s.Dropped != 0 {
		t.Errorf("total %d future %d dropped %d, want 103, 6, 0", s.Total, s.Future, s.Dropped)
	}
	if r := wireOf(t, s); r.Future != 6 || r.Dropped != 0 {
		t.Errorf("report future %d dropped %d, want 6 and 0", r.Future, r.Dropped)
	}
}

// The default policy, which the user never chose, keeps the
// tiers that can fire for the target instead of failing NewTracker.
func TestDefaultPolicyKeepsTiersThatCanFire(t *testing.T) {
	for _, tt := range []struct {
		target float64
		keep   []time.Duration
	}{
		{0.93, []time.Duration{6 * time.Hour, 24 * time.Hour, 72 * time.Hour}}, // 14.4 × 0.07 ≥ 1
		{0.90, []time.Duration{6 * time.Hour, 24 * time.Hour, 72 * time.Hour}},
		{0.80, []time.Duration{24 * time.Hour, 72 * time.Hour}}, // 6 × 0.2 ≥ 1
		{0.999, []time.Duration{time.Hour, 6 * time.Hour, 24 * time.Hour, 72 * time.Hour}},
	} {
		o := slo.Objective{Name: "batch", Target: tt.target, Window: slo.Rolling(30 * day)}
		tr, err := slo.NewTracker(o, slo.TrackerConfig{})
		if err != nil {
			t.Errorf("NewTracker(%v over 30d, default policy) = %v", tt.target, err)
			continue
		}
		s := tr.StatusAt(t0)
		var got []time.Duration
		for _, r := range s.Tiers {
			got = append(got, r.Tier.Long)
		}
		if !slices.Equal(got, tt.keep) {
			t.Errorf("NewTracker(%v over 30d) tiers %v, want %v", tt.target, got, tt.keep)
		}
		// The left-out tiers are named with the reason, in the status
		// and in the JSON.
		r := wireOf(t, s)
		if len(s.OmittedTiers) != 4-len(tt.keep) || len(r.OmittedTiers) != 4-len(tt.keep) {
			t.Errorf("NewTracker(%v): omitted %+v, report %+v; want %d", tt.target, s.OmittedTiers, r.OmittedTiers, 4-len(tt.keep))
		}
		for _, o := range r.OmittedTiers {
			if o.Severity != slo.Page || !strings.Contains(o.Reason, "can never fire") {
				t.Errorf("NewTracker(%v): omitted %+v, want a page tier that can never fire", tt.target, o)
			}
		}
	}
	// Too long for the window is said too; the JSON list is never null.
	tr := newTracker(t, slo.Objective{Name: "day", Target: 0.999, Window: slo.Rolling(day)}, slo.TrackerConfig{})
	rec := httptest.NewRecorder()
	tr.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/slo", nil))
	var r wireReport
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	// Every default tier fires below 1 over one day (the 1h page at 0.48,
	// one bad event in a thousand would page), so none is kept.
	if len(r.Tiers) != 0 || len(r.OmittedTiers) != 4 || r.OmittedTiers[3].Long != "3d" || !strings.Contains(r.OmittedTiers[3].Reason, "longer than the window 1d") ||
		!strings.Contains(r.OmittedTiers[0].Reason, "threshold 0.48 is under 1: it would fire while the objective is met") {
		t.Errorf("1-day objective: tiers %d, omitted %+v; want none, the 1h page under 1 and the 3d tier too long", len(r.Tiers), r.OmittedTiers)
	}
	tr = newTracker(t, slo.Objective{Name: "api", Target: 0.999, Window: slo.Rolling(30 * day)}, slo.TrackerConfig{})
	rec = httptest.NewRecorder()
	tr.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/slo", nil))
	if !strings.Contains(rec.Body.String(), `"omittedTiers": []`) {
		t.Errorf("nothing omitted: %s, want an empty omittedTiers list", rec.Body)
	}
	// A target for which no default tier can fire still tracks its budget.
	q := slo.Objective{Name: "q", Target: 0.5, Window: slo.CalendarWindow(slo.Quarter, nil)}
	if tr, err := slo.NewTracker(q, slo.TrackerConfig{}); err != nil {
		t.Errorf("NewTracker(50%% over a quarter) = %v", err)
	} else if s := tr.StatusAt(t0); len(s.Tiers) != 0 || len(s.OmittedTiers) != 4 {
		t.Errorf("50%% over a quarter: %d tiers, %d omitted; want 0 and 4", len(s.Tiers), len(s.OmittedTiers))
	}
	// An explicit policy is still validated strictly.
	o := slo.Objective{Name: "batch", Target: 0.93, Window: slo.Rolling(30 * day)}
	p := slo.DefaultPolicy()
	if _, err := slo.NewTracker(o, slo.TrackerConfig{Policy: &p}); err == nil || !strings.Contains(err.Error(), "can never fire") {
		t.Errorf("NewTracker(93%%, explicit DefaultPolicy()) = %v, want a never-fires error", err)
	}
}

// A timeslices tracker that has seen no events has no data,
// like an occurrences one.
func TestTimeslicesWithoutEventsIsNoData(t *testing.T) {
	o := slo.Objective{Name: "api", Target: 0.999, Window: slo.Rolling(30 * day), Method: slo.Timeslices}
	tr := newTracker(t, o, slo.TrackerConfig{})
	if r, ok := tr.ErrorRateAt(t0, time.Hour); ok {
		t.Errorf("ErrorRate(1h) with no events = %v, true; want no data", r)
	}
	s := tr.StatusAt(t0)
	if !s.NoData || s.Remaining != 1 || s.ExhaustsIn != slo.Forever || s.BurnRate != 0 {
		t.Errorf("status with no events = %+v, want no data", s.Status)
	}
	for _, r := range s.Tiers {
		if r.Firing || !strings.Contains(r.Reason, "no data") {
			t.Errorf("tier %v with no events: firing %v, %q; want no data", r.Tier.Long, r.Firing, r.Reason)
		}
	}
	// One event, then an hour of quiet: the last five minutes have no data.
	tr.RecordAt(t0, true)
	if r, ok := tr.ErrorRateAt(t0.Add(time.Hour), 5*time.Minute); ok {
		t.Errorf("ErrorRate(5m) over a quiet span = %v, true; want no data", r)
	}
	if s := tr.StatusAt(t0.Add(time.Hour)); s.NoData {
		t.Error("status with an event in the window reads no data")
	}
}

// The burn rate of a timeslices objective is the error rate
// over the slices elapsed so far, not over the whole window: 40 bad
// minutes in the first hour of a month exhaust the budget in minutes.
func TestTimeslicesBurnRateOverElapsedSlices(t *testing.T) {
	o := slo.Objective{Name: "api", Target: 0.999, Window: slo.CalendarWindow(slo.Month, nil), Method: slo.Timeslices}
	tr := newTracker(t, o, slo.TrackerConfig{})
	start := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC) // 30 days: 43,200 slices
	for m := range 60 {
		good, bad := int64(100), int64(0)
		if m >= 20 {
			good, bad = 0, 100
		}
		tr.RecordNAt(start.Add(time.Duration(m)*time.Minute), good, bad)
	}
	s := tr.StatusAt(start.Add(time.Hour - time.Second))
	// 40 bad of 60 elapsed slices: error rate 2/3, burn 666.7.
	if want := (40.0 / 60) / 0.001; math.Abs(s.BurnRate-want) > 1e-6 {
		t.Errorf("BurnRate = %v, want %v", s.BurnRate, want)
	}
	if s.ExhaustsIn > 10*time.Minute {
		t.Errorf("ExhaustsIn = %v, want minutes", s.ExhaustsIn)
	}
}

// A calendar window's buckets start where its window starts
// in its zone, so no event of the previous quarter is counted in this one.
func TestCalendarBucketsAlignToZoneWindowStart(t *testing.T) {
	ist := time.FixedZone("IST", 5*3600+1800)
	o := slo.Objective{Name: "q", Target: 0.99, Window: slo.CalendarWindow(slo.Quarter, ist)}
	tr := newTracker(t, o, slo.TrackerConfig{Resolution: time.Hour})
	tr.RecordNAt(time.Date(2026, 9, 30, 23, 45, 0, 0, ist), 0, 10) // last quarter
	tr.RecordNAt(time.Date(2026, 10, 1, 0, 5, 0, 0, ist), 5, 0)    // this quarter
	s := tr.StatusAt(time.Date(2026, 10, 1, 0, 10, 0, 0, ist))
	if s.Total != 5 || s.Good != 5 {
		t.Errorf("10 minutes into the quarter: good %d total %d, want 5 of 5 (none from the previous quarter)", s.Good, s.Total)
	}
	if s := tr.StatusAt(time.Date(2026, 9, 30, 23, 50, 0, 0, ist)); s.Total != 10 {
		t.Errorf("end of the previous quarter: total %d, want 10", s.Total)
	}
}

// A resolution that cannot align to every window start of
// the zone is refused, naming it.
func TestCalendarResolutionThatCannotAlignIsRejected(t *testing.T) {
	lordHowe, err := time.LoadLocation("Australia/Lord_Howe") // +10:30, +11:00 in summer
	if err != nil {
		t.Fatal(err)
	}
	ist := time.FixedZone("IST", 5*3600+1800)
	for _, tt := range []struct {
		w   slo.Window
		res time.Duration
		ok  bool
	}{
		{slo.CalendarWindow(slo.Month, lordHowe), time.Hour, false},
		{slo.CalendarWindow(slo.Month, lordHowe), 30 * time.Minute, true},
		{slo.CalendarWindow(slo.Month, nil), 7 * time.Minute, false}, // does not divide a day
		{slo.CalendarWindow(slo.Month, nil), 48 * time.Hour, false},
		{slo.CalendarWindow(slo.Quarter, ist), time.Hour, true},
		{slo.CalendarWindow(slo.Year, ist), 24 * time.Hour, true},
	} {
		o := slo.Objective{Name: "m", Target: 0.99, Window: tt.w}
		_, err := slo.NewTracker(o, slo.TrackerConfig{Resolution: tt.res})
		if tt.ok && err != nil {
			t.Errorf("NewTracker(%v, Resolution %v) = %v", tt.w, tt.res, err)
		}
		if !tt.ok && (err == nil || !strings.Contains(err.Error(), "Resolution "+tt.res.String())) {
			t.Errorf("NewTracker(%v, Resolution %v) = %v, want an error naming the resolution", tt.w, tt.res, err)
		}
	}
}

// TestRecentBurnRate: the whole window's burn rate and the recent one that
// ExhaustsIn projects at are two numbers with two names. A calendar month
// with bad events a day ago and none in the last hour burns over the
// window but not recently, so its budget never runs out at the recent pace.
func TestRecentBurnRate(t *testing.T) {
	o := slo.Objective{Name: "monthly", Target: 0.999, Window: slo.CalendarWindow(slo.Month, nil)}
	now := t0.Add(10 * day)
	tr := newTracker(t, o, slo.TrackerConfig{Now: func() time.Time { return now }})
	tr.RecordNAt(now.Add(-day), 9980, 2)
	tr.RecordNAt(now.Add(-30*time.Minute), 10000, 0)
	s := tr.StatusAt(now)
	if s.BurnRate <= 0 || s.RecentBurnRate != 0 || s.RecentWindow != time.Hour || s.ExhaustsIn != slo.Forever {
		t.Errorf("quiet hour: BurnRate %v, RecentBurnRate %v over %v, ExhaustsIn %v; want >0, 0 over 1h, Forever", s.BurnRate, s.RecentBurnRate, s.RecentWindow, s.ExhaustsIn)
	}
	r := wireOf(t, s)
	if r.BurnRate != s.BurnRate || r.RecentBurnRate != 0 || r.RecentWindow != "1h" || r.ExhaustsIn != nil {
		t.Errorf("report: burnRate %v, recentBurnRate %v over %q, exhaustsInSeconds %v", r.BurnRate, r.RecentBurnRate, r.RecentWindow, r.ExhaustsIn)
	}
	// A bad event in the last hour: ExhaustsIn is Remaining /
	// RecentBurnRate × Window.
	tr.RecordNAt(now.Add(-10*time.Minute), 0, 5)
	s = tr.StatusAt(now)
	want := time.Duration(s.Remaining / s.RecentBurnRate * float64(s.Window))
	if s.RecentBurnRate <= s.BurnRate || (s.ExhaustsIn-want).Abs() > time.Second {
		t.Errorf("burning now: RecentBurnRate %v, BurnRate %v, ExhaustsIn %v, want %v", s.RecentBurnRate, s.BurnRate, s.ExhaustsIn, want)
	}
	// With no tier, the recent window is the whole window.
	short := newTracker(t, slo.Objective{Name: "short", Target: 0.99, Window: slo.Rolling(30 * time.Minute)}, slo.TrackerConfig{Now: func() time.Time { return now }})
	short.RecordNAt(now.Add(-time.Minute), 99, 1)
	if s := short.StatusAt(now); s.RecentWindow != 30*time.Minute || s.RecentBurnRate != s.BurnRate {
		t.Errorf("no tiers: RecentBurnRate %v over %v, BurnRate %v", s.RecentBurnRate, s.RecentWindow, s.BurnRate)
	}
}

// TestTrackerRestartedMidWindow: a service at 99.5% over 28 days restarts
// halfway through its window and serves 200 requests, 2 of them bad, in
// the next hour. The new tracker has observed 1h of the 672h window; at
// that rate the window holds 134,400 requests, of which 672 may fail, so
// the 2 failures consume 0.3% of the budget. Judged against the 200
// requests alone they would be twice the budget: "spent" on an hour.
func TestTrackerRestartedMidWindow(t *testing.T) {
	o := slo.Objective{Name: "checkout", Target: 0.995, Window: slo.Rolling(28 * day)}
	var mu sync.Mutex
	clock := t0
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	set := func(at time.Time) { mu.Lock(); clock = at; mu.Unlock() }
	before := newTracker(t, o, slo.TrackerConfig{Now: now})
	for m := range 14 * 24 * 60 {
		set(t0.Add(time.Duration(m) * time.Minute))
		before.RecordNAt(now(), 100, 0)
	}
	// The restart: a new process, a new tracker, halfway through.
	restart := t0.Add(14 * day)
	set(restart)
	tr := newTracker(t, o, slo.TrackerConfig{Now: now})
	for i := range 200 {
		set(restart.Add(time.Duration(i) * 18 * time.Second))
		tr.RecordAt(now(), i != 50 && i != 150)
	}
	set(restart.Add(time.Hour - time.Second))

	s := tr.Status()
	if s.Total != 200 || s.Good != 198 || s.Observed != time.Hour || s.ObservedShare != 1.0/672 {
		t.Fatalf("status: %d/%d, observed %v (%v), want 198/200 and 1h (1/672)", s.Good, s.Total, s.Observed, s.ObservedShare)
	}
	if math.Abs(s.AllowedBad-672) > 1e-9 || math.Abs(s.Remaining-(1-2.0/672)) > 1e-12 || s.BurnRate != 2 || s.Firing(slo.Page) || s.Firing(slo.Ticket) {
		t.Errorf("allowed %v, remaining %v, burn %v, page %v, ticket %v; want 672, %v, 2, no tier firing",
			s.AllowedBad, s.Remaining, s.BurnRate, s.Firing(slo.Page), s.Firing(slo.Ticket), 1-2.0/672)
	}
	if bd := tr.BurnDown(slo.DashboardPoints); bd.Points[len(bd.Points)-1].Remaining != s.Remaining {
		t.Errorf("burn-down ends at %v, Status %v", bd.Points[len(bd.Points)-1].Remaining, s.Remaining)
	}

	// The JSON says how much was observed.
	rec := httptest.NewRecorder()
	tr.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/slo", nil))
	var r wireReport
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r.ObservedSeconds != 3600 || r.ObservedShare != 1.0/672 || r.BudgetRemaining != s.Remaining {
		t.Errorf("report: observed %vs (%v), remaining %v", r.ObservedSeconds, r.ObservedShare, r.BudgetRemaining)
	}

	// The page's words.
	_, page := getPage(t, tr.Handler())
	doc := htmltest.WellFormed(t, page)
	body := htmltest.Text(doc)
	for _, w := range []string{
		"Within budget",
		"Observed 1h of the 28d window (0.15%): the tracker knows only what it has seen since it started.",
		"The budget is judged against the 134,400 events the whole window would hold at the observed rate.",
		"99.70%", "of 672 bad events allowed; 2 spent",
	} {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
	for _, w := range []string{"Budget spent:", "none left", "the errors equal"} {
		if strings.Contains(body, w) {
			t.Errorf("page says %q after an hour of 200 requests", w)
		}
	}

	// The tracker before the restart had run 14 days: half the window.
	if s := before.StatusAt(restart.Add(-time.Second)); s.Observed != 14*day || s.ObservedShare != 0.5 {
		t.Errorf("tracker run since t0: observed %v (%v) at t0+14d, want 14d (0.5)", s.Observed, s.ObservedShare)
	}
}

// TestTrackerRestartedSpendsOnEvidence: after a restart, a 99.5% budget
// over 28 days is spent by a full outage of 3h 21m 36s (the downtime it
// allows) and not before: in one-minute buckets, at 202 minutes of 100%
// errors and not at 201.
func TestTrackerRestartedSpendsOnEvidence(t *testing.T) {
	o := slo.Objective{Name: "checkout", Target: 0.995, Window: slo.Rolling(28 * day)}
	restart := t0.Add(14 * day)
	tr := newTracker(t, o, slo.TrackerConfig{Now: func() time.Time { return restart }})
	for m := range 202 {
		tr.RecordNAt(restart.Add(time.Duration(m)*time.Minute), 0, 10)
	}
	if s := tr.StatusAt(restart.Add(201*time.Minute - time.Second)); s.Remaining <= 0 || s.Observed != 201*time.Minute {
		t.Errorf("201 minutes of errors: remaining %v, observed %v; want budget left", s.Remaining, s.Observed)
	}
	if s := tr.StatusAt(restart.Add(202*time.Minute - time.Second)); s.Remaining > 0 {
		t.Errorf("202 minutes of errors: remaining %v, want spent", s.Remaining)
	}
}

// TestTrackerObservedFrom: a tracker has observed the window from its
// start, or from its oldest event when events older than its start are
// recorded into it; a calendar window's share is of the period so far.
func TestTrackerObservedFrom(t *testing.T) {
	start := t0.Add(10 * day)
	o := slo.Objective{Name: "api", Target: 0.99, Window: slo.Rolling(30 * day)}
	tr := newTracker(t, o, slo.TrackerConfig{Now: func() time.Time { return start }})
	if s := tr.StatusAt(start.Add(2*time.Hour - time.Second)); s.Observed != 2*time.Hour || !s.NoData {
		t.Errorf("quiet since start: observed %v, no data %v; want 2h, true", s.Observed, s.NoData)
	}
	tr.RecordAt(start.Add(-3*time.Hour), true) // replayed from before the start
	if s := tr.StatusAt(start.Add(2*time.Hour - time.Second)); s.Observed != 5*time.Hour || s.ObservedShare != 5.0/720 {
		t.Errorf("an event 3h before the start: observed %v (%v), want 5h", s.Observed, s.ObservedShare)
	}

	// A calendar month, restarted on the 11th at noon: at 18:00 the
	// tracker has observed 6h of the 10d 18h of November so far.
	m := slo.Objective{Name: "monthly", Target: 0.99, Window: slo.CalendarWindow(slo.Month, nil)}
	restart := time.Date(2026, 11, 11, 12, 0, 0, 0, time.UTC)
	now := restart
	ct := newTracker(t, m, slo.TrackerConfig{Now: func() time.Time { return now }})
	for h := range 6 {
		now = restart.Add(time.Duration(h) * time.Hour)
		ct.RecordNAt(now, 99, 1)
	}
	now = restart.Add(6*time.Hour - time.Second)
	s := ct.Status()
	if so := 10*day + 18*time.Hour; s.Observed != 6*time.Hour || s.ObservedShare != float64(6*time.Hour)/float64(so) {
		t.Errorf("calendar: observed %v (%v), want 6h of %v", s.Observed, s.ObservedShare, so)
	}
	// 600 events in 6h: at that rate the 258h so far hold 25,800, of
	// which 1% may be bad.
	if math.Abs(s.AllowedBad-258) > 1e-9 {
		t.Errorf("calendar: allowed %v, want 258", s.AllowedBad)
	}
	_, page := getPage(t, ct.Handler())
	if body := htmltest.Text(htmltest.WellFormed(t, page)); !strings.Contains(body, "Observed 6h of the 10d 18h of the calendar month (UTC, 30d) window so far (2.3%)") {
		t.Errorf("page lacks the observed share of the month so far:\n%s", body)
	}
}

// The first events are counted like any other, even those whose bucket
// index sits next to the tracker's marker for "no event yet": events of
// 1970's second minute, with the clock there.
func TestFirstEventsOf1970AreCounted(t *testing.T) {
	start := time.Unix(60, 0)
	tr := newTracker(t, slo.Objective{Name: "api", Target: 0.999, Window: slo.Rolling(30 * day)}, slo.TrackerConfig{Now: func() time.Time { return start }})
	for _, at := range []time.Time{time.Unix(60, 0), time.Unix(90, 0), time.Unix(119, 0)} {
		tr.RecordAt(at, false)
	}
	if s := tr.StatusAt(time.Unix(120, 0)); s.Total != 3 || s.Good != 0 {
		t.Errorf("after 3 bad events: good %d of %d; want 0 of 3", s.Good, s.Total)
	}
}
