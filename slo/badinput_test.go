package slo_test

import (
	"fmt"
	"io"
	"log"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ybiyri/runkit/slo"
)

// mustPanic runs f and returns the message it panicked with, failing the
// test when it does not panic.
func mustPanic(t *testing.T, what string, f func()) (msg string) {
	t.Helper()
	defer func() {
		r := recover()
		if r == nil {
			t.Errorf("%s did not panic", what)
		}
		msg = fmt.Sprint(r)
	}()
	f()
	return ""
}

// A nil tracker (the README's old "tracker, _ := slo.NewTracker" after a
// bad objective) or a zero one is refused when the handler is wired, not
// on every request as a nil dereference that net/http turns into an EOF.
func TestMiddlewareAndHandlerRefuseNilAndZeroTracker(t *testing.T) {
	var nilTracker *slo.Tracker
	for _, tt := range []struct {
		what string
		f    func()
		want string
	}{
		{"Middleware(nil)", func() { slo.Middleware(nil, slo.MiddlewareConfig{}) }, "slo: Middleware: the tracker is nil"},
		{"Middleware(&Tracker{})", func() { slo.Middleware(&slo.Tracker{}, slo.MiddlewareConfig{}) }, "zero Tracker"},
		{"nil.Handler()", func() { nilTracker.Handler() }, "slo: Tracker.Handler: the tracker is nil"},
		{"Tracker{}.Handler()", func() { (&slo.Tracker{}).Handler() }, "zero Tracker"},
	} {
		msg := mustPanic(t, tt.what, tt.f)
		if !strings.Contains(msg, tt.want) || !strings.Contains(msg, "NewTracker") {
			t.Errorf("%s panicked with %q, want %q and a pointer to NewTracker", tt.what, msg, tt.want)
		}
	}

}

// serve runs h behind the middleware on a real server and returns the
// tracker's good and total after one GET.
func serveOnce(t *testing.T, h http.Handler) (good, total int64, code int, err error) {
	t.Helper()
	clock := newClock(t0)
	tr := newTracker(t, slo.Objective{Name: "api", Target: 0.99, Window: slo.Rolling(day)}, slo.TrackerConfig{Now: clock.Now})
	srv := httptest.NewUnstartedServer(slo.Middleware(tr, slo.MiddlewareConfig{})(h))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		code = resp.StatusCode
	}
	srv.Close() // waits for the handler, and so the recording, to finish
	s := tr.Status()
	return s.Good, s.Total, code, err
}

// An informational 1xx answer is not the status of the request: the final
// code is what counts.
func TestMiddlewareCountsFinalStatusAfter1xx(t *testing.T) {
	for _, tt := range []struct {
		name      string
		codes     []int
		wantGood  int64
		wantFinal int
	}{
		{"103 then 500", []int{http.StatusEarlyHints, http.StatusInternalServerError}, 0, 500},
		{"100 then 200", []int{http.StatusContinue, http.StatusOK}, 1, 200},
		{"103, 103 then 503", []int{http.StatusEarlyHints, http.StatusEarlyHints, http.StatusServiceUnavailable}, 0, 503},
		{"103 then body", []int{http.StatusEarlyHints}, 1, 200},
	} {
		good, total, code, err := serveOnce(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for _, c := range tt.codes {
				w.WriteHeader(c)
			}
			io.WriteString(w, "done")
		}))
		if err != nil {
			t.Fatal(err)
		}
		if code != tt.wantFinal || good != tt.wantGood || total != 1 {
			t.Errorf("%s: client got %d, tracker good %d of %d; want %d, %d of 1", tt.name, code, good, total, tt.wantFinal, tt.wantGood)
		}
	}
}

// panic(http.ErrAbortHandler) is how a handler (ReverseProxy, when the
// client went away) aborts a response on purpose: it is not counted, and
// the panic goes on to net/http. Any other panic is a bad event and goes
// on too.
func TestMiddlewareAbortHandlerNotCounted(t *testing.T) {
	good, total, _, err := serveOnce(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	if err == nil {
		t.Error("GET of an aborted handler succeeded; the abort did not reach net/http")
	}
	if good != 0 || total != 0 {
		t.Errorf("aborted request recorded: good %d of %d, want nothing", good, total)
	}
	good, total, _, err = serveOnce(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom")
	}))
	if err == nil {
		t.Error("GET of a panicking handler succeeded; the panic did not reach net/http")
	}
	if good != 0 || total != 1 {
		t.Errorf("panicking request: good %d of %d, want 0 of 1", good, total)
	}
	// The panic value reaches whoever wraps the middleware, unchanged.
	clock := newClock(t0)
	tr := newTracker(t, slo.Objective{Name: "api", Target: 0.99, Window: slo.Rolling(day)}, slo.TrackerConfig{Now: clock.Now})
	h := slo.Middleware(tr, slo.MiddlewareConfig{})(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }))
	msg := mustPanic(t, "aborting handler", func() { h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil)) })
	if msg != http.ErrAbortHandler.Error() {
		t.Errorf("panic value %q, want http.ErrAbortHandler", msg)
	}
}

// Counts that would wrap the int64 sums are refused with an error naming
// them, never recorded as negative totals.
func TestRecordNRefusesCountsThatWouldOverflow(t *testing.T) {
	tr := newTracker(t, slo.Objective{Name: "api", Target: 0.99, Window: slo.Rolling(30 * day)}, slo.TrackerConfig{})
	if err := tr.RecordNAt(t0, math.MaxInt64, 0); err == nil || !strings.Contains(err.Error(), "good 9223372036854775807") {
		t.Errorf("RecordNAt(MaxInt64, 0) = %v, want an error naming good 9223372036854775807", err)
	}
	if err := tr.RecordNAt(t0, 0, math.MaxInt64); err == nil || !strings.Contains(err.Error(), "bad 9223372036854775807") {
		t.Errorf("RecordNAt(0, MaxInt64) = %v, want an error naming bad 9223372036854775807", err)
	}
	// Under the per-call limit, but together too many for one bucket.
	big := int64(math.MaxInt64 / 4 / 43200)
	if err := tr.RecordNAt(t0, big, 0); err != nil {
		t.Fatalf("RecordNAt(%d, 0) = %v", big, err)
	}
	err := tr.RecordNAt(t0, big, 0)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprint(big)) {
		t.Errorf("second RecordNAt(%d, 0) into one bucket = %v, want an error naming the count", big, err)
	}
	// Many buckets each at the limit still sum without wrapping.
	for i := range 200 {
		tr.RecordNAt(t0.Add(time.Duration(i+1)*time.Minute), big, big)
	}
	s := tr.StatusAt(t0.Add(time.Hour))
	if s.Good < 0 || s.Total < 0 || s.Good > s.Total || math.IsNaN(s.SLI) {
		t.Errorf("status after large counts: good %d total %d SLI %v", s.Good, s.Total, s.SLI)
	}
	if s.Good != 61*big || s.Total != 60*big+61*big {
		t.Errorf("status good %d total %d, want %d and %d", s.Good, s.Total, 61*big, 121*big)
	}
}

// Target errors say what the value looks like: 99.9 is a percentage; 1.5,
// as a percentage a promise of almost nothing, is not guessed at.
func TestTargetErrorsHint(t *testing.T) {
	w := slo.Rolling(30 * day)
	for _, tt := range []struct {
		target float64
		want   []string
	}{
		{99.9, []string{"Target 99.9", "percentage", "0.999", "ParseTarget"}},
		{95, []string{"Target 95", "percentage", "0.95", "ParseTarget"}},
		{0, []string{"Target 0", "promises nothing"}},
		{-99, []string{"Target -99", "negative"}},
		{1, []string{"Target 1", "leaves no error budget"}},
		{250, []string{"Target 250 out of range (0, 1)", "fraction"}},
		{1.5, []string{"Target 1.5 out of range (0, 1)", "fraction", "0.999"}},
		{50, []string{"Target 50", "percentage", "0.5", "ParseTarget"}},
	} {
		err := slo.Objective{Name: "a", Target: tt.target, Window: w}.Validate()
		for _, want := range tt.want {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("Validate(Target %v) = %v, want it to say %q", tt.target, err, want)
			}
		}
		if err != nil && tt.target < 50 && strings.Contains(err.Error(), "percentage;") {
			t.Errorf("Validate(Target %v) = %v, reads it as a percentage", tt.target, err)
		}
		if err != nil && tt.target != 1 && strings.Contains(err.Error(), "a target of 1") {
			t.Errorf("Validate(Target %v) = %v, blames a target of 1", tt.target, err)
		}
	}
}

// A window shorter than the default bucket is the window's fault: the
// user never set a Resolution.
func TestNewTrackerBlamesWindowNotDefaultResolution(t *testing.T) {
	for _, w := range []time.Duration{time.Nanosecond, 90 * time.Second} {
		_, err := slo.NewTracker(slo.Objective{Name: "a", Target: 0.99, Window: slo.Rolling(w)}, slo.TrackerConfig{})
		if err == nil || !strings.Contains(err.Error(), "Window "+slo.Rolling(w).String()) || strings.Contains(err.Error(), "TrackerConfig.Resolution 1m0s") {
			t.Errorf("NewTracker(Rolling(%v)) = %v, want the window blamed", w, err)
		}
	}
	// A Resolution the user set is still the one named.
	_, err := slo.NewTracker(slo.Objective{Name: "a", Target: 0.99, Window: slo.Rolling(day)}, slo.TrackerConfig{Resolution: 7 * time.Minute})
	if err == nil || !strings.Contains(err.Error(), "TrackerConfig.Resolution 7m0s") {
		t.Errorf("NewTracker(Resolution 7m) = %v, want the resolution blamed", err)
	}
}

// The helpers never return NaN, Inf or a negative amount: bad input is an
// error naming it.
func TestHelpersRefuseOutOfRange(t *testing.T) {
	for _, tt := range []struct {
		rate, target float64
		want         string
	}{
		{0.1, 1, "target 1"},
		{0, 1, "target 1"},
		{0.1, 0, "target 0"},
		{0.1, math.NaN(), "target NaN"},
		{math.NaN(), 0.999, "errorRate NaN"},
		{-0.1, 0.999, "errorRate -0.1"},
		{1.5, 0.999, "errorRate 1.5"},
	} {
		got, err := slo.BurnRate(tt.rate, tt.target)
		if err == nil || !strings.Contains(err.Error(), tt.want) || got != 0 {
			t.Errorf("BurnRate(%v, %v) = %v, %v; want 0 and an error naming %s", tt.rate, tt.target, got, err, tt.want)
		}
	}
	if got, err := slo.BurnRate(0.0144, 0.999); err != nil || math.Abs(got-14.4) > 1e-9 {
		t.Errorf("BurnRate(0.0144, 0.999) = %v, %v; want 14.4", got, err)
	}
	for _, tt := range []struct {
		target float64
		window time.Duration
		want   string
	}{
		{math.NaN(), 30 * day, "target NaN"},
		{2, 30 * day, "target 2"},
		{1, 30 * day, "target 1"},
		{0.999, -day, "window -24h0m0s"},
		{0.999, 0, "window 0s"},
	} {
		got, err := slo.AllowedDowntime(tt.target, tt.window)
		if err == nil || !strings.Contains(err.Error(), tt.want) || got != 0 {
			t.Errorf("AllowedDowntime(%v, %v) = %v, %v; want 0 and an error naming %s", tt.target, tt.window, got, err, tt.want)
		}
	}
	if got, err := slo.AllowedDowntime(0.999, 30*day); err != nil || got != 43*time.Minute+12*time.Second {
		t.Errorf("AllowedDowntime(0.999, 30d) = %v, %v; want 43m12s", got, err)
	}
	// The methods describe a valid objective; for a target out of range
	// they report no budget at all: zero, never Inf or negative.
	for _, target := range []float64{1, 0, 2, -1, math.NaN(), math.Inf(1)} {
		o := slo.Objective{Name: "a", Target: target, Window: slo.Rolling(30 * day)}
		if n, b, d, a := o.Nines(), o.Budget(), o.AllowedDowntime(t0), o.AllowedBad(1000); n != 0 || b != 0 || d != 0 || a != 0 {
			t.Errorf("Target %v: Nines %v Budget %v AllowedDowntime %v AllowedBad %v, want all 0", target, n, b, d, a)
		}
	}
	// A window out of range for the method form: zero downtime.
	if d := (slo.Objective{Name: "a", Target: 0.999, Window: slo.Rolling(-day)}).AllowedDowntime(t0); d != 0 {
		t.Errorf("AllowedDowntime of a negative window = %v, want 0", d)
	}
}

// Names, slice targets and tiers are checked where they are given.
func TestValidateNamesSliceTargetsAndTiers(t *testing.T) {
	w := slo.Rolling(30 * day)
	for _, tt := range []struct {
		o    slo.Objective
		want string
	}{
		{slo.Objective{Target: 0.99, Window: w}, "Name is empty"},
		{slo.Objective{Name: "a\nb", Target: 0.99, Window: w}, `Name "a\nb" has a control character`},
		{slo.Objective{Name: "a\x00", Target: 0.99, Window: w}, `Name "a\x00" has a control character`},
		{slo.Objective{Name: "\xff", Target: 0.99, Window: w}, `Name "\xff" is not valid UTF-8`},
		{slo.Objective{Name: "a", Target: 0.99, Window: w, SliceTarget: 5}, "SliceTarget 5 is set, but Method is occurrences"},
		{slo.Objective{Name: "a", Target: 0.99, Window: w, Slice: time.Minute}, "Slice 1m0s is set, but Method is occurrences"},
	} {
		err := tt.o.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate(%+q) = %v, want %q", tt.o.Name, err, tt.want)
		}
		if _, err := slo.NewTracker(tt.o, slo.TrackerConfig{}); err == nil {
			t.Errorf("NewTracker(%+q) = nil error", tt.o.Name)
		}
	}
	if err := (slo.Objective{Name: "checkout — EU", Target: 0.99, Window: w}).Validate(); err != nil {
		t.Errorf("Validate(a name with spaces and a dash) = %v", err)
	}
	o := slo.Objective{Name: "a", Target: 0.999, Window: w}
	for _, tt := range []struct {
		tier slo.Tier
		want string
	}{
		{slo.Tier{Severity: "sms", Long: time.Hour, BudgetShare: 0.02}, `Severity "sms" is not page or ticket`},
		{slo.Tier{Severity: slo.Page, Long: time.Hour, Short: time.Nanosecond, BudgetShare: 0.02}, "Short 1ns is under a second"},
		{slo.Tier{Severity: slo.Page, Long: time.Hour, Short: time.Hour, BudgetShare: 0.02}, "Short 1h is not shorter than Long 1h"},
		{slo.Tier{Severity: slo.Page, Long: 500 * time.Millisecond, BudgetShare: 0.02}, "Long 500ms is under a second"},
		{slo.Tier{Severity: slo.Page, Long: 6 * time.Second, BudgetShare: 0.02}, "Short window of Long 6s / 12 is 500ms, under a second"},
	} {
		err := slo.Policy{Tiers: []slo.Tier{tt.tier}}.Validate(o)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate(%+v) = %v, want %q", tt.tier, err, tt.want)
		}
		p := slo.Policy{Tiers: []slo.Tier{tt.tier}}
		if _, err := slo.NewTracker(o, slo.TrackerConfig{Policy: &p}); err == nil {
			t.Errorf("NewTracker(Policy %+v) = nil error", tt.tier)
		}
	}
}
