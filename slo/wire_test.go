package slo_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ybiyri/runkit/slo"
)

// wireReport is the /slo JSON as a reader of an older runkit knows it:
// the names and meanings of its fields are kept.
type wireReport struct {
	Objective       string            `json:"objective"`
	Route           string            `json:"route,omitempty"`
	Target          float64           `json:"target"`
	Window          string            `json:"window"`
	TimeZone        string            `json:"timeZone,omitempty"`
	WindowStart     time.Time         `json:"windowStart"`
	WindowEnd       time.Time         `json:"windowEnd"`
	Method          string            `json:"method"`
	At              time.Time         `json:"at"`
	Good            int64             `json:"good"`
	Total           int64             `json:"total"`
	NoData          bool              `json:"noData"`
	SLI             float64           `json:"sli"`
	ErrorRate       float64           `json:"errorRate"`
	Budget          float64           `json:"budget"`
	BudgetConsumed  float64           `json:"budgetConsumed"`
	BudgetRemaining float64           `json:"budgetRemaining"`
	BurnRate        float64           `json:"burnRate"`
	RecentBurnRate  float64           `json:"recentBurnRate"`
	RecentWindow    string            `json:"recentWindow"`
	ExhaustsIn      *float64          `json:"exhaustsInSeconds"`
	Dropped         int64             `json:"dropped"`
	Future          int64             `json:"future"`
	ObservedSeconds float64           `json:"observedSeconds"`
	ObservedShare   float64           `json:"observedShare"`
	Tiers           []wireTier        `json:"tiers"`
	OmittedTiers    []wireOmittedTier `json:"omittedTiers"`
}

type wireTier struct {
	Severity  slo.Severity `json:"severity"`
	Long      string       `json:"long"`
	Short     string       `json:"short"`
	Threshold float64      `json:"threshold"`
	LongBurn  float64      `json:"longBurn"`
	ShortBurn float64      `json:"shortBurn"`
	Firing    bool         `json:"firing"`
	Reason    string       `json:"reason"`
}

type wireOmittedTier struct {
	Severity slo.Severity `json:"severity"`
	Long     string       `json:"long"`
	Short    string       `json:"short"`
	Reason   string       `json:"reason"`
}

// wireOf returns s as the JSON Tracker.Handler serves reads to an older
// runkit.
func wireOf(t *testing.T, s slo.TrackerStatus) wireReport {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var r wireReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// sameWindow compares windows by what they say: a zone read back is the
// same zone, not the same *time.Location.
var sameWindow = cmp.Comparer(func(a, b slo.Window) bool {
	return a.Rolling == b.Rolling && a.Calendar == b.Calendar && a.String() == b.String()
})

// everyField is a status with every field set, none to its zero value,
// with what the JSON once lost: a tier's BudgetShare, BurnRate and For, a
// zero Short, AllowedBad, and ExhaustsIn and Observed below a second.
func everyField(t *testing.T) slo.TrackerStatus {
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 2, 10, 12, 0, 0, 0, kolkata)
	w := slo.CalendarWindow(slo.Month, kolkata)
	start, end := w.Bounds(at)
	return slo.TrackerStatus{
		Status: slo.Status{
			Objective: `checkout <"fast">`, Target: 0.999, Method: slo.Timeslices, Good: 9990, Total: 10000,
			NoData: true, SLI: 0.999, ErrorRate: 0.001, Budget: 0.001, AllowedBad: 40.32, Consumed: 0.25,
			Remaining: 0.75, BurnRate: 1.0 / 3, ExhaustsIn: 36*time.Hour + 1500*time.Millisecond + 7,
		},
		Route: "POST /checkout", At: at, Window: end.Sub(start), Period: w, Start: start, End: end,
		Dropped: 3, Future: 4, Observed: 90*time.Minute + 250*time.Microsecond, ObservedShare: 0.1,
		RecentBurnRate: 2.5, RecentWindow: time.Hour,
		Tiers: []slo.TierResult{
			{Tier: slo.Tier{Severity: slo.Page, Long: time.Hour, Short: 5 * time.Minute, BudgetShare: 0.02, BurnRate: 14.4, For: 2 * time.Minute},
				Threshold: 14.4, LongBurn: 15, ShortBurn: 16, Firing: true, Reason: "burning"},
			{Tier: slo.Tier{Severity: slo.Ticket, Long: 3 * 24 * time.Hour, BudgetShare: 0.1},
				Threshold: 1, LongBurn: 0.5, ShortBurn: 0.25, Reason: "within"},
		},
		OmittedTiers: []slo.OmittedTier{
			{Tier: slo.Tier{Severity: slo.Page, Long: 6 * time.Hour, Short: 30*time.Minute + time.Millisecond, BudgetShare: 0.05, BurnRate: 6, For: time.Second + 1}, Reason: "can never fire"},
			{Tier: slo.Tier{Severity: slo.Ticket, Long: 24 * time.Hour}, Reason: "too long"},
		},
	}
}

// TestEveryFieldIsSet keeps everyField whole: a field added to the status
// must be set there, so that the round trip covers it.
func TestEveryFieldIsSet(t *testing.T) {
	s := everyField(t)
	var zero func(path string, v reflect.Value)
	zero = func(path string, v reflect.Value) {
		switch v.Kind() {
		case reflect.Struct:
			if v.Type() == reflect.TypeFor[time.Time]() || v.Type() == reflect.TypeFor[slo.Window]() {
				break
			}
			for i := range v.NumField() {
				zero(path+"."+v.Type().Field(i).Name, v.Field(i))
			}
			return
		case reflect.Slice:
			for i := range v.Len() {
				zero(path, v.Index(i))
			}
		}
		if v.IsZero() && !allowedZero[path] {
			t.Errorf("everyField: %s is zero", path)
		}
	}
	zero("TrackerStatus", reflect.ValueOf(s))
}

// allowedZero are the fields everyField leaves zero on purpose in one of
// its tiers: Short's zero is what is tested, and one tier of each kind
// holds the zero of the others.
var allowedZero = map[string]bool{
	"TrackerStatus.Tiers.Tier.Short": true, "TrackerStatus.Tiers.Tier.BurnRate": true, "TrackerStatus.Tiers.Tier.For": true,
	"TrackerStatus.Tiers.Firing":            true,
	"TrackerStatus.OmittedTiers.Tier.Short": true, "TrackerStatus.OmittedTiers.Tier.BurnRate": true,
	"TrackerStatus.OmittedTiers.Tier.For": true, "TrackerStatus.OmittedTiers.Tier.BudgetShare": true,
}

// TestStatusRoundTrip: a status written as JSON and read back is the
// status written, field by field: a hand-made one with every field set,
// and those a tracker serves over a rolling and a calendar window, with
// tiers, omitted tiers, events in the future and dropped, and per route.
func TestStatusRoundTrip(t *testing.T) {
	clock := newClock(t0)
	var statuses []slo.TrackerStatus
	statuses = append(statuses, everyField(t), slo.TrackerStatus{})

	rolling := newTracker(t, slo.Objective{Name: "api", Target: 0.93, Window: slo.Rolling(30 * 24 * time.Hour)}, slo.TrackerConfig{Now: clock.Now})
	kolkata, _ := time.LoadLocation("Asia/Kolkata")
	calendar := newTracker(t, slo.Objective{Name: "monthly", Target: 0.999, Window: slo.CalendarWindow(slo.Month, kolkata), Method: slo.Timeslices},
		slo.TrackerConfig{Now: clock.Now, Policy: &slo.Policy{Tiers: []slo.Tier{{Severity: slo.Page, Long: time.Hour, BudgetShare: 0.02, For: 2 * time.Minute}}}})
	routes, err := slo.NewRoutes(slo.Objective{Name: "avail", Target: 0.99, Window: slo.Rolling(7 * 24 * time.Hour)},
		slo.RoutesConfig{Tracker: slo.TrackerConfig{Now: clock.Now}, Routes: []string{"GET /", "POST /checkout"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range append([]*slo.Tracker{rolling, calendar}, routes.Trackers()...) {
		clock.Add(17*time.Minute + 333*time.Millisecond)
		tr.RecordN(900, 100)
		tr.RecordNAt(clock.Now().Add(time.Hour), 1, 1)         // in the future
		tr.RecordNAt(clock.Now().Add(-400*24*time.Hour), 1, 1) // dropped
		statuses = append(statuses, tr.Status())
	}

	for i, want := range statuses {
		b, err := json.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		var got slo.TrackerStatus
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("status %d: %v in %s", i, err, b)
		}
		if d := cmp.Diff(want, got, sameWindow); d != "" {
			t.Errorf("status %d (%s %s) through JSON (-want +got):\n%s\n%s", i, want.Objective, want.Route, d, b)
		}
	}

	// What the handlers serve reads back as the trackers' statuses.
	for _, h := range []http.Handler{rolling.Handler(), routes.Handler()} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/slo", nil))
		var got []slo.TrackerStatus
		body := rec.Body.Bytes()
		if body[0] == '{' {
			got = make([]slo.TrackerStatus, 1)
			err = json.Unmarshal(body, &got[0])
		} else {
			err = json.Unmarshal(body, &got)
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range got {
			tr := rolling
			if s.Route != "" {
				tr, _ = routes.Tracker(s.Route)
			}
			if d := cmp.Diff(tr.Status(), s, sameWindow); d != "" {
				t.Errorf("%s %s served (-want +got):\n%s", s.Objective, s.Route, d)
			}
		}
	}
}

// TestStatusFromAnOlderRunkit: the JSON of an older runkit, without the
// exact fields, reads as it did: ExhaustsIn in whole seconds, Forever when
// null, Observed in seconds, the window observed whole without
// "observedShare", and a tier's short window as written.
func TestStatusFromAnOlderRunkit(t *testing.T) {
	var s slo.TrackerStatus
	old := `{"objective": "api", "target": 0.99, "window": "7d", "method": "timeslices", "noData": false,
		"windowStart": "2026-11-01T00:00:00Z", "windowEnd": "2026-11-08T00:00:00Z", "at": "2026-11-08T00:00:00Z",
		"budgetRemaining": 0.5, "exhaustsInSeconds": 90, "recentWindow": "1h",
		"tiers": [{"severity": "page", "long": "1h", "short": "5m", "firing": true}]}`
	if err := json.Unmarshal([]byte(old), &s); err != nil {
		t.Fatal(err)
	}
	if s.Method != slo.Timeslices || s.ExhaustsIn != 90*time.Second || s.Window != 7*24*time.Hour || s.Period != slo.Rolling(7*24*time.Hour) ||
		s.Observed != s.Window || s.ObservedShare != 1 || s.RecentWindow != time.Hour ||
		len(s.Tiers) != 1 || s.Tiers[0].Tier.Short != 5*time.Minute || !s.Tiers[0].Firing {
		t.Errorf("older runkit's status read as %+v", s)
	}
	if err := json.Unmarshal([]byte(`{"objective": "api", "exhaustsInSeconds": null}`), &s); err != nil || s.ExhaustsIn != slo.Forever {
		t.Errorf("null exhaustsInSeconds: %v, %v; want Forever", s.ExhaustsIn, err)
	}
	// Forever is written as null seconds and no exact field.
	if b, _ := json.Marshal(slo.TrackerStatus{Status: slo.Status{ExhaustsIn: slo.Forever}}); !strings.Contains(string(b), `"exhaustsInSeconds":null`) || strings.Contains(string(b), `"exhaustsIn":`) {
		t.Errorf("Forever written as %s", b)
	}
	if err := json.Unmarshal([]byte(`{"objective": "api", "method": "weekly"}`), &s); err == nil || err.Error() != `method "weekly": want occurrences or timeslices` {
		t.Errorf("method weekly: %v", err)
	}
}

// FuzzStatusJSON checks that no JSON makes UnmarshalJSON panic, and that
// a status it reads writes and reads back as itself.
func FuzzStatusJSON(f *testing.F) {
	kolkata, _ := time.LoadLocation("Asia/Kolkata")
	tr, err := slo.NewTracker(slo.Objective{Name: "api", Target: 0.999, Window: slo.CalendarWindow(slo.Month, kolkata)}, slo.TrackerConfig{})
	if err != nil {
		f.Fatal(err)
	}
	tr.RecordN(990, 10)
	b, _ := json.Marshal(tr.Status())
	f.Add(b)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"window": "1d2h500µs", "exhaustsIn": "3d0.5ms", "observed": "-5m0s", "observedShare": 0.5}`))
	f.Add([]byte(`{"exhaustsInSeconds": 1e300, "tiers": [{"long": "99999999999d", "shortDefault": true, "for": "1x"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var s slo.TrackerStatus
		if json.Unmarshal(b, &s) != nil {
			return
		}
		again, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("%s read as %+v, which does not write: %v", b, s, err)
		}
		var back slo.TrackerStatus
		if err := json.Unmarshal(again, &back); err != nil {
			t.Fatalf("%s does not read back: %v", again, err)
		}
		if d := cmp.Diff(s, back, sameWindow); d != "" {
			t.Errorf("%s read back (-first +second):\n%s", again, d)
		}
	})
}

func ExampleTrackerStatus_UnmarshalJSON() {
	// The /slo JSON of a service, as deploy.FetchSLOStatus gets it.
	body := `{"objective": "checkout", "target": 0.999, "window": "30d", "method": "occurrences",
		"noData": false, "budgetRemaining": 0.25, "exhaustsIn": "2d3h0.5s", "exhaustsInSeconds": 183601,
		"tiers": [{"severity": "page", "long": "1h", "short": "5m", "shortDefault": true, "budgetShare": 0.02, "firing": true}]}`
	var s slo.TrackerStatus
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		panic(err)
	}
	tier := s.Tiers[0].Tier
	fmt.Println(s.Objective, s.Period, s.Remaining, s.ExhaustsIn)
	fmt.Println(tier.Severity, tier.Long, tier.Short, tier.ShortWindow(), tier.BudgetShare, s.Firing(slo.Page))
	// Output:
	// checkout 30d 0.25 51h0m0.5s
	// page 1h0m0s 0s 5m0s 0.02 true
}
