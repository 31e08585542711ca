package openslo

import (
	"fmt"
	"strings"
	"time"

	"github.com/ybiyri/runkit/slo"
)

// APIVersion is the only apiVersion this package reads and writes.
const APIVersion = "openslo/v1"

// Metadata is the metadata of an OpenSLO object.
type Metadata struct {
	// Name is metadata.name, required.
	Name        string
	DisplayName string
	// Labels holds metadata.labels; a label written as one string is a
	// list of one.
	Labels      map[string][]string
	Annotations map[string]string
}

// SLO is one OpenSLO SLO document, its references resolved: the
// indicator of an indicatorRef and the alert policies and conditions
// named by reference are filled in.
type SLO struct {
	Metadata
	Description string
	Service     string
	// Indicator is the SLI, written inline or referenced.
	Indicator Indicator
	// Objectives holds one entry per objective of the document. Each is a
	// complete slo.Objective, with the document's window and budgeting
	// method, ready for slo.NewTracker or package promrules.
	Objectives []Objective
	// AlertPolicies holds the document's alert policies, each one a
	// burn-rate tier; see Policy.
	AlertPolicies []AlertPolicy
	// Position is where the document starts.
	Position Position
}

// Objective is one objective of an SLO.
type Objective struct {
	slo.Objective
	// DisplayName is the objective's displayName.
	DisplayName string
	// Op and Value are, for a thresholdMetric indicator, how a value of
	// the metric is judged good: "lte" 0.3 means good when at most 0.3.
	// Op is "" for a ratioMetric.
	Op    string
	Value float64
}

// Indicator is an SLI: a ratioMetric or a thresholdMetric.
type Indicator struct {
	Metadata
	Description string
	// Exactly one of Ratio and Threshold is set.
	Ratio     *RatioMetric
	Threshold *MetricSource
}

// RatioMetric is an SLI read as a ratio: good or bad over total, or a
// precomputed ratio (Raw).
type RatioMetric struct {
	// Counter is ratioMetric.counter: true for monotonic counters, false
	// for gauges, nil when the document does not say.
	Counter *bool
	// One of Good and Bad is set with Total; or Raw alone, with RawType.
	Good, Bad, Total *MetricSource
	Raw              *MetricSource
	// RawType is "success" (Raw is good / total) or "failure" (bad /
	// total).
	RawType string
}

// MetricSource is where a metric is read.
type MetricSource struct {
	// Ref is metricSourceRef, the name of a DataSource.
	Ref string
	// Type is the kind of source, such as "Prometheus". When the document
	// leaves it out and Ref names a DataSource given to the parser, it is
	// that DataSource's type.
	Type string
	// Spec is the source's own fields. Numbers read as float64, so that
	// a spec reads back the same after it is written.
	Spec map[string]any
}

// Query returns the spec's "query" field, the PromQL of a Prometheus
// source, or "" when there is none.
func (m *MetricSource) Query() string {
	if m == nil {
		return ""
	}
	q, _ := m.Spec["query"].(string)
	return q
}

// AlertPolicy is an OpenSLO AlertPolicy with its one condition.
type AlertPolicy struct {
	Metadata
	Description         string
	AlertWhenNoData     bool
	AlertWhenResolved   bool
	AlertWhenBreaching  bool
	Condition           AlertCondition
	NotificationTargets []NotificationTarget
}

// AlertCondition is a burn-rate alert condition: it fires when the burn
// rate over Lookback exceeds Threshold, and still does over AlertAfter.
type AlertCondition struct {
	Metadata
	Description string
	Severity    string
	Threshold   float64
	Lookback    time.Duration
	// AlertAfter is alertAfter; zero when the document leaves it out.
	AlertAfter time.Duration
}

// NotificationTarget is an AlertNotificationTarget.
type NotificationTarget struct {
	Metadata
	Target      string
	Description string
}

// Position is a place in a file. Line and Column count from 1; Column is
// 0 when only the line is known.
type Position struct {
	File         string
	Line, Column int
}

// Policy returns the SLO's alert policies as a burn-rate policy, one tier
// per policy in order: the condition's severity is the tier's, its
// lookbackWindow the long window, its alertAfter the short window that
// confirms the burn goes on (zero leaves slo.Tier's default, lookbackWindow
// / 12), and its threshold becomes BudgetShare = threshold ×
// lookbackWindow / window, so that Tier.Threshold gives the threshold
// back. It returns nil when the SLO has no alert policies; callers then
// use slo.DefaultPolicyFor.
func (s SLO) Policy() *slo.Policy {
	if len(s.AlertPolicies) == 0 || len(s.Objectives) == 0 {
		return nil
	}
	window := s.Objectives[0].Window.Length(time.Time{})
	p := &slo.Policy{Tiers: make([]slo.Tier, len(s.AlertPolicies))}
	for i, ap := range s.AlertPolicies {
		c := ap.Condition
		p.Tiers[i] = slo.Tier{
			Severity:    slo.Severity(c.Severity),
			Long:        c.Lookback,
			Short:       c.AlertAfter,
			BudgetShare: c.Threshold * float64(c.Lookback) / float64(window),
		}
	}
	return p
}

// PromQL returns the Prometheus queries of a ratioMetric indicator, for
// the Ratio source of package promrules: bad or good (one of them empty),
// and total. It is an error, naming the indicator, when the indicator is
// a thresholdMetric or a raw ratio (a ratio of ratios cannot be weighted
// by traffic), reads gauges (counter: false), or reads a metric source
// whose type is not Prometheus (in any case) or that has no query. The
// queries are returned without the white space around them.
func (ind Indicator) PromQL() (bad, good, total string, err error) {
	r := ind.Ratio
	switch {
	case r == nil:
		return "", "", "", fmt.Errorf("openslo: indicator %q is a thresholdMetric; Prometheus rules need good or bad events over total events", ind.Name)
	case r.Raw != nil:
		return "", "", "", fmt.Errorf("openslo: indicator %q is a raw ratio, which cannot be weighted by traffic; give good or bad events over total events", ind.Name)
	case r.Counter != nil && !*r.Counter:
		return "", "", "", fmt.Errorf("openslo: indicator %q reads gauges (counter: false); Prometheus rules need counters", ind.Name)
	}
	for _, m := range []*MetricSource{r.Bad, r.Good, r.Total} {
		if m == nil {
			continue
		}
		if !strings.EqualFold(m.Type, "Prometheus") {
			if m.Type == "" && m.Ref != "" {
				return "", "", "", fmt.Errorf("openslo: indicator %q reads metricSourceRef %q, which names no DataSource given to the parser", ind.Name, m.Ref)
			}
			return "", "", "", fmt.Errorf("openslo: indicator %q reads a metric source of type %q, not Prometheus", ind.Name, m.Type)
		}
		if strings.TrimSpace(m.Query()) == "" {
			return "", "", "", fmt.Errorf("openslo: indicator %q has a Prometheus metric source without a query", ind.Name)
		}
	}
	q := func(m *MetricSource) string { return strings.TrimSpace(m.Query()) }
	return q(r.Bad), q(r.Good), q(r.Total), nil
}
