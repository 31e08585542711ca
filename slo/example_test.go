package slo_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/ybiyri/runkit/slo"
)

func ExampleObjective() {
	o := slo.Objective{Name: "checkout", Target: 0.999, Window: slo.Rolling(30 * 24 * time.Hour)}
	fmt.Println(o.Validate())
	fmt.Println(o.Budget(), o.Nines(), o.AllowedBad(1_000_000))
	fmt.Println(o.AllowedDowntime(time.Time{}))
	// Output:
	// <nil>
	// 0.001 3 1000
	// 43m12s
}

func ExampleObjective_Validate() {
	o := slo.Objective{Name: "checkout", Target: 1, Window: slo.Rolling(30 * 24 * time.Hour)}
	fmt.Println(o.Validate())
	// Output: slo: objective "checkout": Target 1 out of range (0, 1): a target of 1 leaves no error budget
}

func ExampleObjective_Evaluate() {
	o := slo.Objective{Name: "checkout", Target: 0.999, Window: slo.Rolling(30 * 24 * time.Hour)}
	s, _ := o.Evaluate(999_500, 1_000_000)
	fmt.Printf("SLI %.4f, consumed %.2f, remaining %.2f, burn rate %.2f, exhausts in %v\n",
		s.SLI, s.Consumed, s.Remaining, s.BurnRate, s.ExhaustsIn)
	quiet, _ := o.Evaluate(0, 0)
	fmt.Println(quiet.NoData, quiet.Remaining)
	// Output:
	// SLI 0.9995, consumed 0.50, remaining 0.50, burn rate 0.50, exhausts in 720h0m0s
	// true 1
}

func ExampleObjective_EvaluateSlices() {
	o := slo.Objective{Name: "api", Target: 0.999, Window: slo.Rolling(30 * 24 * time.Hour), Method: slo.Timeslices}
	// Ten bad minutes in the first day of the window: 1,440 of its
	// 43,200 slices have elapsed.
	s, _ := o.EvaluateSlices(10, 1440, 43200)
	fmt.Printf("allowed %.1f bad slices, consumed %.3f\n", s.AllowedBad, s.Consumed)
	fmt.Printf("error rate %.5f, burn rate %.2f, exhausts in %v\n", s.ErrorRate, s.BurnRate, s.ExhaustsIn.Round(time.Minute))
	// Output:
	// allowed 43.2 bad slices, consumed 0.231
	// error rate 0.00694, burn rate 6.94, exhausts in 79h41m0s
}

func ExampleAllowedDowntime() {
	for _, target := range []float64{0.99, 0.999, 0.9999} {
		d, err := slo.AllowedDowntime(target, 30*24*time.Hour)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(target, d)
	}
	// A percentage where a fraction belongs is an error, not a negative duration.
	_, err := slo.AllowedDowntime(99.9, 30*24*time.Hour)
	fmt.Println(err)
	// Output:
	// 0.99 7h12m0s
	// 0.999 43m12s
	// 0.9999 4m19.2s
	// slo: AllowedDowntime: target 99.9 out of range (0, 1): it looks like a percentage; write 0.999, or read "99.9" with ParseTarget
}

func ExampleParseTarget() {
	for _, s := range []string{"99.9%", "99.95", "0.999", "100%"} {
		v, err := slo.ParseTarget(s)
		fmt.Println(v, err)
	}
	// Output:
	// 0.999 <nil>
	// 0.9995 <nil>
	// 0.999 <nil>
	// 0 slo: target "100%": target 1 out of range (0, 1): a target of 1 leaves no error budget
}

func ExampleParseWindow() {
	for _, s := range []string{"30d", "4w", "1h30m", "month"} {
		w, _ := slo.ParseWindow(s)
		fmt.Println(w)
	}
	// Output:
	// 30d
	// 28d
	// 1h30m
	// calendar month in UTC
}

func ExampleFormatDuration() {
	for _, d := range []time.Duration{720 * time.Hour, 90 * time.Minute, 1500 * time.Millisecond, time.Hour + 500*time.Microsecond, 0} {
		s := slo.FormatDuration(d)
		back, err := slo.ParseDuration(s)
		fmt.Println(s, back == d, err == nil)
	}
	// Output:
	// 30d true true
	// 1h30m true true
	// 1s500ms true true
	// 1h500µs false false
	// 0s true false
}

func ExampleCalendarWindow() {
	w := slo.CalendarWindow(slo.Month, nil)
	fmt.Println(w.Length(time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC)))
	// Output: 672h0m0s
}

func ExampleDefaultPolicy() {
	for _, t := range slo.DefaultPolicy().Tiers {
		fmt.Println(t.Severity, t.Long, t.ShortWindow(), t.Threshold(30*24*time.Hour), t.Threshold(28*24*time.Hour))
	}
	// Output:
	// page 1h0m0s 5m0s 14.4 13.44
	// page 6h0m0s 30m0s 6 5.6
	// ticket 24h0m0s 2h0m0s 3 2.8
	// ticket 72h0m0s 6h0m0s 1 0.933333333333
}

func ExamplePolicy_Validate() {
	o := slo.Objective{Name: "batch", Target: 0.9, Window: slo.Rolling(30 * 24 * time.Hour)}
	fmt.Println(slo.DefaultPolicy().Validate(o))
	// Output: slo: tier 0 (page, 1h): burn-rate threshold 14.4 × budget 0.1 = 1.44 ≥ 1: it would need an error rate over 100% and can never fire
}

func ExampleTracker() {
	o := slo.Objective{Name: "checkout", Target: 0.999, Window: slo.Rolling(30 * 24 * time.Hour)}
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	now := start
	tr, _ := slo.NewTracker(o, slo.TrackerConfig{Now: func() time.Time { return now }})
	// An hour of traffic since the tracker started, the last half hour
	// failing 5%.
	for m := range 60 {
		now = start.Add(time.Duration(m) * time.Minute)
		bad := int64(0)
		if m >= 30 {
			bad = 50
		}
		tr.RecordNAt(now, 1000-bad, bad)
	}
	s := tr.StatusAt(start.Add(time.Hour - time.Second))
	// The tracker has seen an hour of the 30-day window: 1,500 bad of
	// 60,000 are judged against the 43,200,000 events the window would
	// hold at this rate, not spent 25 times over; the page tier fires.
	fmt.Printf("observed %v (%.2f%% of the window), remaining %.3f, page firing %v\n", s.Observed, 100*s.ObservedShare, s.Remaining, s.Firing(slo.Page))
	fmt.Println(s.Tiers[0].Reason)
	// Output:
	// observed 1h0m0s (0.14% of the window), remaining 0.965, page firing true
	// burn rate 25 over 1h and 50 over 5m both exceed 14.4: 2% of the budget would go in 1h
}

func ExampleMiddleware() {
	o := slo.Objective{Name: "api", Target: 0.99, Window: slo.Rolling(24 * time.Hour)}
	// The tracker's Latency and clock judge the middleware's requests too.
	tr, _ := slo.NewTracker(o, slo.TrackerConfig{Latency: time.Second})
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/broken" {
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
	h := slo.Middleware(tr, slo.MiddlewareConfig{})(app)
	for _, p := range []string{"/", "/", "/broken", "/missing"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p, nil))
	}
	s := tr.Status()
	fmt.Println(s.Good, s.Total)
	// Output: 3 4
}

func ExampleTracker_Handler() {
	o := slo.Objective{Name: "api", Target: 0.99, Window: slo.Rolling(24 * time.Hour)}
	tr, _ := slo.NewTracker(o, slo.TrackerConfig{})
	rec := httptest.NewRecorder()
	tr.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/slo", nil))
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))

	// A browser asks for HTML and gets the page.
	req := httptest.NewRequest("GET", "/slo", nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	rec = httptest.NewRecorder()
	tr.Handler().ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	// Output:
	// 200 application/json
	// 200 text/html; charset=utf-8
}

func ExampleBurnRate() {
	// 1.44% of requests failing against 99.9% burns a 30-day budget in 50 hours.
	burn, err := slo.BurnRate(0.0144, 0.999)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.1f\n", burn)
	// Output: 14.4
}

func ExampleTracker_ErrorRateAt() {
	o := slo.Objective{Name: "api", Target: 0.99, Window: slo.Rolling(24 * time.Hour)}
	tr, _ := slo.NewTracker(o, slo.TrackerConfig{})
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	tr.RecordNAt(now.Add(-30*time.Minute), 95, 5)
	tr.RecordNAt(now.Add(-2*time.Minute), 90, 10)
	r5, _ := tr.ErrorRateAt(now, 5*time.Minute)
	r1h, _ := tr.ErrorRateAt(now, time.Hour)
	_, ok := tr.ErrorRateAt(now.Add(2*time.Hour), 5*time.Minute)
	fmt.Println(r5, r1h, ok)
	// Output: 0.1 0.075 false
}

func ExamplePolicy_Evaluate() {
	o := slo.Objective{Name: "api", Target: 0.999, Window: slo.Rolling(30 * 24 * time.Hour)}
	observed := map[time.Duration]float64{time.Hour: 0.02, 5 * time.Minute: 0.02}
	results := slo.DefaultPolicy().Evaluate(o, 30*24*time.Hour, func(d time.Duration) (float64, bool) {
		r, ok := observed[d]
		return r, ok
	})
	fmt.Println(results[0].Firing, results[0].Reason)
	// Output: true burn rate 20 over 1h and 20 over 5m both exceed 14.4: 2% of the budget would go in 1h
}

func ExampleTracker_Future() {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	o := slo.Objective{Name: "api", Target: 0.99, Window: slo.Rolling(24 * time.Hour)}
	tr, _ := slo.NewTracker(o, slo.TrackerConfig{Now: func() time.Time { return now }})
	// A caller whose clock runs a day ahead: refused and counted, and the
	// events of the present still count.
	fmt.Println(tr.RecordNAt(now.Add(24*time.Hour), 1, 0))
	tr.RecordNAt(now.Add(-time.Minute), 99, 1)
	s := tr.Status()
	fmt.Println(s.Total, s.Future, s.Dropped)
	// Output:
	// slo: RecordN at 2026-11-02T12:00:00Z is more than MaxSkew 1m0s past the clock; 1 events refused
	// 100 1 0
}

func ExampleOmittedTier() {
	// The default policy's 1h tier would page at 14.4 × 10% = 144% errors:
	// a tracker without a policy of its own leaves it out and says so.
	o := slo.Objective{Name: "batch", Target: 0.9, Window: slo.Rolling(30 * 24 * time.Hour)}
	tr, _ := slo.NewTracker(o, slo.TrackerConfig{})
	s := tr.Status()
	fmt.Println(len(s.Tiers), "tiers")
	for _, t := range s.OmittedTiers {
		fmt.Println(t.Tier.Severity, t.Tier.Long, t.Reason)
	}
	// Output:
	// 3 tiers
	// page 1h0m0s burn-rate threshold 14.4 × budget 0.1 = 1.44 ≥ 1: it would need an error rate over 100% and can never fire
}

func ExampleTrackerStatus_MarshalJSON() {
	kolkata, _ := time.LoadLocation("Asia/Kolkata")
	o := slo.Objective{Name: "api", Target: 0.999, Window: slo.CalendarWindow(slo.Month, kolkata)}
	tr, _ := slo.NewTracker(o, slo.TrackerConfig{})
	b, _ := json.Marshal(tr.StatusAt(time.Date(2026, 2, 10, 12, 0, 0, 0, kolkata)))
	var r struct {
		Window, TimeZone       string
		WindowStart, WindowEnd time.Time
	}
	json.Unmarshal(b, &r)
	fmt.Println(r.Window, r.TimeZone, r.WindowStart, r.WindowEnd)
	// Output: month Asia/Kolkata 2026-01-31 18:30:00 +0000 UTC 2026-02-28 18:30:00 +0000 UTC
}

func ExampleNewDashboard() {
	o := slo.Objective{Name: "checkout", Target: 0.999, Window: slo.Rolling(30 * 24 * time.Hour)}
	tr, _ := slo.NewTracker(o, slo.TrackerConfig{})
	d, err := slo.NewDashboard(slo.DashboardConfig{Title: "Shop"}, tr)
	if err != nil {
		panic(err)
	}
	// mux.Handle("GET /slo", d): a browser gets the page, curl gets JSON.
	for _, accept := range []string{"text/html,*/*;q=0.8", "*/*"} {
		req := httptest.NewRequest("GET", "/slo", nil)
		req.Header.Set("Accept", accept)
		rec := httptest.NewRecorder()
		d.ServeHTTP(rec, req)
		fmt.Println(rec.Header().Get("Content-Type"), strings.Contains(rec.Body.String(), "No data: no events were recorded"))
	}
	// Output:
	// text/html; charset=utf-8 true
	// application/json false
}

func ExampleTracker_BurnDownAt() {
	o := slo.Objective{Name: "api", Target: 0.99, Window: slo.Rolling(time.Hour)}
	tr, _ := slo.NewTracker(o, slo.TrackerConfig{Policy: &slo.Policy{Tiers: []slo.Tier{{Severity: slo.Page, Long: 30 * time.Minute, BudgetShare: 0.5}}}})
	start := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	for m := range 60 {
		bad := int64(0)
		if m >= 40 && m < 45 {
			bad = 6 // 30 bad of the 60 the hour's 6,000 events allow
		}
		tr.RecordNAt(start.Add(time.Duration(m)*time.Minute), 100-bad, bad)
	}
	at := start.Add(time.Hour - time.Second)
	bd := tr.BurnDownAt(at, 5)
	for _, p := range bd.Points {
		fmt.Printf("%s spent %2d remaining %.0f%%\n", p.At.Format("15:04:05"), p.Spent, 100*p.Remaining)
	}
	fmt.Printf("status remaining %.0f%%\n", 100*tr.StatusAt(at).Remaining)
	// Output:
	// 12:15:00 spent  0 remaining 100%
	// 12:30:00 spent  0 remaining 100%
	// 12:45:00 spent 30 remaining 50%
	// 12:59:59 spent 30 remaining 50%
	// status remaining 50%
}

func ExampleDefaultPolicyFor() {
	o := slo.Objective{Name: "batch", Target: 0.93, Window: slo.Rolling(30 * 24 * time.Hour)}
	p, omitted := slo.DefaultPolicyFor(o)
	for _, t := range p.Tiers {
		fmt.Println("keeps", t.Severity, t.Long, t.Threshold(30*24*time.Hour))
	}
	for _, t := range omitted {
		fmt.Println("omits", t.Tier.Severity, t.Tier.Long, t.Reason)
	}
	// Output:
	// keeps page 6h0m0s 6
	// keeps ticket 24h0m0s 3
	// keeps ticket 72h0m0s 1
	// omits page 1h0m0s burn-rate threshold 14.4 × budget 0.07 = 1.008 ≥ 1: it would need an error rate over 100% and can never fire
}

// A tier with a BurnRate fires at that burn rate in every calendar month;
// the share of the budget it guards follows the month's length.
func ExampleTier_Share() {
	page := slo.Tier{Severity: slo.Page, Long: time.Hour, BurnRate: 14.4}
	for _, month := range []time.Month{time.February, time.April} {
		at := time.Date(2025, month, 10, 0, 0, 0, 0, time.UTC)
		length := slo.CalendarWindow(slo.Month, nil).Length(at)
		fmt.Printf("%s: threshold %v, %.4g%% of the budget in 1h\n", month, page.Threshold(length), 100*page.Share(length))
	}
	// Output:
	// February: threshold 14.4, 2.143% of the budget in 1h
	// April: threshold 14.4, 2% of the budget in 1h
}

// One objective per route: the middleware wraps the mux, finds each
// request's route from the mux's pattern and records it into that route's
// tracker; POST /checkout has its own target.
func ExampleRoutes() {
	rs, err := slo.NewRoutes(
		slo.Objective{Name: "api", Target: 0.999, Window: slo.Rolling(30 * 24 * time.Hour)},
		slo.RoutesConfig{
			Tracker:   slo.TrackerConfig{Latency: 300 * time.Millisecond},
			Overrides: map[string]slo.RouteOverride{"POST /checkout": {Target: 0.9995}},
			MaxRoutes: 50,
		})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "hello") })
	mux.HandleFunc("POST /checkout", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "payment provider down", http.StatusBadGateway)
	})
	mux.Handle("GET /slo", rs.Handler()) // every route, worst first
	h := rs.Middleware(slo.MiddlewareConfig{})(mux)

	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/hello", nil))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/checkout", nil))
	for _, t := range rs.Trackers() {
		s := t.Status()
		fmt.Printf("%s: target %v, %d of %d good\n", s.Route, t.Objective().Target, s.Good, s.Total)
	}
	// Output:
	// GET /hello: target 0.999, 1 of 1 good
	// POST /checkout: target 0.9995, 0 of 1 good
	// (other routes): target 0.999, 0 of 0 good
}

// A middleware that copies the request (r.WithContext), put between
// Routes.Middleware and the mux, hides every route: the answered requests
// are counted by Unrouted, and the first is logged with the fix.
func ExampleRoutes_Unrouted() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	rs, err := slo.NewRoutes(slo.Objective{Name: "api", Target: 0.999, Window: slo.Rolling(30 * 24 * time.Hour)},
		slo.RoutesConfig{Logger: logger})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "hello") })
	copying := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(r.Context()))
		})
	}
	h := rs.Middleware(slo.MiddlewareConfig{})(copying(mux)) // wrong: copying(rs.Middleware(...)(mux)) is right
	for range 3 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/hello", nil))
	}
	fmt.Println("unrouted:", rs.Unrouted())
	// Output:
	// level=WARN msg="slo: a request was answered, yet Routes.Middleware saw no route and recorded it under (no route): a middleware between it and the ServeMux copies the request, so the mux's pattern never reaches it; put Routes.Middleware directly around the ServeMux (or outside telemetry's Middleware); logged once" slo=api method=GET path=/hello
	// unrouted: 3
}
