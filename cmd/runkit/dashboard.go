package main

//lint:file-ignore SA1019 The SDK deprecates its dashboard package, the classic JSON model, for dashboardv2, the schema of Grafana 12's dynamic dashboards; provisioning and import read the classic model.

import (
	"cmp"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
	"github.com/spf13/cobra"

	"github.com/ybiyri/runkit/slo"
	"github.com/ybiyri/runkit/slo/promrules"
)

const dashboardLong = `Dashboard writes a Grafana dashboard (JSON, schemaVersion 42) for the
SLOs of OpenSLO v1 files (or sloth specs), read and checked as slo rules reads them: its
panels query the series the rules of slo rules record for the same files
and the alerts they raise, so load both.

Two variables: datasource, the Prometheus to query, and slo, the SLOs to
show (label values of slo on runkit:slo_info, those of the files; all of
them at first). Each SLO has a row, titled with its objective; its
panels show data while the SLO is chosen, and "No data" otherwise:
  Budget remaining   runkit:slo_budget_remaining:ratio, now and over time
  Error budget       the share of events that may fail, 1 - target
                     (runkit:slo_error_budget:ratio)
  SLI                1 - runkit:slo_errors:ratio_rateW over the objective's
                     window W, and over the shortest window the rules
                     record (5m with the default tiers); the target a line
  Burn rate          one panel per burn-rate tier: the error ratio over its
                     long and short windows over the budget, and the tier's
                     threshold a line: the alert fires when both cross it
  Alerts             ALERTS{alertstate="firing"} of the SLO, how many now
                     and over time: each tier's SLOErrorBudgetBurn and
                     SLONoData
The tiers and thresholds are those of the rules: the file's alert
policies, or the default tiers that suit the objective. With --keep, each
kept label's value is a series of its own, named in the legend.

-o writes as slo rules -o does; - or no -o is standard output.`

func newDashboard() *cobra.Command {
	var (
		outFile string
		keep    []string
		title   string
		uid     string
	)
	c := &cobra.Command{
		Use:   "dashboard FILE... [-o dashboard.json]",
		Short: "A Grafana dashboard of the series slo rules records, from OpenSLO files or sloth specs",
		Long:  dashboardLong,
		Example: `  # The dashboard beside the rules, for Grafana's provisioning
  runkit slo dashboard slos/*.yaml -o grafana/dashboards/slos.json

  # Per region, as the rules keep it
  runkit slo dashboard slos.yaml --keep region --title "Checkout SLOs" --uid checkout-slos`,
		Args: fileArgs,
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return []cobra.Completion{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if title == "" {
				return usageErrorf("--title is empty: a dashboard needs a title")
			}
			if !grafanaUID.MatchString(uid) {
				return usageErrorf("--uid %q: want 1 to 40 ASCII letters, digits, '-' and '_'", uid)
			}
			if err := checkKeep(keep); err != nil {
				return err
			}
			toFile, err := outputFile(outFile, args)
			if err != nil {
				return err
			}
			in, err := readSLOInput(args, cmd.ErrOrStderr(), "no dashboard to write")
			if err != nil {
				return err
			}
			rules, problems := ruleSLOs(in, keep, promrules.Config{})
			problems = append(in.refused, problems...)
			if len(problems) > 0 {
				for _, p := range problems {
					fmt.Fprintln(cmd.ErrOrStderr(), p)
				}
				return usageErrorf("%s: no dashboard written", plural(len(problems), "problem"))
			}
			d, err := sloDashboard(title, uid, rules)
			if err != nil {
				return err
			}
			write := func(w io.Writer) error { return writeJSON(w, d) }
			if !toFile {
				return write(cmd.OutOrStdout())
			}
			if err := writeOutputFunc(outFile, write); err != nil {
				return usageErrorf("-o %s: %v", outFile, err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s for %s\n", outFile, plural(len(rules), "objective"))
			return nil
		},
	}
	f := c.Flags()
	f.StringVarP(&outFile, "out", "o", "", "write the dashboard to this file rather than standard output")
	f.StringSliceVar(&keep, "keep", nil, "labels the rules keep when summing across replicas, such as region, as given to slo rules")
	f.StringVar(&title, "title", "Service level objectives", "the dashboard's title")
	f.StringVar(&uid, "uid", "runkit-slos", "the dashboard's uid, which Grafana keeps it under")
	c.MarkFlagFilename("out", "json")
	return c
}

// grafanaUID is what Grafana accepts as a dashboard's uid.
var grafanaUID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)

// The dashboard's variables, as its queries name them.
const (
	datasourceVar = "datasource"
	sloVar        = "slo"
)

// The panels' sizes on Grafana's grid of 24 columns.
const (
	statHeight  = 4
	graphHeight = 8
)

// sloDashboard builds the dashboard of slos, the SLOs as slo rules writes
// them.
func sloDashboard(title, uid string, slos []promrules.SLO) (dashboard.Dashboard, error) {
	slos = slices.Clone(slos)
	slices.SortFunc(slos, func(a, b promrules.SLO) int { return strings.Compare(a.Objective.Name, b.Objective.Name) })
	ds := common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${" + datasourceVar + "}")}
	names := make([]string, len(slos))
	for i, s := range slos {
		names[i] = regexp.QuoteMeta(s.Objective.Name)
	}
	all := "$__all"
	b := dashboard.NewDashboardBuilder(title).
		Uid(uid).
		Tags([]string{"slo", "runkit"}).
		Description("Error budgets, SLIs, burn rates and alerts of the SLOs, from the rules of runkit slo rules. Written by runkit slo dashboard: regenerate rather than edit.").
		Time("now-7d", "now").
		Refresh("1m").
		Timezone(common.TimeZoneBrowser).
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		WithVariable(dashboard.NewDatasourceVariableBuilder(datasourceVar).
			Label("Data source").
			Type("prometheus")).
		WithVariable(dashboard.NewQueryVariableBuilder(sloVar).
			Label("SLO").
			Datasource(ds).
			Query(dashboard.StringOrMap{String: cog.ToPtr(fmt.Sprintf("label_values(%s{slo=~%s}, slo)", promrules.Info, strconv.Quote(strings.Join(names, "|"))))}).
			Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
			Sort(dashboard.VariableSortAlphabeticalAsc).
			Multi(true).
			IncludeAll(true).
			Current(dashboard.VariableOption{
				Selected: cog.ToPtr(true),
				Text:     dashboard.StringOrArrayOfString{ArrayOfString: []string{"All"}},
				Value:    dashboard.StringOrArrayOfString{ArrayOfString: []string{all}},
			}))
	id := uint32(0)
	next := func() uint32 { id++; return id }
	for _, s := range slos {
		p := newSLOPanels(s, ds)
		b.WithRow(dashboard.NewRowBuilder(p.rowTitle()).Id(next()))
		for _, panel := range p.panels() {
			b.WithPanel(panel.id(next()))
		}
	}
	return b.Build()
}

// sloPanels makes the panels of one SLO.
type sloPanels struct {
	s      promrules.SLO
	ds     common.DataSourceRef
	policy slo.Policy
	budget string
	legend string
}

func newSLOPanels(s promrules.SLO, ds common.DataSourceRef) *sloPanels {
	p := &sloPanels{s: s, ds: ds, budget: strconv.FormatFloat(s.Objective.Budget(), 'g', -1, 64)}
	if s.Policy != nil {
		p.policy = *s.Policy
	} else {
		p.policy, _ = slo.DefaultPolicyFor(s.Objective)
	}
	for _, k := range s.Keep {
		p.legend += " " + k + "={{" + k + "}}"
	}
	return p
}

func (p *sloPanels) rowTitle() string {
	o := p.s.Objective
	return fmt.Sprintf("%s: %s over %s", o.Name, targetPercent(o.Target), promrules.Duration(o.Window.Rolling))
}

// selector selects the SLO's series of name, of its service (which
// labels every series the rules record), while the slo variable chooses
// the SLO.
func (p *sloPanels) selector(name string, extra ...string) string {
	ms := []string{"slo=" + strconv.Quote(p.s.Objective.Name), `slo=~"$` + sloVar + `"`}
	if service := cmp.Or(p.s.Labels["service"], p.s.Service); service != "" {
		ms = append(ms, "service="+strconv.Quote(service))
	}
	ms = append(ms, extra...)
	return name + "{" + strings.Join(ms, ",") + "}"
}

// query is a query of series per kept label value, named so in the
// legend.
func (p *sloPanels) query(ref, expr, legend string) *prometheus.DataqueryBuilder {
	return p.wholeQuery(ref, expr, legend+p.legend)
}

// wholeQuery is a query of one series for the whole SLO, whatever labels
// the rules keep.
func (p *sloPanels) wholeQuery(ref, expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().
		RefId(ref).
		Datasource(p.ds).
		Expr(expr).
		LegendFormat(strings.TrimSpace(legend))
}

// ratio is the error ratio the rules record over w.
func (p *sloPanels) ratio(w time.Duration) string {
	return p.selector(promrules.ErrorRatio + promrules.Duration(w))
}

// shortest is the shortest window the rules record for the SLO.
func (p *sloPanels) shortest() time.Duration {
	w := p.s.Objective.Window.Rolling
	for _, t := range p.policy.Tiers {
		w = min(w, t.ShortWindow())
	}
	return w
}

// panel is a panel builder whose id is set last.
type panel interface {
	id(uint32) cog.Builder[dashboard.Panel]
}

type statPanel struct{ *stat.PanelBuilder }

// newStat is a stat panel of the last value.
func newStat() *stat.PanelBuilder {
	return stat.NewPanelBuilder().
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
		Orientation(common.VizOrientationAuto)
}

func (s statPanel) id(n uint32) cog.Builder[dashboard.Panel] { return s.Id(n) }

type seriesPanel struct{ *timeseries.PanelBuilder }

// newSeries is a graph over time with its legend shown, and every
// series in its tooltip.
func newSeries() *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Legend(common.NewVizLegendOptionsBuilder().
			ShowLegend(true).
			DisplayMode(common.LegendDisplayModeList).
			Placement(common.LegendPlacementBottom)).
		Tooltip(common.NewVizTooltipOptionsBuilder().
			Mode(common.TooltipDisplayModeMulti).
			Sort(common.SortOrderNone))
}

func (s seriesPanel) id(n uint32) cog.Builder[dashboard.Panel] { return s.Id(n) }

// step is a threshold: from its value up, a color.
type step struct {
	from  float64
	color string
}

// thresholds are base's color, then each step's.
func thresholds(base string, steps ...step) *dashboard.ThresholdsConfigBuilder {
	st := []dashboard.Threshold{{Color: base}}
	for _, s := range steps {
		st = append(st, dashboard.Threshold{Value: cog.ToPtr(s.from), Color: s.color})
	}
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(st)
}

func (p *sloPanels) panels() []panel {
	o := p.s.Objective
	window := o.Window.Rolling
	remaining := p.selector(promrules.BudgetRemaining)
	sliWindow := "1 - " + p.ratio(window)
	shortest := p.shortest()
	firing := p.selector("ALERTS", `alertstate="firing"`)
	budgetColors := thresholds("red", step{0, "orange"}, step{0.25, "green"})

	out := []panel{
		statPanel{newStat().
			Title("Budget remaining").
			Description(fmt.Sprintf("The share of the error budget of %s left over the last %s (%s): below zero once it is spent.", o.Name, promrules.Duration(window), promrules.BudgetRemaining)).
			Datasource(p.ds).Span(6).Height(statHeight).
			Unit("percentunit").Decimals(1).
			Thresholds(budgetColors).
			ColorMode(common.BigValueColorModeBackground).
			WithTarget(p.query("A", remaining, "").Instant())},
		statPanel{newStat().
			Title("SLI over " + promrules.Duration(window)).
			Description(fmt.Sprintf("Good events over all events in the last %s; the objective is %s.", promrules.Duration(window), targetPercent(o.Target))).
			Datasource(p.ds).Span(6).Height(statHeight).
			Unit("percentunit").Decimals(3).
			Thresholds(thresholds("red", step{o.Target, "green"})).
			WithTarget(p.query("A", sliWindow, "").Instant())},
		statPanel{newStat().
			Title("Error budget").
			Description(fmt.Sprintf("The share of events that may fail over %s: 1 - %s.", promrules.Duration(window), strconv.FormatFloat(o.Target, 'g', -1, 64))).
			Datasource(p.ds).Span(6).Height(statHeight).
			Unit("percentunit").Decimals(3).
			Thresholds(thresholds("blue")).
			// runkit:slo_info holds the target as a label: the budget is
			// known here, and shown while the SLO's rules run.
			WithTarget(p.wholeQuery("A", p.selector(promrules.ErrorBudget), "").Instant())},
		statPanel{newStat().
			Title("Alerts firing now").
			Description("How many of the SLO's alerts fire now: SLOErrorBudgetBurn of each tier and SLONoData.").
			Datasource(p.ds).Span(6).Height(statHeight).
			Thresholds(thresholds("green", step{1, "red"})).
			ColorMode(common.BigValueColorModeBackground).
			WithTarget(p.wholeQuery("A", "count("+firing+") or on () 0 * "+p.selector(promrules.Info), "").Instant())},
		seriesPanel{newSeries().
			Title("Error budget remaining").
			Description(fmt.Sprintf("%s over time: the share of the budget left over the %s before each point.", promrules.BudgetRemaining, promrules.Duration(window))).
			Datasource(p.ds).Span(12).Height(graphHeight).
			Unit("percentunit").
			Thresholds(budgetColors).
			ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeDashed)).
			WithTarget(p.query("A", remaining, "remaining"))},
		seriesPanel{newSeries().
			Title("SLI").
			Description(fmt.Sprintf("Good events over all events, over the objective's %s and over %s, the shortest window the rules record; the dashed line is the target, %s.", promrules.Duration(window), promrules.Duration(shortest), targetPercent(o.Target))).
			Datasource(p.ds).Span(12).Height(graphHeight).
			Unit("percentunit").Decimals(3).Max(1).
			Thresholds(thresholds("red", step{o.Target, "green"})).
			ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeDashed)).
			WithTarget(p.query("A", sliWindow, "over "+promrules.Duration(window))).
			WithTarget(p.query("B", "1 - "+p.ratio(shortest), "over "+promrules.Duration(shortest)))},
	}
	span := uint32(24 / max(1, min(len(p.policy.Tiers), 4)))
	for _, t := range p.policy.Tiers {
		long, short := promrules.Duration(t.Long), promrules.Duration(t.ShortWindow())
		threshold := t.Threshold(window)
		th := strconv.FormatFloat(threshold, 'g', -1, 64)
		out = append(out, seriesPanel{newSeries().
			Title(fmt.Sprintf("Burn rate, %s %s/%s", t.Severity, long, short)).
			Description(fmt.Sprintf("The error ratio over %s and over %s, over the budget (%s): how many times faster than the %s allow the budget burns. SLOErrorBudgetBurn{severity of %s, long_window=%q} fires when both are above %s, the dashed line.", long, short, p.budget, promrules.Duration(window), t.Severity, long, th)).
			Datasource(p.ds).Span(span).Height(graphHeight).
			Min(0).
			Thresholds(thresholds("green", step{threshold, "red"})).
			ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeDashed)).
			WithTarget(p.query("A", p.ratio(t.Long)+" / "+p.budget, "over "+long)).
			WithTarget(p.query("B", p.ratio(t.ShortWindow())+" / "+p.budget, "over "+short))})
	}
	out = append(out, seriesPanel{newSeries().
		Title("Alerts firing over time").
		Description("The SLO's alerts while they fire: SLOErrorBudgetBurn of each tier (severity, long and short window) and SLONoData.").
		Datasource(p.ds).Span(24).Height(graphHeight / 2).
		Min(0).Max(1).
		DrawStyle(common.GraphDrawStyleBars).
		FillOpacity(80).
		WithTarget(p.query("A", firing, "{{alertname}} {{severity}} {{long_window}}/{{short_window}}"))})
	return out
}
