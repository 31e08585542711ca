package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ybiyri/runkit/slo"
	"github.com/ybiyri/runkit/slo/openslo"
	"github.com/ybiyri/runkit/slo/promrules"
	"github.com/ybiyri/runkit/slo/sloth"
)

// input is what the SLO files of one run hold: OpenSLO SLOs and sloth
// SLOs, the latter turned into OpenSLO SLOs, so that rules, validate and
// convert treat both alike.
type input struct {
	slos []openslo.SLO
	// sloth holds the sloth SLOs among slos, by name.
	sloth map[string]*slothSLO
	// refused are the sloth SLOs that cannot become runkit's, one
	// problem each: slo rules refuses them, validate notes them.
	refused []string
	// invalid are the refused SLOs that are not valid input at all, as
	// an OpenSLO target of 1 is not (an objective of 100): validate
	// refuses them too.
	invalid []string
	// noTiers names the sloth SLOs with no alert that can fire, and why
	// (both alerts disabled): validate lists them without tiers.
	noTiers map[string]string
	// notes say what a sloth SLO asks for that runkit's rules do not
	// carry.
	notes []string
	// severity is the severity label the sloth alerts give each tier,
	// when every sloth SLO alerting on it gives the same one;
	// severityConflict says, for a tier where they do not, which two
	// SLOs differ. severityLabels are the labels each SLO gives.
	severity         map[slo.Severity]string
	severityConflict map[slo.Severity]string
	severityLabels   map[slo.Severity][]severityLabel
	// resources is the metadata of each file's PrometheusServiceLevel
	// when every file is one such resource; nil otherwise.
	resources []sloth.Metadata
}

// slothSLO is a sloth SLO and where each label of its OpenSLO form came
// from.
type slothSLO struct {
	sloth.SLO
	// labelField is, for each label, the sloth field it came from.
	labelField map[string]string
}

// slothPrefix is how much of a file is read to tell a sloth spec.
const slothPrefix = 64 << 10

// readSLOInput is readInput for a command that needs an SLO: files
// holding none are a usage error saying so, and that there is then
// nothing to do (such as "no rules to write").
func readSLOInput(paths []string, stderr io.Writer, nothing string) (input, error) {
	in, err := readInput(paths, stderr)
	if err == nil && len(in.slos) == 0 && len(in.refused) == 0 {
		err = usageErrorf("no SLO documents in %s: %s", strings.Join(paths, ", "), nothing)
	}
	return in, err
}

// readInput reads OpenSLO and sloth files. A file is read as sloth when
// sloth.Is says so of its first 64 KiB. Each problem goes to stderr on its
// own line, file:line:column first; the error counts them.
func readInput(paths []string, stderr io.Writer) (input, error) {
	in := input{sloth: map[string]*slothSLO{}}
	var opensloPaths []string
	var problems []error
	var slothBytes int64
	allResources := true
	for _, p := range paths {
		data, isSloth, err := sniff(p, openslo.MaxBytes-slothBytes)
		if err != nil || !isSloth {
			opensloPaths = append(opensloPaths, p)
			allResources = false
			continue
		}
		if slothBytes += int64(len(data)); slothBytes > openslo.MaxBytes {
			return in, usageErrorf("%s: the sloth files read hold more than %d bytes with this one, over openslo.MaxBytes", p, openslo.MaxBytes)
		}
		slos, err := sloth.Parse(p, data)
		if err != nil {
			problems = append(problems, splitJoined(err)...)
			continue
		}
		for _, s := range slos {
			in.addSloth(s)
		}
		if allResources = allResources && oneResource(slos); allResources {
			in.resources = append(in.resources, slos[0].Resource)
		}
	}
	if !allResources {
		in.resources = nil
	}
	in.agreeSeverity()
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(stderr, p)
		}
		return in, usageErrorf("%s in %s", plural(len(problems), "problem"), strings.Join(paths, ", "))
	}
	if len(opensloPaths) > 0 {
		slos, err := readSLOs(opensloPaths, stderr)
		if err != nil {
			return in, err
		}
		in.slos = append(slos, in.slos...)
	}
	// A name is the slo label of every rule: one SLO each.
	first := map[string]openslo.Position{}
	var repeated []string
	for _, s := range in.slos {
		if at, dup := first[s.Name]; dup {
			pos, field := in.locate(s, "metadata.name")
			repeated = append(repeated, fmt.Sprintf("%v: SLO %s: %s: repeated: an SLO of this name is defined at %v", pos, s.Name, field, at))
			continue
		}
		first[s.Name] = s.Position
	}
	if len(repeated) > 0 {
		for _, p := range repeated {
			fmt.Fprintln(stderr, p)
		}
		return in, usageErrorf("%s in %s", plural(len(repeated), "problem"), strings.Join(paths, ", "))
	}
	return in, nil
}

// sniff reads the file at path when its start is a sloth spec, up to
// limit bytes.
func sniff(path string, limit int64) (data []byte, isSloth bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	head := make([]byte, slothPrefix)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, false, err
	}
	if !sloth.Is(head[:n]) {
		return nil, false, nil
	}
	rest, err := io.ReadAll(io.LimitReader(f, limit-int64(n)+1))
	if err != nil {
		return nil, false, err
	}
	return append(head[:n], rest...), true, nil
}

// addSloth turns a sloth SLO into an OpenSLO one: its queries a
// ratioMetric of bad over total events, its objective over sloth's
// default 30 days, its alerts one alert policy per tier, its labels and
// the labels and annotations its alerts share the SLO's. What runkit
// cannot carry is a note; what it cannot read at all, a refusal.
func (in *input) addSloth(s sloth.SLO) {
	id := s.ID()
	refuse := func(field, format string, args ...any) {
		in.refused = append(in.refused, fmt.Sprintf("%v: SLO %s: %s: %s", s.FieldPosition(field), id, s.FieldPath(field), fmt.Sprintf(format, args...)))
	}
	note := func(field, format string, args ...any) {
		in.notes = append(in.notes, fmt.Sprintf("note: %v: SLO %s: %s: %s", s.FieldPosition(field), id, s.FieldPath(field), fmt.Sprintf(format, args...)))
	}
	switch {
	case len(s.Plugins) > 0:
		whose := "its plugins"
		if !s.Has("plugins") {
			whose = "the spec's slo_plugins"
		}
		refuse("plugins", "SLO plugins (%s, from %s) change the rules sloth writes, and runkit runs none of them: remove them, or keep this SLO on sloth", strings.Join(s.Plugins, ", "), whose)
		return
	case s.SLI.Plugin != "":
		refuse("sli.plugin", "SLI plugin %s writes its queries inside sloth, and runkit runs no plugin: write the queries it makes as sli.events error_query and total_query", s.SLI.Plugin)
		return
	}
	if s.Objective >= 100 {
		in.refused = append(in.refused, fmt.Sprintf("%v: SLO %s: %s %s: leaves no error budget: burn-rate alerts need an objective under 100, such as 99.99",
			s.FieldPosition("objective"), id, s.FieldPath("objective"), strconv.FormatFloat(s.Objective, 'g', -1, 64)))
		in.invalid = append(in.invalid, in.refused[len(in.refused)-1])
		return
	}
	o, err := s.AsObjective()
	if err != nil {
		refuse("objective", "%s", strings.TrimPrefix(err.Error(), "sloth: SLO "+id+": "))
		return
	}
	policy, omitted, err := s.Policy(o)
	if err != nil {
		// Listed by validate, with no tiers; refused by rules.
		refuse("alerting", "%s", strings.TrimPrefix(err.Error(), "sloth: SLO "+id+": "))
		if in.noTiers == nil {
			in.noTiers = map[string]string{}
		}
		in.noTiers[id] = "none can fire"
		if s.Alerting.Page.Disable && s.Alerting.Ticket.Disable {
			in.noTiers[id] = "alerts disabled"
		}
	}
	for _, ot := range omitted {
		alert := "page_alert"
		if ot.Tier.Severity == slo.Ticket {
			alert = "ticket_alert"
		}
		note("alerting."+alert, "its tier over %s is left out: %s", slo.FormatDuration(ot.Tier.Long), ot.Reason)
	}
	ss := &slothSLO{SLO: s, labelField: map[string]string{}}
	labels := map[string][]string{}
	for k, v := range s.Labels {
		labels[k] = []string{v}
		ss.labelField[k] = "labels." + k
	}
	page, ticket := s.PageLabels(), s.TicketLabels()
	alerts := []map[string]string{}
	for _, a := range []map[string]string{page, ticket} {
		if a != nil {
			alerts = append(alerts, a)
		}
	}
	// Where a key of the alerts' labels or annotations is written: the
	// page's own, the ticket's own, or the alerting block's.
	where := func(kind, k string, first ...slo.Severity) string {
		fields := []string{"alerting.page_alert." + kind + "." + k, "alerting.ticket_alert." + kind + "." + k}
		if len(first) > 0 && first[0] == slo.Ticket {
			fields[0], fields[1] = fields[1], fields[0]
		}
		for _, f := range fields {
			if s.Has(f) {
				return f
			}
		}
		return "alerting." + kind + "." + k
	}
	// The severity label becomes the tier's severity, as --severity
	// sets it, when every sloth SLO agrees (see agreeSeverity).
	for _, a := range []struct {
		sev    slo.Severity
		field  string
		labels map[string]string
	}{{slo.Page, "alerting.page_alert", page}, {slo.Ticket, "alerting.ticket_alert", ticket}} {
		if a.labels == nil || !slices.ContainsFunc(policy.Tiers, func(t slo.Tier) bool { return t.Severity == a.sev }) {
			continue
		}
		l := severityLabel{slo: id, pos: s.FieldPosition(a.field)}
		if l.value, l.has = a.labels["severity"]; l.has {
			l.pos = s.FieldPosition(where("labels", "severity", a.sev))
		}
		if in.severityLabels == nil {
			in.severityLabels = map[slo.Severity][]severityLabel{}
		}
		in.severityLabels[a.sev] = append(in.severityLabels[a.sev], l)
	}
	for _, k := range unionKeys(alerts) {
		if k == "severity" {
			continue
		}
		v, same := sameValue(alerts, k)
		switch {
		case !same:
			note(where("labels", k), "the label is not on every alert of the SLO with one value; runkit's alerts of an SLO carry the same labels but severity, so it is left out: route on severity in Alertmanager")
		case labels[k] != nil && labels[k][0] != v:
			note(where("labels", k), "%s is left out: the SLO's labels give %s=%s to every rule", v, k, labels[k][0])
		case labels[k] == nil:
			labels[k] = []string{v}
			ss.labelField[k] = where("labels", k)
		}
	}
	annotations := map[string]string{}
	anns := []map[string]string{}
	for _, a := range []map[string]string{s.PageAnnotations(), s.TicketAnnotations()} {
		if a != nil {
			anns = append(anns, a)
		}
	}
	for _, k := range unionKeys(anns) {
		v, same := sameValue(anns, k)
		switch {
		case k == "runbook_url" && same:
			annotations[k] = v
		case k == "runbook_url":
			note(where("annotations", k), "differs between the page and ticket alerts; runkit's alerts of an SLO share one runbook_url, so it is left out")
		case k == "runbook" || k == "runbook_link":
			note(where("annotations", k), "is not carried; name it runbook_url to make it every alert's runbook_url")
		default:
			note(where("annotations", k), "is not carried: runkit's alerts write their own summary and description (and runbook_url)")
		}
	}
	if s.Alerting.Name != "" {
		note("alerting.name", "%s is not carried: runkit names every burn-rate alert %s, labelled slo=%q and severity", s.Alerting.Name, "SLOErrorBudgetBurn", id)
	}
	out := openslo.SLO{
		Metadata:    openslo.Metadata{Name: id, Labels: labels},
		Description: s.Description,
		Service:     s.Service,
		Objectives:  []openslo.Objective{{Objective: o}},
		Position:    openslo.Position(s.Position),
	}
	if len(annotations) > 0 {
		out.Annotations = annotations
	}
	if len(labels) == 0 {
		out.Labels = nil
	}
	query := func(q string) *openslo.MetricSource {
		return &openslo.MetricSource{Type: "Prometheus", Spec: map[string]any{"query": q}}
	}
	out.Indicator = openslo.Indicator{Metadata: openslo.Metadata{Name: id + "-sli"}}
	// OpenSLO requires counter beside the metrics: sloth's events are
	// counters' rates; its raw error ratio is not a counter.
	counter := s.SLI.ErrorRatioQuery == ""
	if !counter {
		out.Indicator.Ratio = &openslo.RatioMetric{Counter: &counter, Raw: query(s.SLI.ErrorRatioQuery), RawType: "failure"}
	} else {
		out.Indicator.Ratio = &openslo.RatioMetric{Counter: &counter, Bad: query(s.SLI.ErrorQuery), Total: query(s.SLI.TotalQuery)}
	}
	for _, t := range policy.Tiers {
		name := id + "-" + string(t.Severity) + "-" + tierSpeed(t)
		out.AlertPolicies = append(out.AlertPolicies, openslo.AlertPolicy{
			Metadata: openslo.Metadata{Name: name},
			Condition: openslo.AlertCondition{
				Metadata: openslo.Metadata{Name: name + "-burn"}, Severity: string(t.Severity),
				Op: "gt", Threshold: t.Threshold(o.Window.Rolling), Lookback: t.Long,
			},
		})
	}
	in.slos = append(in.slos, out)
	in.sloth[id] = ss
}

// tierSpeed is sloth's name for a tier within its alert: quick or slow.
func tierSpeed(t slo.Tier) string {
	if t.Long == time.Hour || t.Long == 24*time.Hour {
		return "quick"
	}
	return "slow"
}

func unionKeys(ms []map[string]string) []string {
	set := map[string]bool{}
	for _, m := range ms {
		for k := range m {
			set[k] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// sameValue returns k's value when every map has it with one value.
func sameValue(ms []map[string]string, k string) (string, bool) {
	var v string
	for i, m := range ms {
		mv, ok := m[k]
		if !ok || i > 0 && mv != v {
			return "", false
		}
		v = mv
	}
	return v, true
}

// locate says where a field of an SLO (an OpenSLO path, as ruleSLOs names
// it) is, and how its file spells it: a sloth SLO's in sloth's words.
func (in input) locate(s openslo.SLO, field string) (openslo.Position, string) {
	ss, ok := in.sloth[s.Name]
	if !ok {
		return s.FieldPosition(field), field
	}
	const ratio = "spec.indicator.spec.ratioMetric"
	name := ""
	switch {
	case field == "metadata.name":
		name = "name"
	case strings.HasPrefix(field, "metadata.labels."):
		name = ss.labelField[strings.TrimPrefix(field, "metadata.labels.")]
	case strings.HasPrefix(field, ratio+".bad"):
		name = "sli.events.error_query"
	case strings.HasPrefix(field, ratio+".total"):
		name = "sli.events.total_query"
	case strings.HasPrefix(field, ratio+".raw"):
		name = "sli.raw.error_ratio_query"
	case strings.HasPrefix(field, ratio):
		name = "sli"
	case strings.HasPrefix(field, "spec.objectives"):
		name = "objective"
	case strings.HasPrefix(field, "spec.alertPolicies"):
		name = "alerting"
	}
	if name == "" {
		return openslo.Position(ss.Position), ss.FieldPath("name")
	}
	return openslo.Position(ss.FieldPosition(name)), ss.FieldPath(name)
}

// oneResource reports whether slos, those of one file, are all of one
// PrometheusServiceLevel.
func oneResource(slos []sloth.SLO) bool {
	for _, s := range slos {
		if !s.Kubernetes || s.Resource.Position != slos[0].Resource.Position {
			return false
		}
	}
	return len(slos) > 0
}

// resourceMeta fills in the PrometheusRule's metadata the flags leave
// out from the PrometheusServiceLevel resources the files are, one each:
// their name, namespace and labels, when they agree. Resources that
// differ in a field the flags leave out are an error asking for the flag.
// Files that are not all such resources leave meta as it is.
func (in input) resourceMeta(meta *objectMeta, nameSet, namespaceSet, labelsSet bool) error {
	if len(in.resources) == 0 {
		return nil
	}
	labelText := func(m sloth.Metadata) string {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(m.Labels)) {
			parts = append(parts, k+"="+m.Labels[k])
		}
		return strings.Join(parts, ",")
	}
	fields := []struct {
		field, flag string
		set         bool
		value       func(sloth.Metadata) string
	}{
		{"metadata.name", "a --name", nameSet, func(m sloth.Metadata) string { return m.Name }},
		{"metadata.namespace", "a --namespace", namespaceSet, func(m sloth.Metadata) string { return m.Namespace }},
		{"metadata.labels", "its --label flags", labelsSet, labelText},
	}
	for _, f := range fields {
		if f.set {
			continue
		}
		var seen []string
		differ := false
		for _, r := range in.resources {
			v := f.value(r)
			differ = differ || v != f.value(in.resources[0])
			if v == "" {
				v = "none"
			}
			seen = append(seen, fmt.Sprintf("%s at %v", v, r.Position))
		}
		if differ {
			return usageErrorf("--format prometheusrule: the PrometheusServiceLevel resources differ in %s (%s): give the PrometheusRule %s", f.field, strings.Join(seen, ", "), f.flag)
		}
	}
	r := in.resources[0]
	at := fmt.Sprintf("--format prometheusrule: %v: PrometheusServiceLevel", r.Position)
	if !nameSet && r.Name != "" {
		if msg := subdomainProblem(r.Name); msg != "" {
			return usageErrorf("%s metadata.name %q %s: give a --name", at, r.Name, msg)
		}
		meta.name = r.Name
	}
	if !namespaceSet && r.Namespace != "" {
		if msg := dnsLabelProblem(r.Namespace); msg != "" {
			return usageErrorf("%s metadata.namespace %q %s: give a --namespace", at, r.Namespace, msg)
		}
		meta.namespace = r.Namespace
	}
	if !labelsSet && len(r.Labels) > 0 {
		var flags []string
		for _, k := range slices.Sorted(maps.Keys(r.Labels)) {
			flags = append(flags, k+"="+r.Labels[k])
		}
		labels, err := parseLabels(flags)
		if err != nil {
			return usageErrorf("%s metadata.labels: %s: give its --label flags", at, strings.TrimPrefix(err.Error(), "--label "))
		}
		meta.labels = labels
	}
	return nil
}

// resourceNotes says, for each PrometheusServiceLevel, that OpenSLO has
// no place for its metadata, and the slo rules flags that carry it.
func resourceNotes(w io.Writer, slos []sloth.SLO) {
	seen := map[sloth.Position]bool{}
	for _, s := range slos {
		r := s.Resource
		if !s.Kubernetes || seen[r.Position] {
			continue
		}
		seen[r.Position] = true
		flags := "--format prometheusrule"
		if r.Name != "" {
			flags += " --name " + r.Name
		}
		if r.Namespace != "" {
			flags += " --namespace " + r.Namespace
		}
		for _, k := range slices.Sorted(maps.Keys(r.Labels)) {
			flags += " --label " + k + "=" + r.Labels[k]
		}
		name := r.Name
		if name == "" {
			name = "without a name"
		}
		fmt.Fprintf(w, "note: %v: PrometheusServiceLevel %s: its metadata is not part of OpenSLO: give slo rules %s\n", r.Position, name, flags)
	}
}

// severityLabel is the severity label an SLO's page or ticket alert
// gives, if any, and where.
type severityLabel struct {
	slo, value string
	has        bool
	pos        sloth.Position
}

// agreeSeverity sets the severity of each tier the sloth SLOs label:
// their label when every SLO alerting on the tier gives the same one,
// and otherwise a conflict naming the first SLO that differs from the
// first, and both values.
func (in *input) agreeSeverity() {
	for _, sev := range []slo.Severity{slo.Page, slo.Ticket} {
		ls := in.severityLabels[sev]
		i := slices.IndexFunc(ls, func(l severityLabel) bool { return l.has })
		if i < 0 {
			continue
		}
		first := ls[i]
		j := slices.IndexFunc(ls, func(l severityLabel) bool { return l.has != first.has || l.value != first.value })
		if j < 0 {
			if in.severity == nil {
				in.severity = map[slo.Severity]string{}
			}
			in.severity[sev] = first.value
			continue
		}
		other := ls[j]
		its := "are labelled severity=" + other.value
		if !other.has {
			its = "have no severity label"
		}
		if in.severityConflict == nil {
			in.severityConflict = map[slo.Severity]string{}
		}
		in.severityConflict[sev] = fmt.Sprintf("%v: SLO %s: its %s alerts %s, SLO %s's severity=%s (%v): sloth's severity labels label a tier only when every SLO agrees; give --severity %s=VALUE",
			other.pos, other.slo, sev, its, first.slo, first.value, first.pos, sev)
	}
}

// severityProblems are the tiers whose sloth severity labels disagree
// and that flags, the --severity given, leave out.
func (in input) severityProblems(flags map[slo.Severity]string) []string {
	var out []string
	for _, sev := range []slo.Severity{slo.Page, slo.Ticket} {
		if c, ok := in.severityConflict[sev]; ok && flags[sev] == "" {
			out = append(out, c)
		}
	}
	return out
}

// severityFor returns the severity of each tier for slo rules: the
// --severity flags', then the sloth labels every SLO agrees on. Each
// sloth label a flag overrides is a note.
func (in input) severityFor(flags map[slo.Severity]string, stderr io.Writer) map[slo.Severity]string {
	out := maps.Clone(flags)
	for _, sev := range []slo.Severity{slo.Page, slo.Ticket} {
		if v, ok := flags[sev]; ok {
			bySLOs := map[string][]string{}
			for _, l := range in.severityLabels[sev] {
				if l.has && l.value != v {
					bySLOs[l.value] = append(bySLOs[l.value], "SLO "+l.slo)
				}
			}
			if len(bySLOs) == 0 {
				continue
			}
			var parts []string
			for _, value := range slices.Sorted(maps.Keys(bySLOs)) {
				parts = append(parts, fmt.Sprintf("severity=%s (%s)", value, strings.Join(bySLOs[value], ", ")))
			}
			fmt.Fprintf(stderr, "note: --severity %s=%s labels the %s alerts, not the sloth alerts' %s\n", sev, v, sev, strings.Join(parts, ", "))
			continue
		}
		if v, ok := in.severity[sev]; ok {
			if out == nil {
				out = map[slo.Severity]string{}
			}
			out[sev] = v
		}
	}
	return out
}

// labelProblems returns every label of r that promrules refuses, as
// (field, message) pairs in the order of the keys: promrules names the
// first it finds, so each is left out in turn. The labels the rules set
// themselves say what to write instead.
func labelProblems(r promrules.SLO, cfg promrules.Config, name string, isSloth bool) [][2]string {
	var out [][2]string
	r.Labels = maps.Clone(r.Labels)
	for range len(r.Labels) {
		var pe *promrules.Error
		if err := promrules.Write(io.Discard, cfg, r); !errors.As(err, &pe) || pe.Field != "Labels" {
			break
		}
		msg := pe.Msg
		switch pe.Key {
		case "slo":
			msg = fmt.Sprintf("is the label the rules set to the SLO's name (slo=%q): rename this one, such as to slo_name", name)
		case "severity":
			msg = "is the label the rules set to each tier's severity: give --severity, and rename this one"
			if isSloth {
				msg = "is the label the rules set to each tier's severity: label the alerts (alerting.page_alert.labels, alerting.ticket_alert.labels) or give --severity, and rename this one"
			}
		}
		out = append(out, [2]string{openSLOField(pe), msg})
		delete(r.Labels, pe.Key)
	}
	slices.SortFunc(out, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	return out
}
