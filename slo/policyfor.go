package slo

// DefaultPolicyFor returns the tiers of DefaultPolicy that can fire for o,
// and those it leaves out with the reason: a tier whose long window is
// longer than o's window, or whose threshold × budget is 1 or more (it
// would need an error rate over 100%). A 1-day objective keeps the 1h, 6h
// and 1d tiers; a 30-day one at 93% leaves out the 1h page (14.4 × 0.07 ≥
// 1).
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
