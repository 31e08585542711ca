package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ybiyri/runkit/slo"
)

// The series package slo/promrules records, which FetchPrometheusSLOStatus
// reads; a test keeps them equal to promrules' names.
const (
	promErrorRatio      = "runkit:slo_errors:ratio_rate"
	promBudgetRemaining = "runkit:slo_budget_remaining:ratio"
	promInfo            = "runkit:slo_info"
	promBurnAlert       = "SLOErrorBudgetBurn"
	promSeverityLabel   = "slo_severity"
)

// PrometheusSource says which SLO FetchPrometheusSLOStatus reads from
// which Prometheus, and how it signs in.
type PrometheusSource struct {
	// URL is the Prometheus server, as http://prometheus:9090; a path,
	// as of a server behind a proxy at /prometheus, is kept. A user and
	// password in it are sent as basic auth by net/http.
	URL string
	// SLO is the objective's name: the slo label of the series its rules
	// record.
	SLO string
	// Labels select among the SLO's series by equality, such as
	// team="payments" (one of the SLO's Labels) or region="eu" (a label
	// it keeps). Nil selects every series of the SLO. A label the SLO's
	// labels name with another value is an error, as no such SLO; one
	// that selects no series otherwise, as a region with no events, is
	// no data.
	Labels map[string]string
	// BearerToken, when set, is sent as "Authorization: Bearer".
	BearerToken Secret
	// Username and Password, when Username is set, are sent as basic
	// auth. Setting both BearerToken and Username is an error.
	Username string
	Password Secret
	// Severity is the promrules.Config.Severity the rules were written
	// with, so that an alert labelled severity="critical" reads as the
	// page tier it is. Rules that map a severity label their alerts with
	// the tier's own severity too (slo_severity), which is read first, so
	// Severity is needed only for rules written without it. Nil means
	// every severity label is its own tier severity: "page" and "ticket".
	// An alert whose tier is neither reads as a page.
	Severity map[slo.Severity]string
}

// FetchPrometheusSLOStatus reads the status of one SLO from the series
// package slo/promrules records in Prometheus: the fleet's view, every
// replica's events summed, over the whole window Prometheus holds, where
// FetchSLOStatus reads one replica's tracker. It returns one status per
// series of the SLO's budget: one, or one per value of the labels the rules
// keep, named NAME{region="eu"}.
//
// From the series at Prometheus's present: the target and the window
// (runkit:slo_info), the error ratio over the window, and so the SLI, the
// burn rate and the budget consumed (runkit:slo_errors:ratio_rate<window>),
// the budget remaining (runkit:slo_budget_remaining:ratio), the recent
// burn rate over the shortest long window of slo.DefaultPolicyFor's tiers
// when the rules record it (else over the window), and each firing
// SLOErrorBudgetBurn alert as a firing tier, with its windows and burn
// rates, and its severity: the alert's slo_severity, else its severity
// read back through Severity, else page. Tiers that do not fire are not listed. The counts
// (Good, Total, AllowedBad) are not recorded and read zero. The window
// is judged on the events Prometheus holds, as a window observed whole
// (ObservedShare 1).
//
// No error ratio over the window (no events in it, or rules that have not
// run yet) is a status with NoData, which a Gate refuses unless it
// AllowNoData. No runkit:slo_info series for the SLO is an error: the
// rules are not loaded, or no SLO has that name. So is a Prometheus that
// cannot be reached or answers with an error, which it names. Client nil
// means http.DefaultClient; ctx bounds every query. Errors show the URL as
// RedactURL writes it.
func FetchPrometheusSLOStatus(ctx context.Context, client *http.Client, src PrometheusSource) ([]slo.TrackerStatus, error) {
	u, err := baseURL("Prometheus URL", src.URL, "")
	if err != nil {
		return nil, err
	}
	switch {
	case src.SLO == "":
		return nil, errors.New("deploy: PrometheusSource.SLO is empty; give the objective's name, the slo label of its series")
	case src.BearerToken != "" && src.Username != "":
		return nil, errors.New("deploy: PrometheusSource has both BearerToken and Username; give one way to sign in")
	}
	for _, a := range slices.Sorted(maps.Keys(src.Severity)) {
		for _, b := range slices.Sorted(maps.Keys(src.Severity)) {
			if a < b && src.Severity[a] == src.Severity[b] {
				return nil, fmt.Errorf("deploy: PrometheusSource.Severity maps %s and %s to one label %q, which cannot tell the tiers apart", a, b, src.Severity[a])
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(src.Labels)) {
		if !promLabelName(k) || k == "slo" || k == "__name__" {
			return nil, fmt.Errorf("deploy: PrometheusSource.Labels[%q]: not a label to select by; want a Prometheus label name other than slo", k)
		}
	}
	if client == nil {
		client = http.DefaultClient
	}
	q := promQuerier{client: client, src: src, base: u, shown: RedactURL(src.URL),
		scrub: newScrubber(src.URL, src.BearerToken, src.Password)}

	infos, at, err := q.query(ctx, promInfo+`{slo=`+strconv.Quote(src.SLO)+`}`)
	if err != nil {
		return nil, err
	}
	infos = slices.DeleteFunc(infos, func(s promSample) bool { return !s.matches(src.Labels, false) })
	if len(infos) == 0 {
		return nil, fmt.Errorf("deploy: Prometheus %s has no series %s{slo=%q%s}: the SLO's rules are not loaded there, or no SLO has that name", q.shown, promInfo, src.SLO, q.labelText())
	}
	sel := q.selector()
	series, _, err := q.query(ctx, `{__name__=~"`+promBudgetRemaining+`|`+promErrorRatio+`.+",`+sel+`}`)
	if err != nil {
		return nil, err
	}
	alerts, _, err := q.query(ctx, `ALERTS{alertname="`+promBurnAlert+`",alertstate="firing",`+sel+`}`)
	if err != nil {
		return nil, err
	}

	var out []slo.TrackerStatus
	services := map[string]bool{}
	for _, info := range infos {
		services[info.Metric["service"]] = true
	}
	// Whether the rules label every series with the service, as they do
	// since SLOs of one name in several services were kept apart: any
	// series of the SLO with a service label says so. A service with no
	// series yet is then no data, never another service's budget.
	serviceLabelled := slices.ContainsFunc(series, func(s promSample) bool { return s.Metric["service"] != "" })
	for _, info := range infos {
		base := info.labels("__name__", "target", "window")
		if len(services) > 1 {
			// SLOs of this name in several services: each status is
			// named with its service.
			delete(base, "service")
		}
		// owner labels the info series alone, unless the SLO's labels
		// hold it too; service labels every series.
		match := info.labels("__name__", "target", "window", "owner")
		o, err := info.objective(src.SLO)
		if err != nil {
			return nil, fmt.Errorf("deploy: Prometheus %s: %s: %w", q.shown, promInfo, err)
		}
		// The groups: every budget series of this info's SLO; none is
		// one group with no data, named with its service.
		whole := maps.Clone(match)
		if !serviceLabelled {
			// Rules written when service labelled the info series alone.
			delete(match, "service")
		}
		groups := budgetGroups(series, match)
		if len(groups) == 0 {
			groups = append(groups, whole)
		}
		for _, g := range groups {
			out = append(out, promStatus(o, at, base, g, series, alerts, src.Severity))
		}
	}
	slices.SortStableFunc(out, func(a, b slo.TrackerStatus) int { return strings.Compare(a.Objective, b.Objective) })
	return out, nil
}

// firingTiers are the tiers of the firing alerts of group g, with their
// windows, burn rates (value reads a series of g) and severity.
func firingTiers(g map[string]string, alerts []promSample, value func(string) (float64, bool), budget float64, severity map[slo.Severity]string) []slo.TierResult {
	var tiers []slo.TierResult
	for _, a := range alerts {
		if !a.matches(g, true) {
			continue
		}
		t := slo.TierResult{Firing: true, Reason: "its " + promBurnAlert + " alert fires in Prometheus"}
		var burns []string
		if d, err := slo.ParseDuration(a.Metric["long_window"]); err == nil {
			t.Tier.Long = d
			if r, ok := value(promErrorRatio + a.Metric["long_window"]); ok {
				t.LongBurn = r / budget
				burns = append(burns, fmt.Sprintf("%.3g over %s", t.LongBurn, a.Metric["long_window"]))
			}
		}
		if d, err := slo.ParseDuration(a.Metric["short_window"]); err == nil {
			t.Tier.Short = d
			if r, ok := value(promErrorRatio + a.Metric["short_window"]); ok {
				t.ShortBurn = r / budget
				burns = append(burns, fmt.Sprintf("%.3g over %s", t.ShortBurn, a.Metric["short_window"]))
			}
		}
		if len(burns) > 0 {
			t.Reason += ": burn rate " + strings.Join(burns, " and ")
		}
		sev, known := tierSeverity(a.Metric, severity)
		t.Tier.Severity = sev
		if !known {
			t.Reason += fmt.Sprintf("; its severity %q is neither page nor ticket, nor mapped to one: read as a page", a.Metric["severity"])
		}
		tiers = append(tiers, t)
	}
	slices.SortFunc(tiers, func(a, b slo.TierResult) int {
		return strings.Compare(string(a.Tier.Severity)+slo.FormatDuration(a.Tier.Long), string(b.Tier.Severity)+slo.FormatDuration(b.Tier.Long))
	})
	return tiers
}

// budgetGroups are the labels of every budget series that matches match.
func budgetGroups(series []promSample, match map[string]string) []map[string]string {
	var groups []map[string]string
	for _, s := range series {
		if s.Metric["__name__"] == promBudgetRemaining && s.matches(match, true) {
			groups = append(groups, s.labels("__name__"))
		}
	}
	return groups
}

// tierSeverity is the tier severity of a firing alert with labels m: its
// slo_severity (promrules.SeverityLabel), set when the rules mapped the
// severity to another label; else its severity, read back through
// severity. An alert the gate cannot place is a page (known false): the
// gate fails closed.
func tierSeverity(m map[string]string, severity map[slo.Severity]string) (sev slo.Severity, known bool) {
	if s := slo.Severity(m[promSeverityLabel]); s == slo.Page || s == slo.Ticket {
		return s, true
	}
	label := m["severity"]
	for sev, l := range severity {
		if l == label {
			return sev, true
		}
	}
	if s := slo.Severity(label); s == slo.Page || s == slo.Ticket {
		return s, true
	}
	return slo.Page, false
}

// promStatus is the status of one group of an SLO's series, labelled g.
func promStatus(o slo.Objective, at time.Time, base, g map[string]string, series, alerts []promSample, severity map[slo.Severity]string) slo.TrackerStatus {
	window := o.Window.Rolling
	name := o.Name
	var kept []string
	for _, k := range slices.Sorted(maps.Keys(g)) {
		if _, ok := base[k]; !ok {
			kept = append(kept, k+"="+strconv.Quote(g[k]))
		}
	}
	if len(kept) > 0 {
		name += "{" + strings.Join(kept, ",") + "}"
	}
	value := func(metric string) (float64, bool) {
		for _, s := range series {
			if s.Metric["__name__"] == metric && s.matches(g, true) && len(s.Metric) == len(g)+1 {
				return s.Value, true
			}
		}
		return 0, false
	}
	budget := o.Budget()
	s := slo.TrackerStatus{
		Status: slo.Status{Objective: name, Target: o.Target, Method: slo.Occurrences, Budget: budget,
			SLI: 1, Remaining: 1, ExhaustsIn: slo.Forever},
		At: at, Window: window, Period: o.Window, Start: at.Add(-window), End: at,
		Observed: window, ObservedShare: 1, RecentWindow: window,
	}
	// Firing alerts are tiers even with no ratio over the window yet (the
	// rules just loaded): a page fires on the short windows it has.
	s.Tiers = firingTiers(g, alerts, value, budget, severity)
	ratio, ok := value(promErrorRatio + slo.FormatDuration(window))
	if !ok {
		s.NoData = true
		return s
	}
	s.ErrorRate, s.SLI = ratio, 1-ratio
	s.BurnRate = ratio / budget
	s.Consumed = s.BurnRate
	s.Remaining = 1 - s.Consumed
	if r, ok := value(promBudgetRemaining); ok {
		s.Remaining = r
	}
	s.RecentBurnRate = s.BurnRate
	if policy, _ := slo.DefaultPolicyFor(o); len(policy.Tiers) > 0 {
		shortest := policy.Tiers[0].Long
		for _, t := range policy.Tiers {
			shortest = min(shortest, t.Long)
		}
		if r, ok := value(promErrorRatio + slo.FormatDuration(shortest)); ok {
			s.RecentWindow, s.RecentBurnRate = shortest, r/budget
		}
	}
	switch {
	case s.Remaining <= 0:
		s.ExhaustsIn = 0
	case s.RecentBurnRate > 0:
		if d := s.Remaining / s.RecentBurnRate * float64(window); d < float64(slo.Forever) {
			s.ExhaustsIn = time.Duration(d)
		}
	}
	return s
}

// maxPromAnswer bounds one answer of Prometheus's query API.
const maxPromAnswer = 16 << 20

type promQuerier struct {
	client *http.Client
	src    PrometheusSource
	base   *url.URL
	shown  string
	scrub  scrubber
}

// promSample is one element of an instant vector.
type promSample struct {
	Metric map[string]string
	Value  float64
}

// selector is the matchers of the SLO's series: slo and Labels.
func (q *promQuerier) selector() string {
	ms := []string{"slo=" + strconv.Quote(q.src.SLO)}
	for _, k := range slices.Sorted(maps.Keys(q.src.Labels)) {
		ms = append(ms, k+"="+strconv.Quote(q.src.Labels[k]))
	}
	return strings.Join(ms, ",")
}

func (q *promQuerier) labelText() string {
	s := ""
	for _, k := range slices.Sorted(maps.Keys(q.src.Labels)) {
		s += "," + k + "=" + strconv.Quote(q.src.Labels[k])
	}
	return s
}

// query runs an instant query at Prometheus's present, and returns the
// vector and the time it was evaluated at.
func (q *promQuerier) query(ctx context.Context, expr string) ([]promSample, time.Time, error) {
	u := q.base.JoinPath("api", "v1", "query")
	u.RawQuery = url.Values{"query": {expr}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("deploy: Prometheus %s: bad URL", q.shown)
	}
	req.Header.Set("Accept", "application/json")
	switch {
	case q.src.BearerToken != "":
		req.Header.Set("Authorization", "Bearer "+q.src.BearerToken.reveal())
	case q.src.Username != "":
		req.SetBasicAuth(q.src.Username, q.src.Password.reveal())
	}
	resp, err := q.client.Do(req)
	if err != nil {
		if ue, ok := err.(*url.Error); ok {
			err = ue.Err
		}
		return nil, time.Time{}, fmt.Errorf("deploy: Prometheus %s: %w", q.shown, q.scrub.scrub(err))
	}
	defer resp.Body.Close()
	out, at, err := decodeVector(&capped{r: resp.Body, left: maxPromAnswer})
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	var perr *promAPIError
	switch {
	case errors.As(err, &perr):
		return nil, time.Time{}, fmt.Errorf("deploy: Prometheus %s: query %s: %s: %s", q.shown, expr, perr.Type, perr.Msg)
	case resp.StatusCode != http.StatusOK:
		return nil, time.Time{}, fmt.Errorf("deploy: Prometheus %s: query %s: %s", q.shown, expr, resp.Status)
	case errors.Is(err, errTooLarge):
		return nil, time.Time{}, fmt.Errorf("deploy: Prometheus %s: query %s: answer is over %d bytes", q.shown, expr, maxPromAnswer)
	case err != nil:
		return nil, time.Time{}, fmt.Errorf("deploy: Prometheus %s: query %s: not an answer of Prometheus's query API (Content-Type %q): %w", q.shown, expr, resp.Header.Get("Content-Type"), err)
	}
	return out, at, nil
}

// promAPIError is an error Prometheus's query API answered with.
type promAPIError struct{ Type, Msg string }

func (e *promAPIError) Error() string { return e.Type + ": " + e.Msg }

// decodeVector reads an answer of Prometheus's query API holding an
// instant vector, and the time it was evaluated at (zero when the vector
// is empty).
func decodeVector(r io.Reader) ([]promSample, time.Time, error) {
	var body struct {
		Status    string
		Error     string
		ErrorType string
		Data      struct {
			ResultType string
			Result     []struct {
				Metric map[string]string
				Value  [2]any
			}
		}
	}
	if err := json.NewDecoder(r).Decode(&body); err != nil {
		return nil, time.Time{}, err
	}
	switch {
	case body.Status == "error":
		return nil, time.Time{}, &promAPIError{Type: body.ErrorType, Msg: body.Error}
	case body.Status != "success":
		return nil, time.Time{}, fmt.Errorf("status %q, want success", body.Status)
	case body.Data.ResultType != "vector":
		return nil, time.Time{}, fmt.Errorf("result type %q, want vector", body.Data.ResultType)
	}
	out := make([]promSample, 0, len(body.Data.Result))
	var at time.Time
	for _, r := range body.Data.Result {
		ts, ok := r.Value[0].(float64)
		if !ok || math.IsNaN(ts) || math.Abs(ts) > 1e11 {
			return nil, time.Time{}, fmt.Errorf("time %v is not a Unix time", r.Value[0])
		}
		text, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("value %v is not a number", r.Value[1])
		}
		at = time.Unix(0, int64(ts*1e9)).Round(time.Millisecond).UTC()
		out = append(out, promSample{Metric: r.Metric, Value: v})
	}
	return out, at, nil
}

// matches reports whether s carries every label of want with its value;
// with all false, a label s does not carry at all is passed over.
func (s promSample) matches(want map[string]string, all bool) bool {
	for k, v := range want {
		got, ok := s.Metric[k]
		if (ok || all) && got != v {
			return false
		}
	}
	return true
}

// labels are s's labels without those named.
func (s promSample) labels(without ...string) map[string]string {
	l := maps.Clone(s.Metric)
	for _, k := range without {
		delete(l, k)
	}
	return l
}

// objective reads the target and window of a runkit:slo_info series.
func (s promSample) objective(name string) (slo.Objective, error) {
	target, err := strconv.ParseFloat(s.Metric["target"], 64)
	if err != nil {
		return slo.Objective{}, fmt.Errorf("label target %q is not a number", s.Metric["target"])
	}
	w, err := slo.ParseDuration(s.Metric["window"])
	if err != nil {
		return slo.Objective{}, fmt.Errorf("label window %q: %v", s.Metric["window"], err)
	}
	o := slo.Objective{Name: name, Target: target, Window: slo.Rolling(w)}
	if err := o.Validate(); err != nil {
		return slo.Objective{}, err
	}
	return o, nil
}

// promLabelName reports whether k is a Prometheus label name.
func promLabelName(k string) bool {
	if k == "" {
		return false
	}
	for i, r := range k {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
