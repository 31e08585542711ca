package promrules

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ybiyri/runkit/slo"
)

// The names of what the rules record and alert on.
const (
	// ErrorRatio prefixes the recorded error ratio of every window:
	// runkit:slo_errors:ratio_rate5m, …_rate1h, …_rate30d.
	ErrorRatio = "runkit:slo_errors:ratio_rate"
	// BudgetRemaining is the share of the window's error budget left.
	BudgetRemaining = "runkit:slo_budget_remaining:ratio"
	// Info is 1, with the objective's target and window as labels, and
	// its service and owner when the SLO has them.
	Info = "runkit:slo_info"
	// Objective, ErrorBudget and Window are the objective's target
	// (0.999), its error budget, 1 - target (0.001), and its window in
	// seconds (2592000 for 30 days), as numbers a dashboard can compute
	// with.
	Objective   = "runkit:slo_objective:ratio"
	ErrorBudget = "runkit:slo_error_budget:ratio"
	Window      = "runkit:slo_window:seconds"
	// CurrentBurnRate is the error ratio over the shortest window the
	// policy reads (5m for the default tiers) over the error budget, per
	// group of the labels kept; PeriodBurnRate the same over the
	// objective's whole window. A burn rate of 1 spends exactly the budget
	// over the window.
	CurrentBurnRate = "runkit:slo_current_burn_rate:ratio"
	PeriodBurnRate  = "runkit:slo_period_burn_rate:ratio"
	// BadIncrease and TotalIncrease prefix the bad and all events of
	// each Step, recorded once a Step by the SLO's group runkit-step-NAME:
	// runkit:slo_events_bad:increase5m. The windows of Long or more sum
	// them.
	BadIncrease   = "runkit:slo_events_bad:increase"
	TotalIncrease = "runkit:slo_events_total:increase"
	// BurnAlert fires when a burn-rate tier does.
	BurnAlert = "SLOErrorBudgetBurn"
	// NoDataAlert fires when the series of the SLO's events have been
	// absent for a while (per kept group): the exporter, the scrape or the
	// relabelling broke. Counters that are present and flat are zero
	// traffic, which does not fire it.
	NoDataAlert = "SLONoData"
)

// Step is the resolution of the windows of Long or more: their error
// ratio sums the events recorded once a Step, rather than reading a day
// or a month of raw counters at every evaluation.
const Step = 5 * time.Minute

// Long is the shortest window read from the events recorded each Step.
const Long = 24 * time.Hour

// NoDataWindow is how far back NoDataAlert looks for series of an SLO's
// events: with none in the last NoDataWindow, its For (Config.NoDataFor)
// begins. A shorter window of the SLO's tiers is used instead, if there
// is one.
const NoDataWindow = 5 * time.Minute

// DefaultNoDataFor is how long the series of an SLO's events must be
// absent before NoDataAlert fires, unless Config.NoDataFor says otherwise.
const DefaultNoDataFor = 10 * time.Minute

// SLO is one objective and where Prometheus reads its events.
type SLO struct {
	// Objective is what is promised. Its window must be rolling, since
	// PromQL ranges only roll, and its method Occurrences, which is what
	// these rules count.
	Objective slo.Objective
	// Source is where the events are read. Nil means Events{}.
	Source Source
	// Policy holds the burn-rate tiers. Nil means
	// slo.DefaultPolicyFor(Objective): the default tiers that can fire,
	// as a Tracker uses. An explicit policy is validated strictly.
	Policy *slo.Policy
	// Keep lists the labels kept when summing across replicas, such as
	// "region": each value gets its own ratios and alerts. Nil sums every
	// replica into one. A label the rules set (slo), a histogram's bucket
	// label (le) and a name starting with __, as __name__, are errors.
	Keep []string
	// Labels are added to every rule, such as team="payments".
	Labels map[string]string
	// RunbookURL, when set, is every alert's runbook_url annotation.
	RunbookURL string
	// Service, when set, is the service label of every rule, such as
	// service="checkout", so that SLOs of one name in two services do not
	// mix in one Prometheus; Keep may not hold service then. Owner, when
	// set, is the owner label of the Info series, such as
	// owner="payments". Labels may hold a service or an owner label too,
	// on every rule, but not one that differs from these.
	Service, Owner string
	// OmitNoData leaves out the SLO's NoDataAlert, as an OpenSLO file
	// asks with alertWhenNoData: false on every alert policy. The zero
	// value writes it.
	OmitNoData bool
}

// Config holds what is the same for every SLO of a file. Every zero field
// has a default.
type Config struct {
	// Severity maps a tier's severity to the severity label its alert
	// carries, such as slo.Page to "critical". Its keys are slo.Page and
	// slo.Ticket; Write refuses any other key, and an empty label. A
	// severity not in the map is its own label. An alert whose severity
	// is mapped to another label carries the tier's own severity too, as
	// SeverityLabel ("page" or "ticket"), so that a reader of ALERTS (the
	// deploy gate among them) knows the tier without knowing the map.
	Severity map[slo.Severity]string
	// NoDataFor is how long the series of an SLO's events must be absent
	// before NoDataAlert fires. Zero means DefaultNoDataFor.
	NoDataFor time.Duration
	// NoDataSeverity is the severity of NoDataAlert: slo.Page or
	// slo.Ticket, mapped to its label by Severity. Empty means slo.Ticket;
	// Write refuses any other value.
	NoDataSeverity slo.Severity
	// Interval is the evaluation interval of each SLO's group. Zero
	// leaves Prometheus's global evaluation_interval. (The group of
	// recorded events is evaluated once a Step.)
	Interval time.Duration
	// RawWindows reads every window from the source's counters at every
	// evaluation, the windows of Long or more too, with no group of
	// recorded events: no history of recorded series is needed, but a
	// 30-day window reads 30 days of every counter each time.
	RawWindows bool
}

// plan is one SLO checked and ready to write.
type plan struct {
	s      SLO
	policy slo.Policy
	// omitted are the default tiers left out, when Policy is nil.
	omitted []slo.OmittedTier
	src     sourceExprs
	windows []time.Duration
	// groupName names the SLO's groups: its name, with its service before
	// it when another SLO of the file has the same name.
	groupName string
}

// Write writes a Prometheus rule file for slos: one group per SLO,
// sorted by name, each with its recording rules and alerts, and after it
// the group of the SLO's events recorded each Step when a window is Long
// or more and not cfg.RawWindows (see the package documentation). Every SLO is checked before anything is
// written; the first problem is an error naming the objective, the field
// and the value. Groups are written one at a time, so memory follows
// one SLO's rules, not the file's. The same input writes the same bytes.
func Write(w io.Writer, cfg Config, slos ...SLO) error {
	if err := cfg.check(); err != nil {
		return err
	}
	plans := make([]plan, len(slos))
	seen := make(map[[2]string]int, len(slos))
	names := make(map[string]int, len(slos))
	for i, s := range slos {
		p, err := newPlan(s)
		if err != nil {
			return err
		}
		key := [2]string{s.Service, s.Objective.Name}
		if j, dup := seen[key]; dup {
			if s.Service != "" {
				return fmt.Errorf("promrules: objectives %d and %d of service %q are both named %q", j, i, s.Service, s.Objective.Name)
			}
			return fmt.Errorf("promrules: objectives %d and %d are both named %q; give them different names, or different services", j, i, s.Objective.Name)
		}
		seen[key] = i
		names[s.Objective.Name]++
		plans[i] = p
	}
	for i := range plans {
		// SLOs of one name in several services: a group's name holds its
		// service too, as Prometheus wants each group of a file named
		// apart.
		if names[plans[i].s.Objective.Name] > 1 && plans[i].s.Service != "" {
			plans[i].groupName = plans[i].s.Service + "-" + plans[i].s.Objective.Name
		} else {
			plans[i].groupName = plans[i].s.Objective.Name
		}
	}
	slices.SortFunc(plans, func(a, b plan) int {
		return cmp.Or(strings.Compare(a.s.Objective.Name, b.s.Objective.Name), strings.Compare(a.s.Service, b.s.Service))
	})

	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# Prometheus rules for %d service level objective%s, written by\n", len(slos), plural(len(slos)))
	fmt.Fprintf(bw, "# github.com/ybiyri/runkit/slo/promrules. Regenerate rather than edit.\n")
	if len(plans) == 0 {
		bw.WriteString("groups: []\n")
		return bw.Flush()
	}
	bw.WriteString("groups:\n")
	var buf []byte
	for i := range plans {
		buf = plans[i].group(cfg).appendTo(buf[:0])
		if plans[i].long(cfg) {
			buf = plans[i].stepGroup().appendTo(buf)
		}
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func (c Config) check() error {
	switch {
	case c.NoDataFor < 0:
		return fmt.Errorf("promrules: Config.NoDataFor %v is negative", c.NoDataFor)
	case c.Interval < 0:
		return fmt.Errorf("promrules: Config.Interval %v is negative", c.Interval)
	}
	for _, k := range slices.Sorted(maps.Keys(c.Severity)) {
		switch {
		case !tierSeverity(k):
			return fmt.Errorf("promrules: Config.Severity[%q]: %q is not a tier severity; want page or ticket", k, k)
		case c.Severity[k] == "":
			return fmt.Errorf("promrules: Config.Severity[%q] is empty", k)
		}
	}
	if c.NoDataSeverity != "" && !tierSeverity(c.NoDataSeverity) {
		return fmt.Errorf("promrules: Config.NoDataSeverity %q is not a tier severity; want page or ticket", c.NoDataSeverity)
	}
	return nil
}

func tierSeverity(s slo.Severity) bool { return s == slo.Page || s == slo.Ticket }

// Error is a problem with one SLO given to Write: the objective's name,
// the field it is in, as a path of Go names ("Objective.Window", "Labels",
// "Keep", "Ratio.Good", "Latency.Threshold", "Policy"; empty when the
// problem is not one field's), the label concerned for Labels and Keep,
// and what is wrong. errors.As finds it, so that a tool can say where the
// field came from, as runkit slo rules points at the line of an OpenSLO
// file.
type Error struct {
	Objective string
	Field     string
	Key       string
	Msg       string
}

func (e *Error) Error() string {
	s := fmt.Sprintf("promrules: objective %q: ", e.Objective)
	if e.Field != "" {
		s += e.Field
		if e.Key != "" {
			s += "[" + strconv.Quote(e.Key) + "]"
		}
		s += ": "
	}
	return s + e.Msg
}

// notLabelName says why k is not a Prometheus label name, and what to
// write instead: the name Prometheus gives an OpenTelemetry attribute such
// as app.kubernetes.io/name, each character outside [a-zA-Z0-9_] an
// underscore.
func notLabelName(k string) string {
	var b strings.Builder
	for i, r := range k {
		switch {
		case r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9':
			b.WriteRune(r)
		case i == 0 && r >= '0' && r <= '9':
			b.WriteString("_")
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	hint := ""
	if k != "" {
		hint = fmt.Sprintf(" such as %s, the name Prometheus gives the same OpenTelemetry attribute,", b.String())
	}
	return "is not a Prometheus label name, which is ASCII letters, digits and underscores and does not start with a digit; give it a name that is," + hint + " or leave the label off the rules"
}

// newPlan checks s and works out its windows.
func newPlan(s SLO) (plan, error) {
	o := s.Objective
	fail := func(field, key, format string, args ...any) (plan, error) {
		return plan{}, &Error{Objective: o.Name, Field: field, Key: key, Msg: fmt.Sprintf(format, args...)}
	}
	if o.Name == "" {
		return fail("Objective.Name", "", "is empty; it is the slo label of every rule")
	}
	// Prometheus keeps UTF-8 text only.
	texts := []string{o.Name, s.RunbookURL, s.Service, s.Owner}
	for k, v := range s.Labels {
		texts = append(texts, k, v)
	}
	switch src := s.Source.(type) {
	case Events:
		texts = append(texts, src.Matchers)
	case Ratio:
		texts = append(texts, src.Bad, src.Good, src.Total)
	case Latency:
		texts = append(texts, src.Histogram, src.Matchers)
	}
	for _, t := range texts {
		if !utf8.ValidString(t) {
			return fail("", "", "%q is not valid UTF-8", t)
		}
	}
	if err := o.Validate(); err != nil {
		return plan{}, fmt.Errorf("promrules: %w", err)
	}
	if o.Window.Calendar != slo.NotCalendar {
		return fail("Objective.Window", "", "%v is a calendar window; PromQL has only rolling ranges, so give a rolling window such as 30d", o.Window)
	}
	if o.Method != slo.Occurrences {
		return fail("Objective.Method", "", "%v is not supported; Prometheus rules count occurrences", o.Method)
	}
	if !wholeSeconds(o.Window.Rolling) {
		return fail("Objective.Window", "", "%v is not a whole number of seconds", o.Window)
	}
	if _, ok := s.Labels["service"]; s.Service != "" && !ok {
		// On every series: two services' SLOs of one name stay apart in
		// one Prometheus.
		labels := make(map[string]string, len(s.Labels)+1)
		maps.Copy(labels, s.Labels)
		labels["service"] = s.Service
		s.Labels = labels
	}
	p := plan{s: s, groupName: o.Name}
	if s.Policy != nil {
		if err := s.Policy.Validate(o); err != nil {
			return fail("Policy", "", "%v", strings.TrimPrefix(err.Error(), "slo: "))
		}
		p.policy = *s.Policy
	} else {
		p.policy, p.omitted = slo.DefaultPolicyFor(o)
		if len(p.policy.Tiers) == 0 {
			why := make([]string, len(p.omitted))
			for i, ot := range p.omitted {
				why[i] = fmt.Sprintf("%s %s: %s", ot.Tier.Severity, Duration(ot.Tier.Long), ot.Reason)
			}
			return fail("Policy", "", "no tier of the default policy suits a target of %v over %v (%s); give burn-rate tiers of its own", o.Target, o.Window, strings.Join(why, "; "))
		}
	}
	for _, k := range s.Keep {
		switch {
		case !labelName.MatchString(k):
			return fail("Keep", k, "%s", notLabelName(k))
		case strings.HasPrefix(k, "__"):
			return fail("Keep", k, "starts with __, which marks a label Prometheus keeps for itself (__name__ is the metric's name): keep a label of the series, such as region")
		case k == "le":
			return fail("Keep", k, "is a histogram's bucket label, not a label of the service's series: a latency SLI's good events are one bucket, and kept by le they would not line up with the total, which has no le")
		case k == "slo":
			return fail("Keep", k, "the rules set that label themselves")
		}
	}
	if len(s.Keep) != len(slices.Compact(slices.Sorted(slices.Values(s.Keep)))) {
		return fail("Keep", "", "%v repeats a label", s.Keep)
	}
	if s.Service != "" && slices.Contains(s.Keep, "service") {
		return fail("Keep", "service", "is the label Service %q sets on every series; keep another label, or leave Service empty", s.Service)
	}
	for k := range s.Labels {
		switch {
		case !labelName.MatchString(k):
			return fail("Labels", k, "%s", notLabelName(k))
		case len(k) > 1000:
			return fail("Labels", k, "is longer than 1,000 characters")
		case slices.Contains(reserved, k) || strings.HasPrefix(k, "__") || slices.Contains(s.Keep, k):
			return fail("Labels", k, "is a label the rules or Prometheus set themselves")
		}
	}
	for _, l := range []struct{ field, key, v string }{{"Service", "service", s.Service}, {"Owner", "owner", s.Owner}} {
		if v, ok := s.Labels[l.key]; ok && l.v != "" && v != l.v {
			return fail("Labels", l.key, "%q differs from %s %q, the %s label of %s; give one of them, or the same value", v, l.field, l.v, l.key, Info)
		}
	}
	src := s.Source
	if src == nil {
		src = Events{}
	}
	var err error
	if p.src, err = src.exprs(o.Name, s.Keep); err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Objective = o.Name
			return plan{}, e
		}
		return fail("Source", "", "%v", err)
	}
	windows := []time.Duration{o.Window.Rolling}
	for i, t := range p.policy.Tiers {
		if !wholeSeconds(t.Long) || !wholeSeconds(t.ShortWindow()) {
			return fail("Policy", "", "tier %d: windows %v and %v must be whole seconds for PromQL", i, t.Long, t.ShortWindow())
		}
		if t.For != 0 && !wholeSeconds(t.For) {
			return fail("Policy", "", "tier %d: For %v must be whole seconds for the rule's for:", i, t.For)
		}
		windows = append(windows, t.Long, t.ShortWindow())
	}
	slices.Sort(windows)
	p.windows = slices.Compact(windows)
	return p, nil
}

// SeverityLabel is the label of an alert's tier severity, "page" or
// "ticket", set when Config.Severity maps it to another severity label.
const SeverityLabel = "slo_severity"

// reserved are the labels the rules set, and the alert's name.
var reserved = []string{"slo", "severity", SeverityLabel, "long_window", "short_window", "target", "window", "alertname"}

func wholeSeconds(d time.Duration) bool { return d > 0 && d%time.Second == 0 }

// group is a Prometheus rule group.
type group struct {
	// Comments are written above the group, one line each.
	Comments []string
	Name     string
	Interval string
	Rules    []rule
}

// rule is a recording or an alerting rule.
type rule struct {
	Record      string
	Alert       string
	Expr        string
	For         string
	Labels      map[string]string
	Annotations map[string]string
}

// Duration writes d as PromQL does: "30d", "1h", "5m", "1m30s". Its finest
// unit is the millisecond: less is dropped, and a d that is not positive
// is "0s".
func Duration(d time.Duration) string {
	return slo.FormatDuration(max(d, 0).Truncate(time.Millisecond))
}

// num writes a float as the shortest decimal that reads back the same.
func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// selector is the selector of a recorded series of the SLO.
func (p *plan) selector(name string) string {
	ms := []string{"slo=" + strconv.Quote(p.s.Objective.Name)}
	for _, k := range slices.Sorted(maps.Keys(p.s.Labels)) {
		ms = append(ms, k+"="+strconv.Quote(p.s.Labels[k]))
	}
	return name + "{" + strings.Join(ms, ",") + "}"
}

// errorRatio is the traffic-weighted error ratio over w: bad events over
// all events, summed across replicas. No events is no result, never 0/0.
func (p *plan) errorRatio(w string) string {
	total := p.src.total(w)
	var bad string
	if p.src.bad != nil {
		bad = "(" + p.src.bad(w) + " or 0 * " + total + ")"
	} else {
		bad = "(" + total + " - (" + p.src.good(w) + " or 0 * " + total + "))"
	}
	return bad + " / (" + total + " > 0)"
}

// long reports whether the SLO has a window read from the events
// recorded each Step.
func (p *plan) long(cfg Config) bool { return !cfg.RawWindows && p.windows[len(p.windows)-1] >= Long }

// stepGroup records the SLO's bad and all events once a Step, each over
// the Step before: consecutive, so that summed over a window they are the
// window's events, to a Step's resolution.
func (p *plan) stepGroup() group {
	step := Duration(Step)
	total := p.src.total(step)
	var bad string
	if p.src.bad != nil {
		bad = p.src.bad(step) + " or 0 * " + total
	} else {
		bad = total + " - (" + p.src.good(step) + " or 0 * " + total + ")"
	}
	labels := p.labels() // read only, so the rules share it
	return group{Name: "runkit-step-" + p.groupName, Interval: step, Rules: []rule{
		{Record: BadIncrease + step, Expr: bad, Labels: labels},
		{Record: TotalIncrease + step, Expr: total, Labels: labels},
	}}
}

// longRatio is the error ratio over w, a window of Long or more, from the
// events recorded each Step: traffic-weighted, as errorRatio.
func (p *plan) longRatio(w string) string {
	step := Duration(Step)
	return "sum_over_time(" + p.selector(BadIncrease+step) + "[" + w + "]) / (sum_over_time(" + p.selector(TotalIncrease+step) + "[" + w + "]) > 0)"
}

func (p *plan) labels(extra ...string) map[string]string {
	l := make(map[string]string, len(p.s.Labels)+1+len(extra)/2)
	maps.Copy(l, p.s.Labels)
	l["slo"] = p.s.Objective.Name
	for i := 0; i+1 < len(extra); i += 2 {
		l[extra[i]] = extra[i+1]
	}
	return l
}

func (p *plan) group(cfg Config) group {
	o := p.s.Objective
	g := group{Name: "runkit-slo-" + p.groupName}
	labels := p.labels() // read only, so the recording rules share it
	for _, ot := range p.omitted {
		g.Comments = append(g.Comments, OmittedNote(o.Name, ot))
	}
	if cfg.Interval > 0 {
		g.Interval = Duration(cfg.Interval)
	}
	for _, w := range p.windows {
		expr := p.errorRatio(Duration(w))
		if p.long(cfg) && w >= Long {
			expr = p.longRatio(Duration(w))
		}
		g.Rules = append(g.Rules, rule{Record: ErrorRatio + Duration(w), Expr: expr, Labels: labels})
	}
	window := Duration(o.Window.Rolling)
	budget := num(o.Budget())
	info := p.labels("target", num(o.Target), "window", window)
	if p.s.Service != "" {
		info["service"] = p.s.Service
	}
	if p.s.Owner != "" {
		info["owner"] = p.s.Owner
	}
	g.Rules = append(g.Rules,
		rule{Record: BudgetRemaining, Expr: "1 - " + p.selector(ErrorRatio+window) + " / " + budget, Labels: labels},
		rule{Record: Info, Expr: "vector(1)", Labels: info},
		rule{Record: Objective, Expr: "vector(" + num(o.Target) + ")", Labels: labels},
		rule{Record: ErrorBudget, Expr: "vector(" + budget + ")", Labels: labels},
		rule{Record: Window, Expr: "vector(" + strconv.FormatFloat(o.Window.Rolling.Seconds(), 'f', -1, 64) + ")", Labels: labels},
		rule{Record: CurrentBurnRate, Expr: p.selector(ErrorRatio+Duration(p.windows[0])) + " / " + budget, Labels: labels},
		rule{Record: PeriodBurnRate, Expr: p.selector(ErrorRatio+window) + " / " + budget, Labels: labels},
	)
	g.Rules = append(g.Rules, p.burnAlerts(cfg)...)
	if p.s.OmitNoData {
		return g
	}
	noDataFor := cfg.NoDataFor
	if noDataFor == 0 {
		noDataFor = DefaultNoDataFor
	}
	sev := cfg.NoDataSeverity
	if sev == "" {
		sev = slo.Ticket
	}
	// The SLI's series, per kept group, summed over the last NoDataWindow
	// (or the shortest window, if shorter): 0 when present and flat, no
	// result when absent. Not over the shortest window the tiers read,
	// which is 2h for an SLO that only tickets: the alert would wait that
	// long before its For began.
	present := p.src.total(Duration(min(p.windows[0], NoDataWindow)))
	expr := "absent(" + present + ")"
	if len(p.s.Keep) > 0 {
		// A group that had events over the objective's window and has
		// no series now.
		by := strings.Join(p.s.Keep, ", ")
		expr = "(group by (" + by + ") (" + p.selector(ErrorRatio+window) + ") unless on (" + by + ") " + present + ") or " + expr
	}
	g.Rules = append(g.Rules, rule{
		Alert: NoDataAlert,
		// Its severity set in the expression, as the burn alert's.
		Expr:   noDataSeverity(setLabel(expr, "severity", severity(cfg, sev)), cfg, sev),
		For:    Duration(noDataFor),
		Labels: p.alertLabels(),
		Annotations: p.annotations(
			fmt.Sprintf("SLO %s has had no series of its events for %s", literal(o.Name), Duration(noDataFor)),
			fmt.Sprintf("No series of the events of SLO %s (%s) for %s: the exporter, the scrape or the relabelling is broken, or no replica runs. Flat counters, a quiet night, do not fire this. Until the series are back, the SLO's burn-rate alerts see nothing.",
				literal(o.Name), literal(p.src.describe), Duration(noDataFor))),
	})
	return g
}

// OmittedNote says that a default tier is left out of an SLO's rules, and
// why, in one line: the comment Write puts above the SLO's group, which
// runkit slo rules prints too.
func OmittedNote(name string, ot slo.OmittedTier) string {
	return fmt.Sprintf("SLO %s: the default %s tier over %s (short window %s) is left out: %s",
		name, ot.Tier.Severity, Duration(ot.Tier.Long), Duration(ot.Tier.ShortWindow()), ot.Reason)
}

// noDataSeverity sets SeverityLabel on expr when sev is mapped to
// another label.
func noDataSeverity(expr string, cfg Config, sev slo.Severity) string {
	if severity(cfg, sev) != string(sev) {
		return setLabel(expr, SeverityLabel, string(sev))
	}
	return expr
}

func severity(cfg Config, s slo.Severity) string {
	if v, ok := cfg.Severity[s]; ok {
		return v
	}
	return string(s)
}

// alertLabels are an alert's labels. Prometheus expands an alert's labels
// as templates, as it does its annotations, so every value is literal
// text (see literal).
func (p *plan) alertLabels(extra ...string) map[string]string {
	l := p.labels(extra...)
	for k, v := range l {
		l[k] = literal(v)
	}
	return l
}

// annotations are an alert's annotations: summary and description are
// templates, in which user text is already literal; runbook_url is made
// so.
func (p *plan) annotations(summary, description string) map[string]string {
	a := map[string]string{"summary": summary, "description": description}
	if p.s.RunbookURL != "" {
		a["runbook_url"] = literal(p.s.RunbookURL)
	}
	return a
}

// literal makes user text, such as a name, a label value or a query with
// {{.window}}, read as itself where Prometheus expands templates: each
// {{ is written {{"{{"}}, which expands to {{. Nothing else starts a
// template action.
func literal(s string) string {
	return strings.ReplaceAll(s, "{{", `{{"{{"}}`)
}

// burnAlerts are the SLO's SLOErrorBudgetBurn alerts: one, firing while
// any tier's burn rate, error ratio / budget, exceeds the tier's threshold
// over both the tier's windows, the same comparison as
// slo.Policy.Evaluate, with the same numbers. Each tier's series carry
// its severity and its windows, long_window and short_window, as labels
// set in the expression: Prometheus and promtool parse every label and
// annotation of an alerting rule as a template on every load of the file,
// so one alert with its labels in the expression loads as fast as sloth's
// alerts do. When the tiers' For differ, each tier is an alert of its
// own, its labels the rule's.
func (p *plan) burnAlerts(cfg Config) []rule {
	tiers := p.policy.Tiers
	for _, t := range tiers[1:] {
		if t.For != tiers[0].For {
			var rules []rule
			for _, t := range tiers {
				rules = append(rules, p.burnAlert(cfg, []slo.Tier{t}, true))
			}
			return rules
		}
	}
	return []rule{p.burnAlert(cfg, tiers, false)}
}

// burnAlert is the alert of tiers, which have one For. With ruleLabels,
// the one tier's labels are the rule's.
func (p *plan) burnAlert(cfg Config, tiers []slo.Tier, ruleLabels bool) rule {
	o := p.s.Objective
	window := Duration(o.Window.Rolling)
	budget := num(o.Budget())
	var exprs, says []string
	for _, t := range tiers {
		long, short := Duration(t.Long), Duration(t.ShortWindow())
		threshold := t.Threshold(o.Window.Rolling)
		sev := severity(cfg, t.Severity)
		expr := p.selector(ErrorRatio+long) + " / " + budget + " > " + num(threshold) +
			" and " + p.selector(ErrorRatio+short) + " / " + budget + " > " + num(threshold)
		if !ruleLabels {
			expr = setLabel(setLabel(setLabel(expr, "short_window", short), "long_window", long), "severity", sev)
			if sev != string(t.Severity) {
				expr = setLabel(expr, SeverityLabel, string(t.Severity))
			}
		}
		exprs = append(exprs, expr)
		says = append(says, fmt.Sprintf("%s %s times over %s and %s (%.3g%% of the budget within %s, all of it within %s)",
			literal(sev), num(threshold), long, short, 100*t.Share(o.Window.Rolling), long, Duration(time.Duration(float64(o.Window.Rolling)/threshold))))
	}
	r := rule{
		Alert: BurnAlert,
		Expr:  strings.Join(exprs, " or "),
		// The SLO's labels come with the series the expression returns;
		// slo tells this alert from other SLOs' to promtool, which
		// refuses two alerts of one name and labels in a file.
		Labels: p.burnLabels(),
		// Only the burn rate and the window are template actions: every
		// other number is known now.
		Annotations: p.annotations(
			fmt.Sprintf(`SLO %s burns its error budget {{ printf "%%.3g" $value }} times too fast over {{ $labels.long_window }}`, literal(o.Name)),
			fmt.Sprintf(`SLO %s promises %s%% good events over %s, an error budget of %s%%. This alert fires while errors burn it faster than %s allows, over both windows of a tier: %s. The share left is %s.`,
				literal(o.Name), num(roundPct(o.Target)), window, num(roundPct(o.Budget())), window, strings.Join(says, ", or "), BudgetRemaining)),
	}
	if ruleLabels {
		t := tiers[0]
		r.Labels["severity"] = literal(severity(cfg, t.Severity))
		if r.Labels["severity"] != string(t.Severity) {
			r.Labels[SeverityLabel] = string(t.Severity)
		}
		r.Labels["long_window"], r.Labels["short_window"] = Duration(t.Long), Duration(t.ShortWindow())
	}
	if f := tiers[0].For; f > 0 {
		r.For = Duration(f)
	}
	return r
}

// burnLabels are the labels of the burn alert's rule: slo, and service
// when the SLO has one, so that promtool tells apart the alerts of SLOs
// of one name in two services.
func (p *plan) burnLabels() map[string]string {
	l := map[string]string{"slo": literal(p.s.Objective.Name)}
	if v, ok := p.s.Labels["service"]; ok {
		l["service"] = literal(v)
	}
	return l
}

// setLabel sets label name to value on every series of expr.
func setLabel(expr, name, value string) string {
	return "label_replace(" + expr + ", " + strconv.Quote(name) + ", " + strconv.Quote(value) + `, "", "")`
}

// roundPct is 100 × v, rounded to 12 significant digits so that 0.001
// reads 0.1 and not 0.09999999999999999.
func roundPct(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(100*v, 'g', 12, 64), 64)
	return r
}
