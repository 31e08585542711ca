package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ybiyri/runkit/slo"
	"github.com/ybiyri/runkit/slo/openslo"
	"github.com/ybiyri/runkit/slo/promrules"
)

const rulesLong = `Rules writes the Prometheus rule file for the SLOs of OpenSLO v1 files
(read as slo validate reads them, up to 8 MiB in all): recording rules for the error ratio over
every window the burn-rate tiers use, the budget remaining, and
multi-window, multi-burn-rate alerts with the thresholds the slo package
computes, one group per objective (and one of its events recorded every
5m, which the windows of a day or more sum). The package doc of slo/promrules lists
every rule.

Where Prometheus reads the events, from each SLO's indicator:
  ratioMetric    good or bad over total, each a Prometheus metric source
                 whose query is a counter's series selector or a
                 template over {{.window}}; both queries of one kind
                 (two selectors, or two templates over the same
                 function), and with --keep a template's aggregations
                 keep the kept labels: sum by (region) (...)
A thresholdMetric (a metric compared with the objective's op and value,
as OpenSLO defines it) is refused, since rules count events: for latency,
a ratioMetric over the histogram, good NAME_bucket{...,le="0.5"} and total
NAME_count{...}, is what rules read; the message writes it out.
The SLO's labels become labels of every rule (several values joined with
commas; a label name must be a Prometheus label name, letters, digits and
underscores, or the command says which and stops), and a runbook_url
annotation becomes every alert's runbook_url. The info series
runkit:slo_info carries spec.service as its service label, and an owner
label: the SLO's label owner, or else its label team.
The window must roll and the method be Occurrences: PromQL cannot follow a
calendar, and rules cannot count timeslices.

Alert policies: each condition is a burn-rate tier (threshold over
lookbackWindow, confirmed over lookbackWindow / 12), and its alertAfter is
the alert's for:, how long the burn must go on before it fires. A policy
with alertWhenBreaching: false writes no alert; alertWhenNoData: false on
every policy leaves out SLONoData. notificationTargets and
alertWhenResolved are Alertmanager's routing, not rules: a note on stderr
says so. Without alert policies the default tiers that suit the objective
are used (none over a day or two: their thresholds fall under 1); a note
on stderr, and a comment in the file, names each default tier left out
and why (over 28 days, the 3-day ticket). Every problem is printed at the
line of the field to change.

sloth's specs are read beside OpenSLO files: its prometheus/v1 spec and
its Kubernetes PrometheusServiceLevel (apiVersion sloth.slok.dev/v1,
camelCase fields), told by a line version: prometheus/v1 or apiVersion:
sloth.slok.dev/v1 in a file's first 64 KiB. Each SLO is named
service-name, sloth's id, with the objective (a percentage) over 30 days,
sloth's default period (its spec has none; give an OpenSLO file for
another). events error_query and total_query are a ratioMetric of bad
over total, templates over {{.window}} ({{ .window }} too). The page
alert is the tiers 14.4 over 1h (short window 5m) and 6 over 6h (30m),
the ticket alert 3 over 1d (2h) and 1 over 3d (6h): sloth's, and the
default tiers; disable: true leaves an alert's tiers out (both is
refused: the rules always alert), and a tier that can never fire at the
objective is left out with a note. The spec's and SLO's labels, and the
labels both alerts carry with one value, become labels of every rule;
the alerts' severity labels label a tier, as --severity does, when every
sloth SLO alerting on it gives the same one; a tier whose labels
disagree, or that some SLOs leave out, is a problem naming two SLOs and
their values unless --severity names that tier; a note lists each sloth
label --severity overrides; a runbook_url annotation both alerts carry becomes
every alert's. The alert's name, other annotations and labels only one
alert carries are not carried: a note names each, at its line. A raw SLI
(error_ratio_query) is refused, since a ratio already divided cannot be
weighted by traffic: give events (slo validate notes it, and slo convert
carries it as a raw ratioMetric, which slo rules refuses too). SLI and SLO plugins, and an objective
of 100, are refused. slo convert writes the OpenSLO equivalent.

With --check, promtool check rules runs on the result before anything is
written: a file it rejects is not written, and the command exits 1. promtool
must then be on PATH (or named by --promtool, a path relative to the
current directory); missing, it is exit 3.

Flags are checked before anything runs: --severity names the tiers page
and ticket; --keep names labels of the service's series (not slo, which
the rules set, le, a histogram's bucket label, or a name starting with
__, as __name__); --interval is 0 (the group takes Prometheus's global interval)
or from 1s up to the shortest window the rules read (the 5m short window
of the fastest default tier) and to --no-data-for; --no-data-for is
positive, 10m by default.

Windows of a day or more sum the events each SLO's group runkit-step-NAME
records every 5m, which start when the rules are first loaded (backfill
them with promtool tsdb create-blocks-from rules); --raw-windows reads
every window from the raw counters instead, at every evaluation.

-o writes into what the path names and never over it: a regular file (or
a new one) is replaced atomically, so Prometheus never loads half of it;
a symbolic link is followed and its target written so, the link kept (the
files of a Kubernetes ConfigMap are links); a FIFO, a device or
/dev/stdout is written in place; - is standard output. A directory, a
directory that does not exist, or one of the input files (by any spelling
of its path, or through a link) is exit 1 before anything is read or
written.

--format prometheusrule writes the same groups as a PrometheusRule
(monitoring.coreos.com/v1), the resource through which the Prometheus
Operator loads rules in Kubernetes: its spec.groups are the rule file's
groups, line for line, indented. --name is its metadata.name, a DNS-1123
subdomain; without it, the name of the SLO when the files hold exactly
one, and otherwise exit 1. --namespace, a DNS-1123 label, is optional:
without it, kubectl applies the resource to its current namespace.
--label KEY=VALUE, repeated, labels it, as a Prometheus's ruleSelector
selects it; keys and values are checked as Kubernetes checks them.
When every file is one sloth PrometheusServiceLevel, its metadata.name,
metadata.namespace and metadata.labels are the defaults of --name,
--namespace and --label (a --label flag replaces its labels); resources
whose metadata differ need the flag, and the error names it.
--check runs promtool on the groups, the rule file the resource holds.`

func newRules() *cobra.Command {
	var (
		outFile   string
		check     bool
		promtool  string
		keep      []string
		severity  map[string]string
		noDataFor time.Duration
		interval  time.Duration
		raw       bool
		form      = ruleFormat(rulesFile)
		meta      objectMeta
		labelArgs []string
	)
	c := &cobra.Command{
		Use:   "rules FILE... [-o rules.yaml]",
		Short: "Prometheus recording and burn-rate alert rules from OpenSLO files or sloth specs",
		Long:  rulesLong,
		Example: `  # The rule file Prometheus loads, checked by promtool first
  runkit slo rules slos/*.yaml -o prometheus/slo-rules.yaml --check

  # Alerts labelled the way Alertmanager routes them, per region
  runkit slo rules slos.yaml --severity page=critical,ticket=warning --keep region

  # The same groups as a PrometheusRule for the Prometheus Operator
  runkit slo rules slos/*.yaml --format prometheusrule --name shop-slos --namespace monitoring --label role=alert-rules`,
		Args: fileArgs,
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return []cobra.Completion{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg := promrules.Config{NoDataFor: noDataFor, Interval: interval, RawWindows: raw}
			var err error
			if noDataFor <= 0 {
				return usageErrorf("--no-data-for %v: want a positive duration (default %s)", noDataFor, promrules.Duration(promrules.DefaultNoDataFor))
			}
			if interval != 0 {
				if interval < minInterval {
					return usageErrorf("--interval %v: want at least %v, or 0 for Prometheus's global interval", interval, minInterval)
				}
			}
			if len(severity) > 0 {
				cfg.Severity = map[slo.Severity]string{}
				for _, k := range slices.Sorted(maps.Keys(severity)) {
					switch sev := slo.Severity(k); {
					case sev != slo.Page && sev != slo.Ticket:
						return usageErrorf("--severity %s=%s: %s is not a tier severity; want page or ticket", k, severity[k], k)
					case severity[k] == "":
						return usageErrorf("--severity %s=: the label value is empty", k)
					}
					cfg.Severity[slo.Severity(k)] = severity[k]
				}
			}
			if form != prometheusRule {
				for _, name := range []string{"name", "namespace", "label"} {
					if cmd.Flags().Changed(name) {
						return usageErrorf("--%s is metadata of a PrometheusRule: give --format prometheusrule too", name)
					}
				}
			}
			if cmd.Flags().Changed("name") {
				if msg := subdomainProblem(meta.name); msg != "" {
					return usageErrorf("--name %q %s", meta.name, msg)
				}
			}
			if cmd.Flags().Changed("namespace") {
				if msg := dnsLabelProblem(meta.namespace); msg != "" {
					return usageErrorf("--namespace %q %s", meta.namespace, msg)
				}
			}
			if err := checkKeep(keep); err != nil {
				return err
			}
			if meta.labels, err = parseLabels(labelArgs); err != nil {
				return usageErrorf("%v", err)
			}
			toFile, err := outputFile(outFile, args)
			if err != nil {
				return err
			}
			in, err := readSLOInput(args, cmd.ErrOrStderr(), "no rules to write")
			if err != nil {
				return err
			}
			slos := in.slos
			if form == prometheusRule {
				f := cmd.Flags()
				if err := in.resourceMeta(&meta, f.Changed("name"), f.Changed("namespace"), f.Changed("label")); err != nil {
					return err
				}
			}
			if form == prometheusRule && meta.name == "" && len(slos) > 0 {
				if len(slos) > 1 {
					return usageErrorf("--format prometheusrule: the files hold %d SLOs, so give the PrometheusRule a --name", len(slos))
				}
				if msg := subdomainProblem(slos[0].Name); msg != "" {
					return usageErrorf("--format prometheusrule: the SLO's name %q, the PrometheusRule's name without --name, %s: give a --name", slos[0].Name, msg)
				}
				meta.name = slos[0].Name
			}
			alertmanagerNotes(cmd.ErrOrStderr(), slos)
			omittedNotes(cmd.ErrOrStderr(), slos)
			for _, n := range in.notes {
				fmt.Fprintln(cmd.ErrOrStderr(), n)
			}
			problems := in.refused
			problems = append(problems, in.severityProblems(cfg.Severity)...)
			cfg.Severity = in.severityFor(cfg.Severity, cmd.ErrOrStderr())
			rules, ruleProblems := ruleSLOs(in, keep, cfg)
			problems = append(problems, ruleProblems...)
			if len(problems) > 0 {
				for _, p := range problems {
					fmt.Fprintln(cmd.ErrOrStderr(), p)
				}
				return usageErrorf("%s: no rules written", plural(len(problems), "problem"))
			}
			if interval != 0 {
				if w := shortestWindow(rules); interval > w {
					return usageErrorf("--interval %v: longer than the %s window of the rules it evaluates", interval, promrules.Duration(w))
				}
				if interval > noDataFor {
					return usageErrorf("--interval %v: longer than --no-data-for %v, the for: of SLONoData it evaluates", interval, noDataFor)
				}
			}
			// The rules are streamed, never held whole: they are several
			// times the size of the SLO files.
			write := func(w io.Writer) error {
				cw := &countingWriter{w: w}
				err := promrules.Write(cw, cfg, rules...)
				if err != nil && cw.n == 0 {
					return usageErrorf("%v", err)
				}
				return err
			}
			if check {
				name := "rules.yaml"
				if toFile {
					name = filepath.Base(outFile)
				}
				dir, err := os.MkdirTemp("", "runkit-rules-")
				if err != nil {
					return externalErrorf("--check: %v", err)
				}
				defer os.RemoveAll(dir)
				path := filepath.Join(dir, name)
				if err := writeFile(path, write); err != nil {
					return err
				}
				if err := promtoolCheck(cmd.Context(), promtool, dir, name, cmd.ErrOrStderr()); err != nil {
					return err
				}
				write = func(w io.Writer) error {
					f, err := os.Open(path)
					if err != nil {
						return err
					}
					defer f.Close()
					_, err = io.Copy(w, f)
					return err
				}
			}
			if form == prometheusRule {
				plain := write
				write = func(w io.Writer) error { return writePrometheusRule(w, meta, plain) }
			}
			if !toFile {
				return write(cmd.OutOrStdout())
			}
			if err := writeOutputFunc(outFile, write); err != nil {
				var ee *exitError
				if errors.As(err, &ee) {
					return err
				}
				return usageErrorf("-o %s: %v", outFile, err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s for %s\n", outFile, plural(len(rules), "objective"))
			return nil
		},
	}
	f := c.Flags()
	f.StringVarP(&outFile, "out", "o", "", "write the rules to this file rather than standard output")
	f.BoolVar(&check, "check", false, "run promtool check rules on the result before writing it")
	f.StringVar(&promtool, "promtool", "promtool", "the promtool to run for --check")
	f.StringSliceVar(&keep, "keep", nil, "labels kept when summing across replicas, such as region")
	f.Var(newMappingFlag(&severity), "severity", "severity label of each tier's alerts, such as page=critical,ticket=warning")
	f.DurationVar(&noDataFor, "no-data-for", promrules.DefaultNoDataFor, "how long SLONoData waits, once the SLI's series have been absent for 5m, before it fires")
	f.BoolVar(&raw, "raw-windows", false, "read windows of a day or more from the raw counters, with no recorded events")
	f.DurationVar(&interval, "interval", 0, "evaluation interval of each group, from 1s up to the rules' shortest window (0: Prometheus's global one)")
	f.Var(&form, "format", "what to write: rules, the rule file, or prometheusrule, a PrometheusRule of the Prometheus Operator holding its groups")
	f.StringVar(&meta.name, "name", "", "the PrometheusRule's metadata.name (default: the SLO's name, when the files hold one SLO)")
	f.StringVar(&meta.namespace, "namespace", "", "the PrometheusRule's metadata.namespace (default: none, the namespace kubectl applies it to)")
	f.StringArrayVar(&labelArgs, "label", nil, "a KEY=VALUE label of the PrometheusRule's metadata, such as one its Prometheus selects rules by; repeat for more")
	c.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(
		[]string{"rules\tthe rule file Prometheus loads", "prometheusrule\ta PrometheusRule of the Prometheus Operator"},
		cobra.ShellCompDirectiveNoFileComp))
	c.MarkFlagFilename("out", "yaml", "yml")
	c.MarkFlagFilename("promtool")
	return c
}

// severityText writes a severity mapping as --severity takes it.
func severityText(m map[slo.Severity]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, string(k)+"="+m[k])
	}
	return strings.Join(parts, ",")
}

// minInterval is the shortest --interval: Prometheus evaluates every rule
// of a group each interval, and below a second that is load for nothing.
const minInterval = time.Second

// shortestWindow returns the shortest window the rules of slos read: the
// short window of their fastest tier.
func shortestWindow(slos []promrules.SLO) time.Duration {
	shortest := time.Duration(0)
	for _, s := range slos {
		p := s.Policy
		if p == nil {
			d, _ := slo.DefaultPolicyFor(s.Objective)
			p = &d
		}
		for _, t := range p.Tiers {
			if w := t.ShortWindow(); shortest == 0 || w < shortest {
				shortest = w
			}
		}
	}
	return shortest
}

// ruleSLOs turns OpenSLO SLOs into what promrules writes, one per
// objective, or lists the problems, each at the line of the field to
// change (or where its SLO is defined) and in the file's words.
func ruleSLOs(in input, keep []string, cfg promrules.Config) ([]promrules.SLO, []string) {
	var out []promrules.SLO
	var problems []string
	for _, s := range in.slos {
		labels := map[string]string{}
		for k, v := range s.Labels {
			labels[k] = strings.Join(v, ",")
		}
		for _, o := range s.Objectives {
			where := "SLO " + s.Name
			if o.Name != s.Name {
				where += ", objective " + o.Name
			}
			problem := func(field, msg string) {
				pos, name := in.locate(s, field)
				if _, ok := in.sloth[s.Name]; ok && strings.HasSuffix(field, ".raw") {
					msg = "sloth's raw SLI is an error ratio already divided, which cannot be weighted by traffic across windows and replicas; give sli.events: error_query and total_query, the events it divides"
				}
				problems = append(problems, fmt.Sprintf("%v: %s: %s: %s", pos, where, name, msg))
			}
			r := promrules.SLO{
				Objective: o.Objective, Policy: s.Policy(), Keep: keep,
				Labels: labels, RunbookURL: s.Annotations["runbook_url"], OmitNoData: !s.AlertWhenNoData(),
				Service: s.Service, Owner: owner(labels),
			}
			// Every problem at once, not the first and then the next once
			// it is fixed.
			var objectiveProblems []*promrules.Error
			if o.Window.Calendar != slo.NotCalendar || o.Method != slo.Occurrences {
				r.Objective, objectiveProblems = rollingOccurrences(cfg, r)
			}
			blocked := len(objectiveProblems) > 0
			probe := o
			probe.Objective = r.Objective
			src, err := ruleSource(s.Indicator, probe)
			var fe *fieldError
			switch {
			case errors.As(err, &fe):
				problem(fe.field, fe.msg)
				blocked = true
			case err != nil:
				problems = append(problems, fmt.Sprintf("%v: %s: %v", s.Position, where, err))
				blocked = true
			}
			for _, pe := range objectiveProblems {
				problem(openSLOField(pe), pe.Msg)
			}
			// Without a source, the rest is checked with promrules' own.
			r.Source = src
			// One at a time, so that a problem names its SLO's place.
			err = promrules.Write(io.Discard, cfg, r)
			var pe *promrules.Error
			switch {
			case errors.As(err, &pe) && pe.Field == "Keep":
				problems = append(problems, fmt.Sprintf("%v: %s: --keep %s: %s", s.Position, where, pe.Key, pe.Msg))
				continue
			case errors.As(err, &pe) && pe.Field == "Labels" && pe.Key == "service" && s.Service != "":
				problem("metadata.labels.service", fmt.Sprintf("%s differs from spec.service %s: both would be the service label of %s; give one, or the same value", labels["service"], s.Service, promrules.Info))
				continue
			case errors.As(err, &pe) && pe.Field == "Labels":
				// Every bad label at once: promrules names one.
				for _, lp := range labelProblems(r, cfg, s.Name, in.sloth[s.Name] != nil) {
					problem(lp[0], lp[1])
				}
				continue
			case errors.As(err, &pe) && openSLOField(pe) != "":
				problem(openSLOField(pe), pe.Msg)
				continue
			case err != nil:
				problems = append(problems, fmt.Sprintf("%v: %s: %s", s.Position, where, strings.TrimPrefix(err.Error(), "promrules: ")))
				continue
			}
			if !blocked {
				out = append(out, r)
			}
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return out, nil
}

// rollingOccurrences returns the objective of r made one that rules can
// read, rolling and counting occurrences, and the problems with its
// window and method that this leaves out, so that the rest of the SLO is
// checked in the same run as they are reported.
func rollingOccurrences(cfg promrules.Config, r promrules.SLO) (slo.Objective, []*promrules.Error) {
	var problems []*promrules.Error
	for {
		err := promrules.Write(io.Discard, cfg, r)
		var pe *promrules.Error
		if !errors.As(err, &pe) {
			return r.Objective, problems
		}
		switch o := &r.Objective; {
		case pe.Field == "Objective.Window" && o.Window.Calendar != slo.NotCalendar:
			o.Window = slo.Rolling(o.Window.Length(time.Now()).Truncate(time.Second))
		case pe.Field == "Objective.Method" && o.Method != slo.Occurrences:
			o.Method, o.SliceTarget, o.Slice = slo.Occurrences, 0, 0
		default:
			return r.Objective, problems
		}
		problems = append(problems, pe)
	}
}

// checkKeep reports a --keep value that no SLO's rules could keep, once
// and before any file is read, in the words promrules refuses it with.
func checkKeep(keep []string) error {
	probe := promrules.SLO{Objective: slo.Objective{Name: "keep", Target: 0.999, Window: slo.Rolling(30 * 24 * time.Hour)}, Keep: keep}
	err := promrules.Write(io.Discard, promrules.Config{}, probe)
	var pe *promrules.Error
	if errors.As(err, &pe) && pe.Field == "Keep" {
		if pe.Key == "" {
			return usageErrorf("--keep %s: %s", strings.Join(keep, ","), pe.Msg)
		}
		return usageErrorf("--keep %s: %s", pe.Key, pe.Msg)
	}
	return nil
}

// owner is the owner of an SLO, for the owner label of runkit:slo_info:
// its label owner, or else its label team, or "" when it has neither.
func owner(labels map[string]string) string {
	if v, ok := labels["owner"]; ok {
		return v
	}
	return labels["team"]
}

// alertmanagerNotes says, for each alert policy with notificationTargets
// or alertWhenResolved, that rules cannot carry them: where an alert goes
// and whether its resolution notifies is Alertmanager's routing.
func alertmanagerNotes(w io.Writer, slos []openslo.SLO) {
	for _, s := range slos {
		for i, ap := range s.AlertPolicies {
			path := fmt.Sprintf("spec.alertPolicies[%d].spec.", i)
			if len(ap.NotificationTargets) > 0 {
				names := make([]string, len(ap.NotificationTargets))
				for j, t := range ap.NotificationTargets {
					names[j] = t.Name
				}
				fmt.Fprintf(w, "note: %v: SLO %s: %snotificationTargets (%s) are not part of Prometheus rules; route the alerts to them in Alertmanager, on their labels (slo=%q, severity)\n",
					s.FieldPosition(path+"notificationTargets"), s.Name, path, strings.Join(names, ", "), s.Name)
			}
			if ap.AlertWhenResolved != nil {
				fmt.Fprintf(w, "note: %v: SLO %s: %salertWhenResolved is not part of Prometheus rules; it is send_resolved of the Alertmanager receiver\n",
					s.FieldPosition(path+"alertWhenResolved"), s.Name, path)
			}
		}
	}
}

// omittedNotes says, for each objective without alert policies, which
// default tiers its rules leave out and why, as the rule file's comments
// do.
func omittedNotes(w io.Writer, slos []openslo.SLO) {
	for _, s := range slos {
		if s.Policy() != nil {
			continue
		}
		for _, o := range s.Objectives {
			if o.Objective.Validate() != nil {
				continue
			}
			_, omitted := slo.DefaultPolicyFor(o.Objective)
			for _, ot := range omitted {
				fmt.Fprintf(w, "note: %v: %s\n", s.FieldPosition("spec.timeWindow[0].duration"), promrules.OmittedNote(o.Name, ot))
			}
		}
	}
}

// openSLOField is the OpenSLO field a promrules problem comes from, or ""
// when none does.
func openSLOField(e *promrules.Error) string {
	const ratio = "spec.indicator.spec.ratioMetric"
	switch e.Field {
	case "Objective.Name":
		return "metadata.name"
	case "Objective.Window":
		return "spec.timeWindow[0]"
	case "Objective.Method":
		return "spec.budgetingMethod"
	case "Labels":
		return "metadata.labels." + e.Key
	case "Ratio":
		return ratio
	case "Ratio.Good", "Ratio.Bad", "Ratio.Total":
		return ratio + "." + strings.ToLower(strings.TrimPrefix(e.Field, "Ratio.")) + ".metricSource.spec.query"
	case "Policy":
		return "spec.alertPolicies"
	}
	return ""
}

// fieldError is a problem with one field of an OpenSLO file.
type fieldError struct{ field, msg string }

func (e *fieldError) Error() string { return e.field + ": " + e.msg }

// ruleSource says where Prometheus reads the events of an indicator, for
// objective o.
func ruleSource(ind openslo.Indicator, o openslo.Objective) (promrules.Source, error) {
	const ratio = "spec.indicator.spec.ratioMetric"
	switch {
	case ind.Ratio != nil:
		r := ind.Ratio
		switch {
		case r.Raw != nil:
			return nil, &fieldError{ratio + ".raw", fmt.Sprintf("indicator %s is a raw ratio: rules need good or bad events over total events", ind.Name)}
		case r.Counter != nil && !*r.Counter:
			return nil, &fieldError{ratio + ".counter", fmt.Sprintf("false: indicator %s reads gauges; rules need counters", ind.Name)}
		}
		for _, m := range []struct {
			name string
			src  *openslo.MetricSource
		}{{"good", r.Good}, {"bad", r.Bad}, {"total", r.Total}} {
			if m.src == nil {
				continue
			}
			if _, err := prometheusQuery(ratio+"."+m.name+".metricSource", m.src); err != nil {
				return nil, err
			}
		}
		bad, good, total, err := ind.PromQL()
		if err != nil {
			return nil, &fieldError{ratio, strings.TrimPrefix(err.Error(), "openslo: ")}
		}
		return promrules.Ratio{Good: good, Bad: bad, Total: total}, nil
	case ind.Threshold != nil:
		return nil, &fieldError{"spec.indicator.spec.thresholdMetric", thresholdAdvice(ind.Threshold, o)}
	}
	return nil, fmt.Errorf("has no indicator")
}

// thresholdAdvice says why rules cannot read a thresholdMetric, and what
// to write instead: a ratioMetric over the histogram the query names, or
// over the default histogram, with the objective's value as its le (and,
// when the value is not a bucket boundary, the nearest ones).
func thresholdAdvice(m *openslo.MetricSource, o openslo.Objective) string {
	// The histogram the query reads: the query itself when it is a
	// selector, else the first bucket series inside it (as in
	// histogram_quantile(0.99, sum by (le) (rate(x_bucket{job="api"}[5m])))),
	// else runkit's own.
	name, matchers, named := promrules.DefaultHistogram, "", false
	q := strings.TrimSpace(m.Query())
	if sel := selector.FindStringSubmatch(q); sel != nil {
		name, matchers, named = strings.TrimSuffix(strings.TrimSuffix(sel[1], "_count"), "_bucket"), strings.TrimSpace(sel[2]), true
	} else if sel := bucketSeries.FindStringSubmatch(q); sel != nil {
		name, matchers, named = sel[1], strings.TrimSpace(sel[2]), true
	}
	value := o.Value
	if value <= 0 {
		value = 0.3
	}
	le := strconv.FormatFloat(value, 'g', -1, 64)
	leMatcher := "le=" + strconv.Quote(le)
	if !strings.ContainsAny(le, ".eE") {
		// Prometheus 3 writes a whole boundary as "1.0", Prometheus 2 as "1".
		leMatcher = "le=~" + strconv.Quote(le+"|"+le+".0")
	}
	with := func(ms ...string) string {
		var out []string
		for _, m := range ms {
			if m != "" {
				out = append(out, m)
			}
		}
		if len(out) == 0 {
			return ""
		}
		return "{" + strings.Join(out, ",") + "}"
	}
	msg := fmt.Sprintf("OpenSLO's thresholdMetric is a metric compared with the objective's op and value (a p99 latency against 0.3, say), which rules that count good and bad events cannot weigh by traffic; for a latency objective give a ratioMetric over the histogram: good %s_bucket%s, total %s_count%s",
		name, with(matchers, leMatcher), name, with(matchers))
	// Whether the value can be a boundary of the histogram, as promrules
	// judges it.
	buckets, _ := specBuckets("", m.Spec)
	if buckets != nil || named && name == promrules.DefaultHistogram {
		err := promrules.Write(io.Discard, promrules.Config{}, promrules.SLO{Objective: o.Objective, Source: promrules.Latency{Histogram: name, Threshold: value, Buckets: buckets}})
		var pe *promrules.Error
		if errors.As(err, &pe) && pe.Field == "Latency.Threshold" {
			msg += "; but " + pe.Msg
		}
	}
	return msg
}

// selector matches a series selector: a metric name and its matchers.
var selector = regexp.MustCompile(`^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{(.*)\})?\s*$`)

// bucketSeries finds a histogram's bucket series inside a query: its name
// without _bucket, and its matchers.
var bucketSeries = regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)_bucket\b\s*(?:\{([^}]*)\})?`)

// prometheusQuery returns the query of a Prometheus metric source at
// path, or the problem with it.
func prometheusQuery(path string, m *openslo.MetricSource) (string, error) {
	if !strings.EqualFold(m.Type, "prometheus") {
		if m.Type == "" && m.Ref != "" {
			return "", &fieldError{path + ".metricSourceRef", fmt.Sprintf("%s names no DataSource given, so the type is unknown: rules need Prometheus", m.Ref)}
		}
		return "", &fieldError{path + ".type", m.Type + ": rules need Prometheus"}
	}
	q := strings.TrimSpace(m.Query())
	if q == "" {
		return "", &fieldError{path + ".spec.query", "is missing: a Prometheus metric source needs its query"}
	}
	return q, nil
}

// specBuckets reads the optional "buckets" list of a metric source spec.
func specBuckets(path string, spec map[string]any) ([]float64, error) {
	v, ok := spec["buckets"]
	if !ok {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, &fieldError{path, fmt.Sprintf("%v: want a list of numbers", v)}
	}
	out := make([]float64, len(list))
	for i, b := range list {
		f, ok := b.(float64)
		if !ok {
			return nil, &fieldError{fmt.Sprintf("%s[%d]", path, i), fmt.Sprintf("%v: want a number", b)}
		}
		out[i] = f
	}
	return out, nil
}

// countingWriter counts what goes through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// writeFile creates the file at path and writes into it.
func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return externalErrorf("--check: %v", err)
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return externalErrorf("--check: %v", err)
	}
	return nil
}

// promtoolCheck runs promtool check rules on the file name in dir, a
// directory of its own, so that promtool's messages name the file the
// user asked for.
func promtoolCheck(ctx context.Context, promtool, dir, name string, stderr io.Writer) error {
	path, err := exec.LookPath(promtool)
	if err != nil {
		return externalErrorf("--check: %s not found: install Prometheus's promtool (Debian: apt-get install prometheus), or drop --check", promtool)
	}
	// promtool runs in a directory of its own: a relative path, such as
	// ./bin/promtool, names a file in the caller's.
	if path, err = filepath.Abs(path); err != nil {
		return externalErrorf("--check: %s: %v", promtool, err)
	}
	cmd := exec.CommandContext(ctx, path, "check", "rules", name)
	cmd.Dir = dir
	output, err := cmd.CombinedOutput()
	stderr.Write(output)
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee) && ee.ExitCode() == 1:
		return usageErrorf("promtool check rules rejected the rules made from the SLO files (is one of their queries wrong?): nothing written")
	}
	return externalErrorf("--check: %s check rules: %v", path, err)
}
