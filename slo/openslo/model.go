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
	// FieldPositions holds where each field of the document was read, by
	// its path as Error.Field writes it ("metadata.labels.team",
	// "spec.objectives[0].target"); the fields of an SLI named by
	// indicatorRef are under "spec.indicator." too, at their place in the
	// SLI's file. Empty for an SLO made in Go. See FieldPosition.
	FieldPositions Positions
}

// FieldPosition returns where the field at path was read, or, when that
// field is not in the file (a default, or a field read from elsewhere),
// where its nearest enclosing field is, and at last where the document
// starts. It is how a problem found after reading, such as one in the
// rules made from the SLO, points at the line to change.
func (s SLO) FieldPosition(path string) Position {
	for path != "" {
		if p, ok := s.FieldPositions.Lookup(path); ok {
			return p
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return s.Position
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

// AlertPolicy is an OpenSLO AlertPolicy with its one condition. The
// three alertWhen fields are nil when the document leaves them out.
type AlertPolicy struct {
	Metadata
	Description string
	// AlertWhenNoData false, on every policy of an SLO, leaves out the
	// rules' SLONoData alert (see SLO.AlertWhenNoData); nil or true keeps
	// it.
	AlertWhenNoData *bool
	// AlertWhenResolved is read and written back, but rules cannot say
	// it: whether a resolved alert notifies is the send_resolved setting
	// of the Alertmanager receiver.
	AlertWhenResolved *bool
	// AlertWhenBreaching false leaves the policy's condition out of
	// SLO.Policy: it writes no burn-rate alert. nil or true keeps it. An
	// SLO whose policies all say false is an error, since it would have
	// no burn-rate alert at all.
	AlertWhenBreaching *bool
	Condition          AlertCondition
	// NotificationTargets are read and written back, but routing an alert
	// to a target is Alertmanager's work, not the rules': route on the
	// labels the alerts carry (slo, severity, and the SLO's own labels).
	// runkit slo rules says so when a file has targets.
	NotificationTargets []NotificationTarget
}

// AlertWhenNoData reports whether the SLO's rules alert when it has no
// data: true unless every alert policy says alertWhenNoData: false.
func (s SLO) AlertWhenNoData() bool {
	for _, ap := range s.AlertPolicies {
		if ap.AlertWhenNoData == nil || *ap.AlertWhenNoData {
			return true
		}
	}
	return len(s.AlertPolicies) == 0
}

// AlertCondition is a burn-rate alert condition: it fires when the burn
// rate over Lookback exceeds Threshold, and has for AlertAfter.
type AlertCondition struct {
	Metadata
	Description string
	Severity    string
	// Op is the condition's op, "gt" or "gte"; "gt" when the document
	// leaves it out. Either way the tier fires when the burn rate is over
	// the threshold, as rules and a Tracker compare: a burn rate that
	// lands exactly on it is a single value of a continuous measure.
	Op        string
	Threshold float64
	Lookback  time.Duration
	// AlertAfter is alertAfter, how long the condition must hold before
	// the alert fires (the OpenSLO spec's words); zero when the document
	// leaves it out. It becomes slo.Tier.For, the alert rule's for:.
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
// per policy in order, leaving out those with alertWhenBreaching: false:
// the condition's severity is the tier's, its lookbackWindow the long
// window, the short window that confirms the burn goes on is slo.Tier's
// default, lookbackWindow / 12 (OpenSLO has no field for it), its
// alertAfter is how long the burn must go on before the alert fires
// (slo.Tier.For), and its threshold becomes BudgetShare = threshold ×
// lookbackWindow / window for a rolling window, so that Tier.Threshold
// gives the threshold back, and slo.Tier.BurnRate for a calendar window,
// whose months (or quarters, years) differ in length: the threshold is the
// file's in every one of them. It returns nil when the SLO has no alert
// policies; callers then use slo.DefaultPolicyFor.
func (s SLO) Policy() *slo.Policy {
	if len(s.AlertPolicies) == 0 || len(s.Objectives) == 0 {
		return nil
	}
	w := s.Objectives[0].Window
	p := &slo.Policy{Tiers: make([]slo.Tier, 0, len(s.AlertPolicies))}
	for _, ap := range s.AlertPolicies {
		if ap.AlertWhenBreaching != nil && !*ap.AlertWhenBreaching {
			continue
		}
		c := ap.Condition
		t := slo.Tier{Severity: slo.Severity(c.Severity), Long: c.Lookback, For: c.AlertAfter}
		if w.Calendar != slo.NotCalendar {
			// Periods differ in length; the file's threshold holds in each.
			t.BurnRate = c.Threshold
		} else {
			t.BudgetShare = c.Threshold * float64(c.Lookback) / float64(w.Rolling)
		}
		p.Tiers = append(p.Tiers, t)
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
