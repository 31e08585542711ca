package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ybiyri/runkit/slo"
	"github.com/ybiyri/runkit/slo/openslo"
	"github.com/ybiyri/runkit/slo/promrules"
)

func newValidate() *cobra.Command {
	var (
		out      format
		forRules bool
	)
	c := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check OpenSLO v1 files (or sloth specs) and list the objectives they define",
		Long: `Validate answers two questions about OpenSLO v1 files: are they valid
OpenSLO, and what does runkit do with them. It reads the files as one set
(an SLO in one file may refer to an SLI or an AlertPolicy in another),
strictly: an unknown field, a value of the wrong type, a bad value, a
repeated name or a reference to nothing is a problem, and so are alert
policies whose burn-rate tiers could never fire for an objective. Every
problem is printed on standard error as file:line:column: field value: what
is wrong, and the command exits 1. A set with no SLO at all, and a file
holding no OpenSLO document, are problems too: there is nothing to validate.
The files of one run hold at most 8 MiB together (openslo.MaxBytes); more
is a problem naming the file that crosses the limit, before it is read.

Valid OpenSLO exits 0, even with features slo rules cannot turn into
PromQL (a calendar window, timeslices, a gauge ratio, a metric source other
than Prometheus, a thresholdMetric): each gets a note on standard error
naming the SLO, the field and why, the problem slo rules would refuse it
with. --rules makes those problems too (exit 1), for a pipeline that
generates rules next.

When the files are valid it lists each objective: its SLO, target, window,
budgeting method, indicator and burn-rate tiers, and where it is defined.

sloth's specs are read beside OpenSLO files, as slo rules reads them (see
its help): a file whose first 64 KiB has a line version: prometheus/v1 or
apiVersion: sloth.slok.dev/v1 is a sloth spec, checked as strictly, each
problem at file:line:column naming the field as the file spells it. What
slo rules refuses of a valid spec (a raw SLI, plugins, both alerts
disabled, severity labels that disagree between SLOs) is a note, or with
--rules a problem; what runkit's rules do not carry of it is a note too.
An SLO with both alerts disabled is listed with no tiers. An objective of
100 leaves no error budget: it is a problem, as an OpenSLO target of 1 is.`,
		Example: `  # Is it valid OpenSLO, and what does runkit do with it
  runkit slo validate slos/*.yaml

  # In CI, before the rules are generated: what slo rules refuses fails too
  runkit slo validate slos/*.yaml --rules

  # The objectives as JSON
  runkit slo validate slos.yaml -o json | jq '.[].objective'`,
		Args: fileArgs,
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return []cobra.Completion{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			in, err := readInput(args, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if len(in.invalid) > 0 {
				for _, p := range in.invalid {
					fmt.Fprintln(cmd.ErrOrStderr(), p)
				}
				return usageErrorf("%s in %s", plural(len(in.invalid), "problem"), strings.Join(args, ", "))
			}
			if len(in.slos) == 0 && len(in.refused) == 0 {
				return usageErrorf("no SLO documents in %s: nothing to validate", strings.Join(args, ", "))
			}
			slos := in.slos
			for _, n := range in.notes {
				fmt.Fprintln(cmd.ErrOrStderr(), n)
			}
			_, problems := ruleSLOs(in, nil, promrules.Config{})
			problems = append(in.refused, problems...)
			problems = append(problems, in.severityProblems(nil)...)
			if len(problems) > 0 {
				for _, p := range problems {
					if forRules {
						fmt.Fprintln(cmd.ErrOrStderr(), p)
					} else {
						fmt.Fprintf(cmd.ErrOrStderr(), "note: %s (slo rules cannot turn this into PromQL)\n", p)
					}
				}
				if forRules {
					return usageErrorf("%s for slo rules in %s", plural(len(problems), "problem"), strings.Join(args, ", "))
				}
			}
			rows := objectiveRows(slos, time.Now())
			for i := range rows {
				if why, ok := in.noTiers[rows[i].SLO]; ok {
					rows[i].Tiers, rows[i].TiersSource = []string{}, "none: "+why
				}
			}
			if out == jsonFormat {
				return writeJSON(cmd.OutOrStdout(), rows)
			}
			return validateTable(cmd.OutOrStdout(), rows)
		},
	}
	addOutputFlag(c, &out)
	c.Flags().BoolVar(&forRules, "rules", false, "also refuse what slo rules would refuse, rather than note it")
	return c
}

// fileArgs requires at least one file argument.
func fileArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return argErrorf("%s needs at least one OpenSLO file (or sloth spec)", cmd.CommandPath())
	}
	return nil
}

// readSLOs reads OpenSLO files as one set. Each problem goes to stderr on
// its own line, file:line:column first; the error counts them.
func readSLOs(paths []string, stderr io.Writer) ([]openslo.SLO, error) {
	// Reading makes a burst of short-lived YAML nodes, up to
	// openslo.MaxBytes of them; collecting at half the live heap rather
	// than all of it keeps this one-shot command's peak near what it
	// keeps, a few times the files' size, for a little more CPU.
	debug.SetGCPercent(50)
	slos, err := openslo.ReadFiles(paths...)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, usageErrorf("%s: %v", pe.Path, pe.Err)
		}
		problems := splitJoined(err)
		// In file order, as a compiler lists them.
		slices.SortStableFunc(problems, func(a, b error) int {
			var pa, pb *openslo.Error
			if !errors.As(a, &pa) || !errors.As(b, &pb) {
				return 0
			}
			return cmp.Or(cmp.Compare(pa.File, pb.File), cmp.Compare(pa.Line, pb.Line), cmp.Compare(pa.Column, pb.Column))
		})
		for _, p := range problems {
			fmt.Fprintln(stderr, p)
		}
		return nil, usageErrorf("%s in %s", plural(len(problems), "problem"), strings.Join(paths, ", "))
	}
	return slos, nil
}

// splitJoined lists the errors errors.Join joined, each on its own.
func splitJoined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, splitJoined(e)...)
		}
		return out
	}
	return []error{err}
}

// objectiveRow is one objective of slo validate's output.
type objectiveRow struct {
	SLO       string  `json:"slo"`
	Objective string  `json:"objective"`
	Service   string  `json:"service,omitempty"`
	Target    float64 `json:"target"`
	Window    string  `json:"window"`
	Method    string  `json:"method"`
	Indicator string  `json:"indicator"`
	// Tiers are the burn-rate tiers: the SLO's alert policies, or the
	// default ones that can fire.
	Tiers       []string `json:"tiers"`
	TiersSource string   `json:"tiersFrom"`
	Position    string   `json:"position"`
}

func objectiveRows(slos []openslo.SLO, now time.Time) []objectiveRow {
	rows := []objectiveRow{}
	for _, s := range slos {
		for _, o := range s.Objectives {
			r := objectiveRow{
				SLO: s.Name, Objective: o.Name, Service: s.Service, Target: o.Target,
				Window: o.Window.String(), Method: o.Method.String(), Indicator: indicatorKind(s.Indicator, o),
				Position: s.Position.String(), TiersSource: "alert policies",
			}
			p := s.Policy()
			if p == nil {
				def, _ := slo.DefaultPolicyFor(o.Objective)
				p, r.TiersSource = &def, "default"
			}
			for _, t := range p.Tiers {
				r.Tiers = append(r.Tiers, fmt.Sprintf("%s %s/%s > %s", t.Severity, slo.Rolling(t.Long), slo.Rolling(t.ShortWindow()), num(t.Threshold(o.Window.Length(now)))))
			}
			rows = append(rows, r)
		}
	}
	return rows
}

// indicatorKind describes an SLI in a few words.
func indicatorKind(ind openslo.Indicator, o openslo.Objective) string {
	switch {
	case ind.Ratio != nil && ind.Ratio.Raw != nil:
		return "raw ratio (" + ind.Ratio.RawType + ")"
	case ind.Ratio != nil && ind.Ratio.Bad != nil:
		return "ratio bad/total"
	case ind.Ratio != nil:
		return "ratio good/total"
	case ind.Threshold != nil:
		return fmt.Sprintf("threshold %s %v", o.Op, o.Value)
	}
	return "none"
}

func validateTable(w io.Writer, rows []objectiveRow) error {
	tw := newTable(w)
	row(tw, "OBJECTIVE", "TARGET", "WINDOW", "METHOD", "INDICATOR", "TIERS", "DEFINED AT")
	for _, r := range rows {
		tiers := fmt.Sprintf("%d from alert policies", len(r.Tiers))
		switch {
		case r.TiersSource == "default":
			tiers = fmt.Sprintf("%d default", len(r.Tiers))
		case strings.HasPrefix(r.TiersSource, "none"):
			tiers = r.TiersSource
		}
		row(tw, r.Objective, targetPercent(r.Target), r.Window, r.Method, r.Indicator, tiers, r.Position)
	}
	return tw.Flush()
}
