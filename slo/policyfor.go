package slo

// DefaultPolicyFor returns the tiers of DefaultPolicy that suit o, and
// those it leaves out with the reason: a tier whose long window is longer
// than o's window, whose threshold × budget is 1 or more (it would need an
// error rate over 100%), or whose threshold is under 1 (it would fire
// while o is met) — the tiers Policy.Validate refuses. A 30-day objective
// at 99.9% keeps all four; a 28-day one leaves out the 3-day ticket
// (0.933); a 7-day one keeps the two pages; a 30-day one at 93% leaves out
// the 1h page (14.4 × 0.07 ≥ 1); a 2-day or 1-day one keeps none, since
// every default tier there fires below 1: such a window needs a Policy of
// its own, or none.
//
// A Tracker without a Policy of its own uses it, and so do the rules of
// package [github.com/ybiyri/runkit/slo/promrules]: a replica and
// Prometheus page on the same tiers.
func DefaultPolicyFor(o Objective) (p Policy, omitted []OmittedTier) {
	for _, tier := range DefaultPolicy().Tiers {
		if reason := tier.unfit(o); reason != "" {
			omitted = append(omitted, OmittedTier{Tier: tier, Reason: reason})
			continue
		}
		p.Tiers = append(p.Tiers, tier)
	}
	return p, omitted
}
