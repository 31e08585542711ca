package deploy

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/ybiyri/runkit/slo"
)

// Kind is the kind of change a deployment carries.
type Kind uint8

const (
	// Feature is an ordinary change; it is the zero value.
	Feature Kind = iota
	// Fix repairs a problem in production.
	Fix
	// Rollback returns to an earlier version.
	Rollback
)

func (k Kind) String() string {
	switch k {
	case Feature:
		return "feature"
	case Fix:
		return "fix"
	case Rollback:
		return "rollback"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Request asks the gate whether a deployment may go ahead.
type Request struct {
	Kind Kind
	// Override lets a Fix or a Rollback through a freeze. It needs By and
	// Reason, which the decision records; a Feature cannot override.
	Override   bool
	By, Reason string
}

// Gate is an error-budget policy: the SRE workbook's "no feature deploys
// while the error budget is spent", as code. The zero value freezes when
// any objective's budget is spent or any page-severity tier fires, and
// when it cannot judge the budget at all: no status given, or none with
// data.
//
// A tracker that has observed only part of its window, as after a
// restart, reports its budget judged against the events the whole window
// would hold at the observed rate (see package slo, "After a restart"), so
// that a handful of errors right after a deploy does not freeze the next
// one; the decision's reasons say how much of the window each such
// objective observed. A status whose ObservedShare is zero (one not made
// by a tracker) is judged as it stands, with nothing said of it.
type Gate struct {
	// MinRemaining freezes when an objective's remaining budget is at or
	// below it, a share in [0, 1): 0.1 freezes with a tenth of the budget
	// left, by RuleBudgetLow. Zero means 0: freeze once the budget is
	// spent, by RuleBudgetSpent, which a spent budget is under any
	// minimum. A value outside
	// [0, 1), NaN included, fails Validate, and Decide refuses every
	// deploy with RuleInvalidGate.
	MinRemaining float64
	// IgnorePages, when true, does not freeze on a firing page tier.
	IgnorePages bool
	// AllowNoData, when true, lets a deploy through when no status is
	// given or none has data. By default the gate fails closed then: a
	// tracker lives in one process's memory, so right after a restart it
	// reads no data, which says nothing about the budget. Objectives
	// without data beside ones with data are never judged, either way;
	// but a page tier firing on an objective without data over its window
	// (Prometheus's rules just loaded) freezes as any firing page does.
	AllowNoData bool
}

// Rule names the rule of a Gate that decided.
type Rule uint8

const (
	// RuleWithinBudget allows: every objective with data has budget above
	// MinRemaining and no page tier fires.
	RuleWithinBudget Rule = iota + 1
	// RuleBudgetSpent freezes: an objective's budget is spent, none of it
	// remaining. It decides before RuleBudgetLow and RulePageFiring when
	// they hold too.
	RuleBudgetSpent
	// RulePageFiring freezes: a page-severity burn-rate tier fires.
	RulePageFiring
	// RuleNoData freezes: no status was given, or none has data, so the
	// budget cannot be judged.
	RuleNoData
	// RuleNoDataAllowed allows without data, as Gate.AllowNoData asks.
	RuleNoDataAllowed
	// RuleOverride allows a fix or a rollback through a freeze.
	RuleOverride
	// RuleInvalidGate refuses: the Gate itself is not valid (see
	// Gate.Validate), so it cannot judge, and no override lets a deploy
	// through it.
	RuleInvalidGate
	// RuleBudgetLow freezes: an objective has budget left, but at or below
	// MinRemaining. It decides before RulePageFiring when both hold.
	RuleBudgetLow
)

var ruleNames = [...]string{
	RuleWithinBudget:  "within-budget",
	RuleBudgetSpent:   "budget-spent",
	RulePageFiring:    "page-firing",
	RuleNoData:        "no-data",
	RuleNoDataAllowed: "no-data-allowed",
	RuleOverride:      "override",
	RuleInvalidGate:   "invalid-gate",
	RuleBudgetLow:     "budget-low",
}

// String returns the rule's name, as "budget-spent".
func (r Rule) String() string {
	if int(r) < len(ruleNames) && ruleNames[r] != "" {
		return ruleNames[r]
	}
	return fmt.Sprintf("Rule(%d)", uint8(r))
}

// MarshalText encodes the rule by its name.
func (r Rule) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// Decision is the gate's answer.
type Decision struct {
	Allow bool `json:"allow"`
	// Frozen is true when the budget policy freezes deployments, whether
	// or not an override let this one through.
	Frozen bool `json:"frozen"`
	// Rule is the rule that decided: the one that froze, or RuleOverride
	// when an override let the deploy through the freeze.
	Rule Rule `json:"rule"`
	// Reasons explain the decision in sentences.
	Reasons []string `json:"reasons"`
}

func (d Decision) String() string {
	verdict := "deploy allowed"
	if !d.Allow {
		verdict = "deploy refused"
	}
	return verdict + " (" + d.Rule.String() + "): " + strings.Join(d.Reasons, "; ")
}

// Validate reports a field of g that is not acceptable, naming its value.
func (g Gate) Validate() error {
	if !(g.MinRemaining >= 0 && g.MinRemaining < 1) {
		return fmt.Errorf("deploy: Gate.MinRemaining %v is out of range [0, 1): it is a share of the budget, 0.1 for 10%%", g.MinRemaining)
	}
	return nil
}

// statusName names the objective of s in a reason, with its route for the
// per-route objectives of slo.Routes: "api POST /checkout".
func statusName(s slo.TrackerStatus) string {
	if s.Route == "" {
		return s.Objective
	}
	return s.Objective + " " + s.Route
}

// Decide evaluates req against the statuses of the service's objectives.
// A Gate that does not validate refuses, frozen, with RuleInvalidGate and
// Validate's error as its reason.
func (g Gate) Decide(req Request, statuses ...slo.TrackerStatus) Decision {
	var d Decision
	if err := g.Validate(); err != nil {
		return Decision{Frozen: true, Rule: RuleInvalidGate, Reasons: []string{err.Error()}}
	}
	judged := 0
	var noData []string
	pages := func(s slo.TrackerStatus) (firing bool) {
		if g.IgnorePages {
			return false
		}
		for _, t := range s.Tiers {
			if t.Firing && t.Tier.Severity == slo.Page {
				firing = true
				d.Frozen = true
				if d.Rule != RuleBudgetSpent && d.Rule != RuleBudgetLow {
					d.Rule = RulePageFiring
				}
				d.Reasons = append(d.Reasons, fmt.Sprintf("%s: page tier firing: %s", statusName(s), t.Reason))
			}
		}
		return firing
	}
	for _, s := range statuses {
		if s.NoData {
			// With no data over the window, a page can still fire on
			// the short windows that have some: it freezes, with data
			// or without.
			if pages(s) {
				judged++
			}
			noData = append(noData, statusName(s))
			continue
		}
		judged++
		switch {
		case s.Remaining <= 0:
			d.Frozen = true
			d.Rule = RuleBudgetSpent
			d.Reasons = append(d.Reasons, fmt.Sprintf("%s: error budget spent: remaining %.1f%%", statusName(s), 100*s.Remaining))
		case s.Remaining <= g.MinRemaining:
			d.Frozen = true
			if d.Rule != RuleBudgetSpent {
				d.Rule = RuleBudgetLow
			}
			d.Reasons = append(d.Reasons, fmt.Sprintf("%s: error budget remaining %.1f%% is at or below the minimum of %.1f%%", statusName(s), 100*s.Remaining, 100*g.MinRemaining))
		}
		pages(s)
	}
	if judged == 0 {
		why, detail := "no SLO status given", ""
		if len(statuses) > 0 {
			why, detail = "no SLO data", " (no events for "+strings.Join(noData, ", ")+")"
		}
		if g.AllowNoData {
			d.Allow, d.Rule = true, RuleNoDataAllowed
			d.Reasons = append(d.Reasons, why+": allowed without judging the budget, as the gate allows with no data"+detail)
			return d
		}
		d.Frozen, d.Rule = true, RuleNoData
		d.Reasons = append(d.Reasons, why+": cannot judge the budget"+detail)
	} else {
		for _, o := range noData {
			d.Reasons = append(d.Reasons, o+": no data, not judged")
		}
		for _, s := range statuses {
			if !s.NoData && s.ObservedShare > 0 && s.ObservedShare < 1 {
				d.Reasons = append(d.Reasons, fmt.Sprintf("%s: %s of the %s window observed (%s), since the service started: its budget is judged against the events the whole window would hold at the observed rate",
					statusName(s), slo.FormatDuration(s.Observed), slo.FormatDuration(s.Window), sharePercent(s.ObservedShare)))
			}
		}
	}
	switch {
	case !d.Frozen:
		d.Allow, d.Rule = true, RuleWithinBudget
		d.Reasons = append(d.Reasons, fmt.Sprintf("%d objective(s) within budget and no page firing", judged))
	case req.Override && req.Kind != Feature && req.By != "" && req.Reason != "":
		d.Allow, d.Rule = true, RuleOverride
		d.Reasons = append(d.Reasons, fmt.Sprintf("%s allowed through the freeze by %s: %s", req.Kind, req.By, req.Reason))
	case req.Override && req.Kind == Feature:
		d.Reasons = append(d.Reasons, "a feature cannot override a freeze; only fixes and rollbacks can")
	case req.Override:
		d.Reasons = append(d.Reasons, "an override needs who lets it through and why")
	default:
		d.Reasons = append(d.Reasons, fmt.Sprintf("%s frozen; a fix or a rollback may override the freeze, on the record of who and why", req.Kind))
	}
	return d
}

// sharePercent formats a share of less than the whole as a percentage:
// to two significant digits under 1% (0.15%), else rounded down to a tenth
// (99.9%, never 100%).
func sharePercent(f float64) string {
	p := f * 100
	if p < 1 {
		// Two significant digits, in plain notation.
		scale := math.Pow(10, 1-math.Floor(math.Log10(p)))
		return strconv.FormatFloat(math.Round(p*scale)/scale, 'f', -1, 64) + "%"
	}
	return strconv.FormatFloat(math.Floor(p*10)/10, 'f', -1, 64) + "%"
}
