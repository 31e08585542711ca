package deploy

import (
	"fmt"
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
// any objective's budget is spent or any page-severity tier fires.
type Gate struct {
	// MinRemaining freezes when an objective's remaining budget is at or
	// below it. Zero means 0: freeze once the budget is spent.
	MinRemaining float64
	// IgnorePages, when true, does not freeze on a firing page tier.
	IgnorePages bool
}

// Decision is the gate's answer.
type Decision struct {
	Allow bool
	// Frozen is true when the budget policy freezes deployments, whether
	// or not an override let this one through.
	Frozen bool
	// Reasons explain the decision in sentences.
	Reasons []string
}

func (d Decision) String() string {
	verdict := "deploy allowed"
	if !d.Allow {
		verdict = "deploy refused"
	}
	return verdict + ": " + strings.Join(d.Reasons, "; ")
}

// Decide evaluates req against the statuses of the service's objectives.
func (g Gate) Decide(req Request, statuses ...slo.TrackerStatus) Decision {
	var d Decision
	for _, s := range statuses {
		if !s.NoData && s.Remaining <= g.MinRemaining {
			d.Frozen = true
			d.Reasons = append(d.Reasons, fmt.Sprintf("%s: error budget remaining %.1f%% is at or below %.1f%%", s.Objective, 100*s.Remaining, 100*g.MinRemaining))
		}
		if g.IgnorePages {
			continue
		}
		for _, t := range s.Tiers {
			if t.Firing && t.Tier.Severity == slo.Page {
				d.Frozen = true
				d.Reasons = append(d.Reasons, fmt.Sprintf("%s: page tier firing: %s", s.Objective, t.Reason))
			}
		}
	}
	switch {
	case !d.Frozen:
		d.Allow = true
		d.Reasons = append(d.Reasons, fmt.Sprintf("%d objective(s) within budget and no page firing", len(statuses)))
	case req.Override && req.Kind != Feature && req.By != "" && req.Reason != "":
		d.Allow = true
		d.Reasons = append(d.Reasons, fmt.Sprintf("%s allowed through the freeze by %s: %s", req.Kind, req.By, req.Reason))
	case req.Override && req.Kind == Feature:
		d.Reasons = append(d.Reasons, "a feature cannot override a freeze; only fixes and rollbacks can")
	case req.Override:
		d.Reasons = append(d.Reasons, "an override needs By and Reason")
	default:
		d.Reasons = append(d.Reasons, fmt.Sprintf("%s frozen; a fix or rollback may override with By and Reason", req.Kind))
	}
	return d
}
