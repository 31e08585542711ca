package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/ybiyri/runkit/deploy"
	"github.com/ybiyri/runkit/slo"
)

const gateLong = `Gate asks the error-budget deploy gate (deploy.Gate) whether a deployment
may go ahead, from the /slo JSON of the service's objectives, and prints the
decision, the rule that decided and its reasons.

It freezes deploys (exit 2) while an objective's budget is spent (rule
budget-spent) or at or below --min-remaining (budget-low), or a
page-severity burn-rate tier fires (page-firing),
and when it cannot judge the budget: no objective has data, as right after
a restart (--allow-no-data lets the deploy through then). A service that
restarted within its window reports how much of it its tracker observed,
and its budget judged against the events the whole window would hold at
the observed rate, so a few errors since the restart do not freeze deploys;
the reasons say how much was observed. A fix or a
rollback may go through a freeze with --override fix|rollback, --by and
--reason, which the decision records; a feature cannot.

Each --slo-status is a URL of a service's /slo, a file holding its JSON,
or - for standard input (for a /slo behind authentication, fetched with
curl). All are read at once, within --timeout. Any that cannot be read
means no decision: the gate fails closed.
A URL that cannot be fetched, or does not answer with the /slo JSON, is
exit 3; a file or standard input that cannot be read, or does not hold
it, is exit 1.

` + promFlagsHelp

func newGate() *cobra.Command {
	var (
		out          format
		statusArgs   []string
		override     string
		by, reason   string
		minRemaining string
		ignorePages  bool
		allowNoData  bool
		timeout      time.Duration
		prom         promFlags
	)
	c := &cobra.Command{
		Use:   "gate (--slo-status URL... | --prometheus URL --slo NAME...) [--override fix|rollback --by NAME --reason TEXT]",
		Short: "The error-budget deploy gate: exit 2 while deploys are frozen",
		Long:  gateLong,
		Example: `  # Before the deploy job: stop when checkout's budget is spent
  runkit deploy gate --slo-status https://checkout.internal/slo

  # A fix through the freeze, on the record
  runkit deploy gate --slo-status https://checkout.internal/slo \
      --override fix --by alice --reason "INC-7: revert the cart change"

  # The fleet's view, from the rules' series in Prometheus behind a proxy
  runkit deploy gate --prometheus https://prometheus.internal --slo checkout \
      --bearer-token-file /var/run/secrets/prometheus-token

  # A /slo behind authentication
  curl -fsS -H "Authorization: Bearer $TOKEN" https://checkout.internal/slo |
      runkit deploy gate --slo-status -`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			promSources, promClient, err := prom.sources(cmd.Flags())
			if err != nil {
				return err
			}
			if len(statusArgs) == 0 && len(promSources) == 0 {
				return argErrorf("%s needs --slo-status (a URL of a service's /slo, a file, or -) or --prometheus", cmd.CommandPath())
			}
			if timeout <= 0 {
				return usageErrorf("--timeout %v: want a positive duration", timeout)
			}
			g := deploy.Gate{IgnorePages: ignorePages, AllowNoData: allowNoData}
			if minRemaining != "" {
				v, err := parseShare(minRemaining)
				if err != nil {
					return usageErrorf("--min-remaining %q: %v", minRemaining, err)
				}
				g.MinRemaining = v
			}
			var req deploy.Request
			switch override {
			case "":
				if by != "" || reason != "" {
					return usageErrorf("--by and --reason go with --override fix or --override rollback")
				}
			case "fix", "rollback":
				req = deploy.Request{Kind: deploy.Fix, Override: true, By: by, Reason: reason}
				if override == "rollback" {
					req.Kind = deploy.Rollback
				}
				if by == "" || reason == "" {
					return usageErrorf("--override %s needs --by and --reason: who lets it through the freeze, and why", override)
				}
			default:
				return usageErrorf("--override %q: want fix or rollback (a feature cannot override a freeze)", override)
			}
			for _, s := range statusArgs {
				if isURL(s) {
					if err := checkHTTPURL(s); err != nil {
						return usageErrorf("--slo-status %q: %v", deploy.RedactURL(s), err)
					}
				}
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			sources, err := readStatuses(ctx, statusArgs, cmd.InOrStdin(), promClient, promSources)
			if err != nil {
				return err
			}
			var statuses []slo.TrackerStatus
			for _, s := range sources {
				statuses = append(statuses, s.statuses...)
			}
			d := g.Decide(req, statuses...)
			if out == jsonFormat {
				if err := writeJSON(cmd.OutOrStdout(), gateReport(d, sources)); err != nil {
					return err
				}
			} else if err := gateTable(cmd.OutOrStdout(), d, sources); err != nil {
				return err
			}
			if !d.Allow {
				return policyErrorf("deploy refused (%s)", d.Rule)
			}
			return nil
		},
	}
	addOutputFlag(c, &out)
	f := c.Flags()
	f.StringArrayVar(&statusArgs, "slo-status", nil, "URL of a service's /slo, a file holding its JSON, or - for standard input (repeatable)")
	f.StringVar(&override, "override", "", "let a fix or a rollback through a freeze: fix or rollback")
	f.StringVar(&by, "by", "", "who overrides the freeze")
	f.StringVar(&reason, "reason", "", "why the freeze is overridden")
	f.StringVar(&minRemaining, "min-remaining", "", "freeze at or below this share of budget remaining, such as 10% or 0.1 (default 0: once spent)")
	f.BoolVar(&ignorePages, "ignore-pages", false, "do not freeze on a firing page tier")
	f.BoolVar(&allowNoData, "allow-no-data", false, "let the deploy through when no objective has data")
	f.DurationVar(&timeout, "timeout", 10*time.Second, "bound on reading every status")
	prom.add(f)
	c.RegisterFlagCompletionFunc("override", cobra.FixedCompletions(
		[]cobra.Completion{"fix\ta fix for a problem in production", "rollback\treturn to an earlier version"},
		cobra.ShellCompDirectiveNoFileComp))
	return c
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") || strings.Contains(s, "://")
}

// parseShare reads a share of the budget as 0.1 or 10%, in [0, 1).
func parseShare(s string) (float64, error) {
	text := strings.TrimSpace(s)
	pct := strings.HasSuffix(text, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(text, "%"), 64)
	if err != nil {
		return 0, fmt.Errorf("want a share such as 0.1 or 10%%")
	}
	if pct {
		v /= 100
	}
	if !(v >= 0 && v < 1) {
		return 0, fmt.Errorf("want a share from 0 up to but not including 1 (100%%)")
	}
	return v, nil
}

// statusSource is one --slo-status and what it held.
type statusSource struct {
	name     string // the URL redacted, the file name, or "-"
	statuses []slo.TrackerStatus
}

// readStatuses reads every --slo-status at once. Any that fails means no
// decision: a URL is exit 3, the service's failure; a file or standard
// input is exit 1, the caller's.
func readStatuses(ctx context.Context, args []string, stdin io.Reader, promClient *http.Client, prom []deploy.PrometheusSource) ([]statusSource, error) {
	out := make([]statusSource, len(args), len(args)+len(prom))
	errs := make([]error, len(args))
	var wg sync.WaitGroup
	var promStatuses [][]slo.TrackerStatus
	var promErrs []error
	if len(prom) > 0 {
		wg.Go(func() { promStatuses, promErrs = fetchPrometheus(ctx, promClient, prom) })
	}
	for i, a := range args {
		out[i].name = a
		switch {
		case isURL(a):
			out[i].name = deploy.RedactURL(a)
			wg.Go(func() {
				var err error
				if out[i].statuses, err = deploy.FetchSLOStatus(ctx, nil, a); err != nil {
					errs[i] = externalErrorf("%v", err)
				}
			})
		case a == "-":
			out[i].statuses, errs[i] = deploy.ReadSLOStatus(stdin)
			if errs[i] != nil {
				errs[i] = usageErrorf("--slo-status -: standard input: %v", errs[i])
			}
		default:
			f, err := os.Open(a)
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) && looksLikeHost(a) {
					err = fmt.Errorf("no such file, and not an http or https URL: did you mean %q?", deploy.RedactURL("http://"+a))
				}
				errs[i] = usageErrorf("--slo-status %s: %v", a, err)
				continue
			}
			out[i].statuses, err = deploy.ReadSLOStatus(f)
			f.Close()
			if err != nil {
				errs[i] = usageErrorf("--slo-status %s: %v", a, err)
			}
		}
	}
	wg.Wait()
	for i, src := range prom {
		out = append(out, statusSource{name: deploy.RedactURL(src.URL), statuses: promStatuses[i]})
		errs = append(errs, promErrs[i])
	}
	var failed []string
	code := exitOK
	for _, err := range errs {
		if err != nil {
			failed = append(failed, err.Error())
			code = max(code, exitCode(err))
		}
	}
	if len(failed) == 0 {
		return out, nil
	}
	err := fmt.Errorf("cannot judge the budget, deploy refused: %s", strings.Join(failed, "; "))
	return nil, &exitError{code: code, err: err}
}

type gateObjective struct {
	Source    string `json:"source"`
	Objective string `json:"objective"`
	// Route is the route of a per-route objective (slo.Routes).
	Route     string   `json:"route,omitempty"`
	NoData    bool     `json:"noData"`
	Remaining float64  `json:"budgetRemaining"`
	Firing    []string `json:"firing"`
	// ObservedSeconds and ObservedShare are how much of its window the
	// objective's tracker observed, as its /slo said.
	ObservedSeconds float64 `json:"observedSeconds"`
	ObservedShare   float64 `json:"observedShare"`
}

type gateOutput struct {
	deploy.Decision
	Objectives []gateObjective `json:"objectives"`
}

func gateObjectives(sources []statusSource) []gateObjective {
	out := []gateObjective{}
	for _, src := range sources {
		for _, s := range src.statuses {
			o := gateObjective{Source: src.name, Objective: s.Objective, Route: s.Route, NoData: s.NoData, Remaining: s.Remaining, Firing: []string{},
				ObservedSeconds: s.Observed.Seconds(), ObservedShare: s.ObservedShare}
			for _, t := range s.Tiers {
				if t.Firing {
					o.Firing = append(o.Firing, fmt.Sprintf("%s %s/%s", t.Tier.Severity, slo.Rolling(t.Tier.Long), slo.Rolling(t.Tier.ShortWindow())))
				}
			}
			out = append(out, o)
		}
	}
	return out
}

func gateReport(d deploy.Decision, sources []statusSource) gateOutput {
	return gateOutput{Decision: d, Objectives: gateObjectives(sources)}
}

func gateTable(w io.Writer, d deploy.Decision, sources []statusSource) error {
	tw := newTable(w)
	row(tw, "SOURCE", "OBJECTIVE", "REMAINING", "FIRING")
	for _, o := range gateObjectives(sources) {
		remaining := percent(o.Remaining)
		if o.NoData {
			remaining = "no data"
		}
		firing := "-"
		if len(o.Firing) > 0 {
			firing = strings.Join(o.Firing, ", ")
		}
		name := o.Objective
		if o.Route != "" {
			name += " " + o.Route
		}
		row(tw, o.Source, name, remaining, firing)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	verdict := "allowed"
	if !d.Allow {
		verdict = "refused"
	}
	fmt.Fprintf(w, "\ndeploy %s (%s)\n", verdict, d.Rule)
	for _, r := range d.Reasons {
		fmt.Fprintf(w, "  %s\n", r)
	}
	// The reasons are the library's; the way through is this command's.
	if !d.Allow && d.Frozen && d.Rule != deploy.RuleInvalidGate {
		if d.Rule == deploy.RuleNoData {
			fmt.Fprintln(w, "to deploy without judging the budget: --allow-no-data")
		}
		fmt.Fprintln(w, "to let a fix or a rollback through: --override fix|rollback --by NAME --reason TEXT")
	}
	return nil
}
