package slo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// statusJSON is the JSON form of a TrackerStatus (see MarshalJSON). The
// fields a reader of an older runkit knows keep their names and
// meaning; those that say in seconds or rounded what the status holds
// exactly ("exhaustsInSeconds", "observedSeconds") are joined by exact ones
// ("exhaustsIn", "observed"), so that a status read back is the status
// written.
type statusJSON struct {
	Objective       string    `json:"objective"`
	Route           string    `json:"route,omitempty"`
	Target          float64   `json:"target"`
	Window          string    `json:"window"`
	TimeZone        string    `json:"timeZone,omitempty"`
	WindowStart     time.Time `json:"windowStart"`
	WindowEnd       time.Time `json:"windowEnd"`
	Method          string    `json:"method"`
	At              time.Time `json:"at"`
	Good            int64     `json:"good"`
	Total           int64     `json:"total"`
	NoData          bool      `json:"noData"`
	SLI             float64   `json:"sli"`
	ErrorRate       float64   `json:"errorRate"`
	Budget          float64   `json:"budget"`
	AllowedBad      float64   `json:"allowedBad"`
	BudgetConsumed  float64   `json:"budgetConsumed"`
	BudgetRemaining float64   `json:"budgetRemaining"`
	BurnRate        float64   `json:"burnRate"`
	RecentBurnRate  float64   `json:"recentBurnRate"`
	RecentWindow    string    `json:"recentWindow"`
	// ExhaustsInSeconds is ExhaustsIn rounded to seconds, null for
	// Forever; ExhaustsIn is exact, absent for Forever.
	ExhaustsInSeconds *float64          `json:"exhaustsInSeconds"`
	ExhaustsIn        string            `json:"exhaustsIn,omitempty"`
	Dropped           int64             `json:"dropped"`
	Future            int64             `json:"future"`
	ObservedSeconds   float64           `json:"observedSeconds"`
	Observed          string            `json:"observed"`
	ObservedShare     float64           `json:"observedShare"`
	Tiers             []tierResultJSON  `json:"tiers"`
	OmittedTiers      []omittedTierJSON `json:"omittedTiers"`
}

// tierJSON is the JSON form of a Tier. Short is the short window in
// effect (ShortWindow), and ShortDefault says that Tier.Short is zero.
type tierJSON struct {
	Severity     Severity `json:"severity"`
	Long         string   `json:"long"`
	Short        string   `json:"short"`
	ShortDefault bool     `json:"shortDefault,omitempty"`
	BudgetShare  float64  `json:"budgetShare,omitempty"`
	BurnRate     float64  `json:"burnRate,omitempty"`
	For          string   `json:"for,omitempty"`
}

type tierResultJSON struct {
	tierJSON
	Threshold float64 `json:"threshold"`
	LongBurn  float64 `json:"longBurn"`
	ShortBurn float64 `json:"shortBurn"`
	Firing    bool    `json:"firing"`
	Reason    string  `json:"reason"`
}

type omittedTierJSON struct {
	tierJSON
	Reason string `json:"reason"`
}

func tierToJSON(t Tier) tierJSON {
	j := tierJSON{
		Severity: t.Severity, Long: FormatDuration(t.Long), Short: FormatDuration(t.ShortWindow()),
		ShortDefault: t.Short == 0, BudgetShare: t.BudgetShare, BurnRate: t.BurnRate,
	}
	if t.For != 0 {
		j.For = FormatDuration(t.For)
	}
	return j
}

// tier reads j back. A window that does not read is left zero, as is a
// Short that a status of an older runkit wrote as the default.
func (j tierJSON) tier() Tier {
	t := Tier{Severity: j.Severity, BudgetShare: j.BudgetShare, BurnRate: j.BurnRate}
	t.Long, _ = readDuration(j.Long)
	if !j.ShortDefault {
		t.Short, _ = readDuration(j.Short)
	}
	t.For, _ = readDuration(j.For)
	return t
}

// MarshalJSON writes s as Tracker.Handler serves it: an object whose
// fields are named as TrackerStatus's, in lower camel case, but for
// "window" (Period, as ParseWindow reads it: "30d", "month"), "timeZone"
// (a calendar window's zone; absent for a rolling one), "windowStart" and
// "windowEnd" (Start and End, in UTC, as is "at"), "budgetConsumed" and
// "budgetRemaining" (Consumed and Remaining). Durations are written as
// FormatDuration writes them. ExhaustsIn is "exhaustsIn", absent when
// Forever, and "exhaustsInSeconds", rounded to seconds: 0 once the budget
// is spent, null when RecentBurnRate is 0. Observed is "observed" and
// "observedSeconds". A tier is its Tier's fields, "short" being its
// ShortWindow and "shortDefault" true when Short is zero, then the
// TierResult's or OmittedTier's. "tiers" and "omittedTiers" are lists,
// never null.
func (s TrackerStatus) MarshalJSON() ([]byte, error) {
	j := statusJSON{
		Objective: s.Objective, Route: s.Route, Target: s.Target, Window: s.Period.text(),
		WindowStart: s.Start.UTC(), WindowEnd: s.End.UTC(),
		Method: s.Method.String(), At: s.At.UTC(), Good: s.Good, Total: s.Total, NoData: s.NoData,
		SLI: s.SLI, ErrorRate: s.ErrorRate, Budget: s.Budget, AllowedBad: s.AllowedBad, BudgetConsumed: s.Consumed,
		BudgetRemaining: s.Remaining, BurnRate: s.BurnRate, Dropped: s.Dropped, Future: s.Future,
		RecentBurnRate: s.RecentBurnRate, RecentWindow: FormatDuration(s.RecentWindow),
		ObservedSeconds: s.Observed.Seconds(), Observed: FormatDuration(s.Observed), ObservedShare: s.ObservedShare,
		Tiers:        make([]tierResultJSON, len(s.Tiers)),
		OmittedTiers: make([]omittedTierJSON, len(s.OmittedTiers)),
	}
	if s.Period.Calendar != NotCalendar {
		j.TimeZone = s.Period.loc().String()
	}
	if s.ExhaustsIn != Forever {
		v := math.Round(s.ExhaustsIn.Seconds())
		j.ExhaustsInSeconds = &v
		j.ExhaustsIn = FormatDuration(s.ExhaustsIn)
	}
	for i, o := range s.OmittedTiers {
		j.OmittedTiers[i] = omittedTierJSON{tierJSON: tierToJSON(o.Tier), Reason: o.Reason}
	}
	for i, tr := range s.Tiers {
		j.Tiers[i] = tierResultJSON{
			tierJSON: tierToJSON(tr.Tier), Threshold: tr.Threshold,
			LongBurn: tr.LongBurn, ShortBurn: tr.ShortBurn, Firing: tr.Firing, Reason: tr.Reason,
		}
	}
	// Not escaped for HTML here: an encoder that escapes does so to what
	// this returns, and one that does not ("latency>300ms") gets it as is.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(j); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// UnmarshalJSON reads a status as MarshalJSON writes it, and as older
// runkits wrote it. A method other than occurrences or timeslices is an
// error; a missing one is Occurrences. The other fields are read when
// present: the window (Period) when ParseWindow reads it, in its time zone
// when this machine knows the zone, and a tier's windows when they read
// as durations. Window is WindowEnd - WindowStart when they bound a
// window, else the Period's length at At. Without the exact
// "exhaustsIn" and "observed" (an older runkit), ExhaustsIn is
// "exhaustsInSeconds" (Forever when null or absent) and Observed
// "observedSeconds"; without "observedShare" the window reads as observed
// whole. A tier's Short written as its default reads zero, and without
// "shortDefault" (an older runkit) as the window written.
func (s *TrackerStatus) UnmarshalJSON(b []byte) error {
	// A field of the wrong type is named as Report.field: the report a
	// service served.
	type Report statusJSON
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return err
	}
	j := statusJSON(r)
	var present struct {
		ObservedShare *float64 `json:"observedShare"`
	}
	json.Unmarshal(b, &present) // the types were checked above
	var method Method
	switch j.Method {
	case "", Occurrences.String():
	case Timeslices.String():
		method = Timeslices
	default:
		return fmt.Errorf("method %q: want %s or %s", j.Method, Occurrences, Timeslices)
	}
	*s = TrackerStatus{
		Route: j.Route,
		Status: Status{
			Objective: j.Objective, Target: j.Target, Method: method, Good: j.Good, Total: j.Total, NoData: j.NoData,
			SLI: j.SLI, ErrorRate: j.ErrorRate, Budget: j.Budget, AllowedBad: j.AllowedBad, Consumed: j.BudgetConsumed,
			Remaining: j.BudgetRemaining, BurnRate: j.BurnRate, ExhaustsIn: Forever,
		},
		At: j.At, Start: j.WindowStart, End: j.WindowEnd, Dropped: j.Dropped, Future: j.Future,
		RecentBurnRate: j.RecentBurnRate,
	}
	if d, err := readDuration(j.ExhaustsIn); err == nil && j.ExhaustsIn != "" {
		s.ExhaustsIn = d
	} else if j.ExhaustsInSeconds != nil {
		s.ExhaustsIn = time.Duration(*j.ExhaustsInSeconds * float64(time.Second))
	}
	s.RecentWindow, _ = readDuration(j.RecentWindow)
	if w, err := ParseWindow(j.Window); err == nil {
		if j.TimeZone != "" && w.Calendar != NotCalendar {
			if loc, err := time.LoadLocation(j.TimeZone); err == nil {
				w = CalendarWindow(w.Calendar, loc)
			}
		}
		s.Period = w
		s.Window = w.Length(j.At)
	} else if d, err := readDuration(j.Window); err == nil && d > 0 {
		s.Period = Rolling(d)
		s.Window = d
	}
	if !s.Start.IsZero() && s.End.After(s.Start) {
		// The bounds the service reported hold even where its zone is
		// unknown here.
		s.Window = s.End.Sub(s.Start)
	}
	// A status of an older runkit does not say what it observed: its
	// budget was judged on the events seen, as over a window seen whole.
	s.Observed, s.ObservedShare = s.Window, 1
	if present.ObservedShare != nil {
		s.ObservedShare = j.ObservedShare
		s.Observed = time.Duration(j.ObservedSeconds * float64(time.Second))
		if d, err := readDuration(j.Observed); err == nil && j.Observed != "" {
			s.Observed = d
		}
	}
	for _, o := range j.OmittedTiers {
		s.OmittedTiers = append(s.OmittedTiers, OmittedTier{Tier: o.tier(), Reason: o.Reason})
	}
	for _, t := range j.Tiers {
		s.Tiers = append(s.Tiers, TierResult{
			Tier: t.tier(), Threshold: t.Threshold,
			LongBurn: t.LongBurn, ShortBurn: t.ShortBurn, Firing: t.Firing, Reason: t.Reason,
		})
	}
	return nil
}

// readDuration reads what FormatDuration writes, to the nanosecond: whole
// days ("30d"), then what time.ParseDuration reads ("1h500µs", "0s"), or
// what ParseDuration reads ("4w"). Empty is zero.
func readDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	if d, err := ParseDuration(s); err == nil {
		return d, nil
	}
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil || n < 0 || n > int64(math.MaxInt64/(24*time.Hour)) {
			return 0, fmt.Errorf("slo: duration %q does not read", s)
		}
		days, s = time.Duration(n)*24*time.Hour, s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d > math.MaxInt64-days {
		return 0, fmt.Errorf("slo: duration %q does not read", s)
	}
	return days + d, nil
}
