package main

import (
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ybiyri/runkit/slo"
)

func newSLO() *cobra.Command {
	return group("slo", "Error budgets, SLO files, Prometheus rules and live SLO status",
		`Error budgets, OpenSLO files, Prometheus rules and live SLO status, from
the same math as the slo package.`,
		`  runkit slo budget 99.9 30d
  runkit slo status https://checkout.internal/slo`,
		newBudget(), newValidate(), newRules(), newConvert(), newDashboard(), newStatus())
}

func newBudget() *cobra.Command {
	var out format
	c := &cobra.Command{
		Use:   "budget TARGET [WINDOW]",
		Short: "Error budget, allowed downtime and burn-rate alert thresholds of a target",
		Long: `Budget prints what a target allows: the error budget, the downtime it
allows per day, per week and per window, and for each of the SRE
workbook's default burn-rate tiers the burn rate and error rate at which it
fires, how soon a full outage makes it fire, and how long the budget lasts
at that burn rate.

TARGET is written as people write it: 99.95, 99.95% or 0.9995. WINDOW is a
duration (30d, 4w, 28d, 1h30m) or month, quarter or year for the calendar
period holding today; 30d when left out. The tiers are those the slo
package's tracker and slo rules use: a tier whose long window is longer
than the window, that would need an error rate over 100% (it can never
fire), or whose burn rate is under 1 (it would fire while the objective is
met, as the 3-day ticket would over 28 days) is left out and listed as
omitted with the reason.

BURN THRESHOLD is the burn rate at which the tier fires (burnRate in the
JSON), and ERROR RATE the error rate that burn rate is: thresholds of the
policy, not a service's burn, which runkit slo status shows as WINDOW BURN
and RECENT BURN.`,
		Example: `  # How much downtime does 99.95% allow over 30 days?
  runkit slo budget 99.95 30d

  # A 28-day window, as JSON for a script
  runkit slo budget 99.9% 28d -o json | jq .allowedDowntimeSeconds`,
		Args: func(cmd *cobra.Command, args []string) error {
			switch {
			case len(args) == 0:
				return argErrorf("%s needs a TARGET, such as 99.9", cmd.CommandPath())
			case len(args) > 2:
				return argErrorf("%s takes TARGET and WINDOW: %q is one argument too many", cmd.CommandPath(), args[2])
			}
			return nil
		},
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			switch len(args) {
			case 0:
				return []cobra.Completion{"99", "99.5", "99.9", "99.95", "99.99"}, cobra.ShellCompDirectiveNoFileComp
			case 1:
				return []cobra.Completion{"30d", "28d", "7d", "month", "quarter"}, cobra.ShellCompDirectiveNoFileComp
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			window := "30d"
			if len(args) == 2 {
				window = args[1]
			}
			r, err := budget(args[0], window, time.Now())
			if err != nil {
				return err
			}
			if out == jsonFormat {
				return writeJSON(cmd.OutOrStdout(), r)
			}
			return r.table(cmd.OutOrStdout())
		},
	}
	addOutputFlag(c, &out)
	c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		// pflag reads "-5" as the flag -5: say what went wrong instead.
		if _, arg, ok := strings.Cut(err.Error(), "' in "); ok && strings.HasPrefix(err.Error(), "unknown shorthand flag") && negativeNumber.MatchString(arg) {
			return argErrorf("%q is negative: a TARGET is a share of good events such as 99.9, and a WINDOW a duration such as 30d; neither is ever negative", arg)
		}
		return &exitError{code: exitUsage, err: err, hint: true}
	})
	return c
}

// negativeNumber matches an argument that pflag would take for a flag
// but that is a negative number, with or without a unit or a percent sign.
var negativeNumber = regexp.MustCompile(`^-[0-9.]`)

// budgetReport is the output of slo budget.
type budgetReport struct {
	Target float64 `json:"target"`
	Window string  `json:"window"`
	// WindowSeconds is the window's length; for a calendar window, that
	// of the period holding the time of the report.
	WindowSeconds float64 `json:"windowSeconds"`
	Budget        float64 `json:"budget"`
	Nines         float64 `json:"nines"`
	// AllowedDowntime is how long the service may be fully down.
	AllowedDowntime struct {
		Day    float64 `json:"day"`
		Week   float64 `json:"week"`
		Window float64 `json:"window"`
	} `json:"allowedDowntimeSeconds"`
	// Tiers is [] when no tier fits the window, never null.
	Tiers []budgetTier `json:"tiers"`
	// OmittedTiers lists the default tiers left out, with the reason.
	OmittedTiers []omittedTier `json:"omittedTiers"`

	window time.Duration
	o      slo.Objective
}

type budgetTier struct {
	Severity    slo.Severity `json:"severity"`
	Long        string       `json:"long"`
	Short       string       `json:"short"`
	BudgetShare float64      `json:"budgetShare"`
	// BurnRate and ErrorRate are the thresholds above which the tier
	// fires.
	BurnRate  float64 `json:"burnRate"`
	ErrorRate float64 `json:"errorRate"`
	// FullOutageFiresIn is how long a full outage takes to fire the
	// tier: ErrorRate × Long.
	FullOutageFiresIn float64 `json:"fullOutageFiresInSeconds"`
	// BudgetGoneIn is how long the whole budget lasts at BurnRate.
	BudgetGoneIn float64 `json:"budgetGoneInSeconds"`

	fires, gone time.Duration
}

type omittedTier struct {
	Severity slo.Severity `json:"severity"`
	Long     string       `json:"long"`
	Short    string       `json:"short"`
	Reason   string       `json:"reason"`
}

func budget(targetArg, windowArg string, now time.Time) (*budgetReport, error) {
	// "1" reads as 1% (a number of 1 or more is a percentage), but who
	// writes it may mean 100% or 0.99: make them say.
	if text := strings.TrimSpace(targetArg); !strings.HasSuffix(text, "%") {
		if v, err := strconv.ParseFloat(text, 64); err == nil && v == 1 {
			return nil, argErrorf("TARGET %q is ambiguous: write 1%% for one percent, or a fraction such as 0.99 for 99%%", targetArg)
		}
	}
	target, err := slo.ParseTarget(targetArg)
	if err != nil {
		return nil, argErrorf("TARGET: %v", err)
	}
	w, err := slo.ParseWindow(windowArg)
	if err != nil {
		return nil, argErrorf("WINDOW: %v", err)
	}
	o := slo.Objective{Name: "budget", Target: target, Window: w}
	if err := o.Validate(); err != nil {
		return nil, usageErrorf("%v", err)
	}
	length := w.Length(now)
	r := &budgetReport{
		Target: target, Window: w.String(), WindowSeconds: length.Seconds(),
		Budget: o.Budget(), Nines: roundSig(o.Nines(), 12), window: length, o: o,
		Tiers: []budgetTier{}, OmittedTiers: []omittedTier{},
	}
	if w.Calendar != slo.NotCalendar {
		r.Window = w.Calendar.String()
	}
	day, err := slo.AllowedDowntime(target, 24*time.Hour)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	week, err := slo.AllowedDowntime(target, 7*24*time.Hour)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	r.AllowedDowntime.Day, r.AllowedDowntime.Week = day.Seconds(), week.Seconds()
	r.AllowedDowntime.Window = o.AllowedDowntime(now).Seconds()
	// The tiers a tracker and the rules use: slo.DefaultPolicyFor's.
	policy, omitted := slo.DefaultPolicyFor(o)
	for _, ot := range omitted {
		r.OmittedTiers = append(r.OmittedTiers, omittedTier{
			Severity: ot.Tier.Severity, Long: slo.Rolling(ot.Tier.Long).String(), Short: slo.Rolling(ot.Tier.ShortWindow()).String(),
			Reason: ot.Reason,
		})
	}
	for _, t := range policy.Tiers {
		th := t.Threshold(length)
		bt := budgetTier{
			Severity: t.Severity, Long: slo.Rolling(t.Long).String(), Short: slo.Rolling(t.ShortWindow()).String(),
			BudgetShare: t.Share(length), BurnRate: th, ErrorRate: roundSig(th*r.Budget, 12),
		}
		bt.gone = time.Duration(float64(length) / th).Round(time.Millisecond)
		bt.BudgetGoneIn = bt.gone.Seconds()
		// A full outage's error rate over the long window reaches the
		// threshold after ErrorRate × Long (the short window, being
		// shorter, reaches it first).
		bt.fires = time.Duration(bt.ErrorRate * float64(t.Long)).Round(time.Millisecond)
		bt.FullOutageFiresIn = bt.fires.Seconds()
		r.Tiers = append(r.Tiers, bt)
	}
	return r, nil
}

func (r *budgetReport) table(w io.Writer) error {
	tw := newTable(w)
	window := r.Window
	if r.o.Window.Calendar != slo.NotCalendar {
		window = fmt.Sprintf("%s (%s now)", r.Window, human(r.window))
	}
	row(tw, "target", fmt.Sprintf("%s (%s nines)", targetPercent(r.Target), num(roundSig(r.Nines, 3))))
	row(tw, "window", window)
	row(tw, "budget", fmt.Sprintf("%s of events: %s bad per million", percent(r.Budget), num(r.Budget*1e6)))
	row(tw, "downtime", fmt.Sprintf("%s a day, %s a week, %s a window",
		human(secondsDuration(r.AllowedDowntime.Day)), human(secondsDuration(r.AllowedDowntime.Week)), human(secondsDuration(r.AllowedDowntime.Window))))
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = newTable(w)
	if len(r.Tiers) == 0 {
		fmt.Fprintf(w, "No default burn-rate tier suits %s over a %s window; each is omitted below with the reason.\n", targetPercent(r.Target), slo.Rolling(r.window))
	} else {
		row(tw, "SEVERITY", "LONG", "SHORT", "SPENDS", "BURN THRESHOLD", "ERROR RATE", "FULL OUTAGE FIRES IN", "BUDGET GONE IN")
	}
	for _, t := range r.Tiers {
		row(tw, string(t.Severity), t.Long, t.Short, percent(t.BudgetShare), num(t.BurnRate), percent(t.ErrorRate), human(t.fires), human(t.gone))
	}
	if len(r.OmittedTiers) > 0 {
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintln(w)
		tw = newTable(w)
	}
	for _, t := range r.OmittedTiers {
		row(tw, "omitted", string(t.Severity), t.Long, t.Short, t.Reason)
	}
	return tw.Flush()
}

func secondsDuration(s float64) time.Duration {
	return time.Duration(math.Round(s * float64(time.Second)))
}
