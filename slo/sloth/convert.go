package sloth

import (
	"fmt"
	"strings"
	"time"

	"github.com/ybiyri/runkit/slo"
)

// DefaultWindow is sloth's default SLO period, 30 days: its spec has no
// field for the period (sloth generate's --default-slo-period sets it for
// a whole run), so an SLO read here is over 30 days.
const DefaultWindow = 30 * 24 * time.Hour

// WindowVar is the window variable of the queries SLI returns, whatever
// spaces the file put inside the braces: the template package promrules
// fills in.
const WindowVar = "{{.window}}"

// ID is the SLO's id as sloth makes it, service-name: the sloth_id label
// of sloth's rules, and the name of the objective AsObjective returns.
func (s SLO) ID() string { return s.Service + "-" + s.Name }

// AsObjective returns the SLO as an slo.Objective: named ID, the objective
// a fraction read from the percentage's text without rounding error
// (99.9 is 0.999, not 0.9990000000000001), over a rolling DefaultWindow,
// counting occurrences. An objective of 100, which sloth allows, is an
// error: it leaves no error budget to burn.
func (s SLO) AsObjective() (slo.Objective, error) {
	if s.Objective >= 100 {
		return slo.Objective{}, fmt.Errorf("sloth: SLO %s: objective %v leaves no error budget: burn-rate alerts need an objective under 100", s.ID(), s.Objective)
	}
	text := s.objectiveText
	if text == "" {
		text = fmt.Sprint(s.Objective)
	}
	target, err := slo.ParseTarget(text + "%")
	if err != nil {
		return slo.Objective{}, fmt.Errorf("sloth: SLO %s: objective %s: %w", s.ID(), text, err)
	}
	o := slo.Objective{Name: s.ID(), Target: target, Window: slo.Rolling(DefaultWindow)}
	if err := o.Validate(); err != nil {
		return slo.Objective{}, fmt.Errorf("sloth: SLO %s: %w", s.ID(), err)
	}
	return o, nil
}

// Tiers are sloth's multi-window, multi-burn-rate alert windows for a
// 30-day period (its google-30d windows, from the SRE workbook): the page
// alert's quick and slow tiers and the ticket alert's. Over 30 days their
// thresholds are 14.4, 6, 3 and 1, and they are slo.DefaultPolicy's
// tiers.
func Tiers() []slo.Tier {
	return []slo.Tier{
		{Severity: slo.Page, Long: time.Hour, Short: 5 * time.Minute, BudgetShare: 0.02},
		{Severity: slo.Page, Long: 6 * time.Hour, Short: 30 * time.Minute, BudgetShare: 0.05},
		{Severity: slo.Ticket, Long: 24 * time.Hour, Short: 2 * time.Hour, BudgetShare: 0.10},
		{Severity: slo.Ticket, Long: 72 * time.Hour, Short: 6 * time.Hour, BudgetShare: 0.10},
	}
}

// Policy returns the tiers of the SLO's alerts, for objective o (the one
// AsObjective returns): the page alert's two tiers unless it is disabled,
// then the ticket alert's two unless it is. A tier that can never fire
// for o (its threshold times o's budget is 1 or more, as for a page over
// 1 hour at an objective of 93%) is left out and returned in omitted with
// the reason: sloth writes it, and it never fires there either. When no
// tier is left, because both alerts are disabled or none can fire, it is
// an error: burn-rate rules need a tier.
func (s SLO) Policy(o slo.Objective) (p slo.Policy, omitted []slo.OmittedTier, err error) {
	for _, t := range Tiers() {
		if t.Severity == slo.Page && s.Alerting.Page.Disable || t.Severity == slo.Ticket && s.Alerting.Ticket.Disable {
			continue
		}
		if err := (slo.Policy{Tiers: []slo.Tier{t}}).Validate(o); err != nil {
			_, reason, _ := strings.Cut(err.Error(), "): ")
			omitted = append(omitted, slo.OmittedTier{Tier: t, Reason: reason})
			continue
		}
		p.Tiers = append(p.Tiers, t)
	}
	if len(p.Tiers) == 0 {
		if s.Alerting.Page.Disable && s.Alerting.Ticket.Disable {
			return p, omitted, fmt.Errorf("sloth: SLO %s: page_alert and ticket_alert are both disabled: runkit's rules always alert on a burn; enable one of them", s.ID())
		}
		return p, omitted, fmt.Errorf("sloth: SLO %s: no tier of its alerts can fire at an objective of %v", s.ID(), s.Objective)
	}
	return p, omitted, nil
}

// PageLabels and TicketLabels are the labels of the page and ticket
// alerts, the alert's own over the alerting block's, as sloth merges
// them; nil when the alert is disabled. PageAnnotations and
// TicketAnnotations are their annotations, merged the same way.
func (s SLO) PageLabels() map[string]string {
	return merged(s.Alerting.Page, s.Alerting.Labels, s.Alerting.Page.Labels)
}

// TicketLabels: see PageLabels.
func (s SLO) TicketLabels() map[string]string {
	return merged(s.Alerting.Ticket, s.Alerting.Labels, s.Alerting.Ticket.Labels)
}

// PageAnnotations: see PageLabels.
func (s SLO) PageAnnotations() map[string]string {
	return merged(s.Alerting.Page, s.Alerting.Annotations, s.Alerting.Page.Annotations)
}

// TicketAnnotations: see PageLabels.
func (s SLO) TicketAnnotations() map[string]string {
	return merged(s.Alerting.Ticket, s.Alerting.Annotations, s.Alerting.Ticket.Annotations)
}

func merged(a Alert, base, own map[string]string) map[string]string {
	if a.Disable {
		return nil
	}
	out := make(map[string]string, len(base)+len(own))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range own {
		out[k] = v
	}
	return out
}
