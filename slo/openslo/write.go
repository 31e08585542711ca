package openslo

import (
	"fmt"
	"io"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ybiyri/runkit/slo"
)

// New returns an SLO document for o, its indicator ind: what Write needs
// to put an objective defined in Go into a file. The indicator's name is
// the objective's followed by "-sli" unless ind names itself.
func New(o slo.Objective, ind Indicator) SLO {
	if ind.Name == "" {
		ind.Name = o.Name + "-sli"
	}
	return SLO{
		Metadata:   Metadata{Name: o.Name},
		Indicator:  ind,
		Objectives: []Objective{{Objective: o}},
	}
}

// Write writes slos as OpenSLO v1 documents separated by "---", each SLO
// with its indicator and alert policies inline, so that the file stands
// alone. Parse reads back what Write wrote as the same SLOs, but for
// Position and names derived on reading (an objective's Name is the
// document's, or the document's and the objective's displayName). An
// SLO that OpenSLO cannot express is an error naming it, and nothing is
// written for it or after it. No SLOs write nothing (which Parse, reading
// a file with no document, refuses).
func Write(w io.Writer, slos ...SLO) error {
	if len(slos) == 0 {
		return nil
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	for _, s := range slos {
		doc, err := document(s)
		if err != nil {
			return err
		}
		if err := enc.Encode(doc); err != nil {
			return fmt.Errorf("openslo: write %q: %w", s.Name, err)
		}
	}
	return enc.Close()
}

type metadataOut struct {
	Name        string            `yaml:"name"`
	DisplayName string            `yaml:"displayName,omitempty"`
	Labels      map[string]any    `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

type sloOut struct {
	APIVersion string      `yaml:"apiVersion"`
	Kind       string      `yaml:"kind"`
	Metadata   metadataOut `yaml:"metadata"`
	Spec       sloSpecOut  `yaml:"spec"`
}

type sloSpecOut struct {
	Description     string           `yaml:"description,omitempty"`
	Service         string           `yaml:"service,omitempty"`
	Indicator       indicatorOut     `yaml:"indicator"`
	TimeWindow      []timeWindowOut  `yaml:"timeWindow"`
	BudgetingMethod string           `yaml:"budgetingMethod"`
	Objectives      []objectiveOut   `yaml:"objectives"`
	AlertPolicies   []alertPolicyOut `yaml:"alertPolicies,omitempty"`
}

type indicatorOut struct {
	Metadata metadataOut  `yaml:"metadata"`
	Spec     indicatorSpe `yaml:"spec"`
}

type indicatorSpe struct {
	Description     string          `yaml:"description,omitempty"`
	ThresholdMetric *metricOut      `yaml:"thresholdMetric,omitempty"`
	RatioMetric     *ratioMetricOut `yaml:"ratioMetric,omitempty"`
}

type ratioMetricOut struct {
	Counter *bool      `yaml:"counter,omitempty"`
	Good    *metricOut `yaml:"good,omitempty"`
	Bad     *metricOut `yaml:"bad,omitempty"`
	Total   *metricOut `yaml:"total,omitempty"`
	RawType string     `yaml:"rawType,omitempty"`
	Raw     *metricOut `yaml:"raw,omitempty"`
}

type metricOut struct {
	MetricSource metricSourceOut `yaml:"metricSource"`
}

type metricSourceOut struct {
	Ref  string         `yaml:"metricSourceRef,omitempty"`
	Type string         `yaml:"type,omitempty"`
	Spec map[string]any `yaml:"spec"`
}

type timeWindowOut struct {
	Duration  string       `yaml:"duration"`
	IsRolling bool         `yaml:"isRolling"`
	Calendar  *calendarOut `yaml:"calendar,omitempty"`
}

type calendarOut struct {
	StartTime string `yaml:"startTime"`
	TimeZone  string `yaml:"timeZone"`
}

type objectiveOut struct {
	DisplayName     string   `yaml:"displayName,omitempty"`
	Op              string   `yaml:"op,omitempty"`
	Value           *float64 `yaml:"value,omitempty"`
	Target          float64  `yaml:"target"`
	TimeSliceTarget float64  `yaml:"timeSliceTarget,omitempty"`
	TimeSliceWindow string   `yaml:"timeSliceWindow,omitempty"`
}

type alertPolicyOut struct {
	Kind     string         `yaml:"kind"`
	Metadata metadataOut    `yaml:"metadata"`
	Spec     alertPolicySpe `yaml:"spec"`
}

type alertPolicySpe struct {
	Description         string           `yaml:"description,omitempty"`
	AlertWhenNoData     *bool            `yaml:"alertWhenNoData,omitempty"`
	AlertWhenResolved   *bool            `yaml:"alertWhenResolved,omitempty"`
	AlertWhenBreaching  *bool            `yaml:"alertWhenBreaching,omitempty"`
	Conditions          []conditionOut   `yaml:"conditions"`
	NotificationTargets []notifTargetOut `yaml:"notificationTargets,omitempty"`
}

type conditionOut struct {
	Kind     string           `yaml:"kind"`
	Metadata metadataOut      `yaml:"metadata"`
	Spec     conditionSpecOut `yaml:"spec"`
}

type conditionSpecOut struct {
	Description string      `yaml:"description,omitempty"`
	Severity    string      `yaml:"severity"`
	Condition   burnRateOut `yaml:"condition"`
}

type burnRateOut struct {
	Kind           string  `yaml:"kind"`
	Op             string  `yaml:"op"`
	Threshold      float64 `yaml:"threshold"`
	LookbackWindow string  `yaml:"lookbackWindow"`
	AlertAfter     string  `yaml:"alertAfter,omitempty"`
}

type notifTargetOut struct {
	Kind     string         `yaml:"kind"`
	Metadata metadataOut    `yaml:"metadata"`
	Spec     notifTargetSpe `yaml:"spec"`
}

type notifTargetSpe struct {
	Description string `yaml:"description,omitempty"`
	Target      string `yaml:"target"`
}

func metadataFor(md Metadata) metadataOut {
	out := metadataOut{Name: md.Name, DisplayName: md.DisplayName, Annotations: md.Annotations}
	if len(md.Labels) > 0 {
		out.Labels = make(map[string]any, len(md.Labels))
		for k, v := range md.Labels {
			if len(v) == 1 {
				out.Labels[k] = v[0]
			} else {
				out.Labels[k] = append([]string{}, v...)
			}
		}
	}
	return out
}

func metricFor(m *MetricSource) *metricOut {
	if m == nil {
		return nil
	}
	return &metricOut{MetricSource: metricSourceOut{Ref: m.Ref, Type: m.Type, Spec: m.Spec}}
}

func document(s SLO) (*sloOut, error) {
	fail := func(format string, args ...any) (*sloOut, error) {
		return nil, fmt.Errorf("openslo: write %q: %s", s.Name, fmt.Sprintf(format, args...))
	}
	if s.Name == "" {
		return fail("metadata.name is empty")
	}
	if len(s.Objectives) == 0 {
		return fail("it has no objectives")
	}
	ind := s.Indicator
	if (ind.Ratio == nil) == (ind.Threshold == nil) {
		return fail("the indicator needs exactly one of Ratio and Threshold")
	}
	if ind.Name == "" {
		ind.Name = s.Name + "-sli"
	}
	for _, m := range []*MetricSource{ind.Threshold, ratioPart(ind.Ratio, 0), ratioPart(ind.Ratio, 1), ratioPart(ind.Ratio, 2), ratioPart(ind.Ratio, 3)} {
		if m != nil && len(m.Spec) == 0 {
			return fail("a metric source of the indicator has an empty spec")
		}
	}
	first := s.Objectives[0].Objective
	out := &sloOut{
		APIVersion: APIVersion, Kind: "SLO", Metadata: metadataFor(s.Metadata),
		Spec: sloSpecOut{
			Description: s.Description, Service: s.Service,
			Indicator: indicatorOut{Metadata: metadataFor(ind.Metadata), Spec: indicatorSpe{
				Description: ind.Description, ThresholdMetric: metricFor(ind.Threshold),
			}},
		},
	}
	if r := ind.Ratio; r != nil {
		out.Spec.Indicator.Spec.RatioMetric = &ratioMetricOut{
			Counter: r.Counter, Good: metricFor(r.Good), Bad: metricFor(r.Bad), Total: metricFor(r.Total),
			RawType: r.RawType, Raw: metricFor(r.Raw),
		}
	}
	tw, err := windowFor(first.Window)
	if err != nil {
		return fail("%v", err)
	}
	out.Spec.TimeWindow = []timeWindowOut{tw}
	switch first.Method {
	case slo.Occurrences:
		out.Spec.BudgetingMethod = "Occurrences"
	case slo.Timeslices:
		out.Spec.BudgetingMethod = "Timeslices"
	default:
		return fail("method %v is unknown", first.Method)
	}
	for i, o := range s.Objectives {
		if o.Window != first.Window || o.Method != first.Method {
			return fail("objective %d has window %v and method %v, objective 0 %v and %v: one document has one window and method", i, o.Window, o.Method, first.Window, first.Method)
		}
		if err := o.Objective.Validate(); err != nil {
			return fail("objective %d: %v", i, err)
		}
		switch {
		case ind.Threshold != nil && o.Op == "":
			return fail("objective %d: a thresholdMetric objective needs Op and Value", i)
		case ind.Ratio != nil && o.Op != "":
			return fail("objective %d: Op %q applies only to a thresholdMetric", i, o.Op)
		case o.Op != "" && o.Op != "lt" && o.Op != "lte" && o.Op != "gt" && o.Op != "gte":
			return fail("objective %d: Op %q is not lt, lte, gt or gte", i, o.Op)
		}
		oo := objectiveOut{DisplayName: o.DisplayName, Op: o.Op, Target: o.Target}
		if o.Op != "" {
			v := o.Value
			oo.Value = &v
		}
		if o.Method == slo.Timeslices {
			oo.TimeSliceTarget = o.SliceTarget
			if oo.TimeSliceTarget == 0 {
				oo.TimeSliceTarget = o.Target
			}
			slice := o.Slice
			if slice == 0 {
				slice = slo.DefaultSlice
			}
			if oo.TimeSliceWindow, err = formatShorthand(slice); err != nil {
				return fail("objective %d: Slice: %v", i, err)
			}
		}
		out.Spec.Objectives = append(out.Spec.Objectives, oo)
	}
	for i, ap := range s.AlertPolicies {
		if ap.Name == "" || ap.Condition.Name == "" {
			return fail("alert policy %d: the policy and its condition need names", i)
		}
		c := ap.Condition
		lb, err := formatShorthand(c.Lookback)
		if err != nil || c.Lookback <= 0 {
			return fail("alert policy %d: lookback %v is not a positive whole number of minutes", i, c.Lookback)
		}
		op := c.Op
		if op == "" {
			op = "gt"
		}
		br := burnRateOut{Kind: "burnrate", Op: op, Threshold: c.Threshold, LookbackWindow: lb}
		if c.AlertAfter != 0 {
			if br.AlertAfter, err = formatShorthand(c.AlertAfter); err != nil || c.AlertAfter < 0 {
				return fail("alert policy %d: alertAfter %v is not a whole number of minutes", i, c.AlertAfter)
			}
		}
		po := alertPolicyOut{Kind: "AlertPolicy", Metadata: metadataFor(ap.Metadata), Spec: alertPolicySpe{
			Description: ap.Description, AlertWhenNoData: ap.AlertWhenNoData,
			AlertWhenResolved: ap.AlertWhenResolved, AlertWhenBreaching: ap.AlertWhenBreaching,
			Conditions: []conditionOut{{Kind: "AlertCondition", Metadata: metadataFor(c.Metadata), Spec: conditionSpecOut{
				Description: c.Description, Severity: c.Severity, Condition: br,
			}}},
		}}
		for j, t := range ap.NotificationTargets {
			if t.Name == "" || t.Target == "" {
				return fail("alert policy %d: notification target %d needs a name and a target", i, j)
			}
			po.Spec.NotificationTargets = append(po.Spec.NotificationTargets, notifTargetOut{
				Kind: "AlertNotificationTarget", Metadata: metadataFor(t.Metadata),
				Spec: notifTargetSpe{Description: t.Description, Target: t.Target},
			})
		}
		out.Spec.AlertPolicies = append(out.Spec.AlertPolicies, po)
	}
	return out, nil
}

func ratioPart(r *RatioMetric, i int) *MetricSource {
	if r == nil {
		return nil
	}
	return [...]*MetricSource{r.Good, r.Bad, r.Total, r.Raw}[i]
}

// windowFor writes a rolling window as a duration, and a calendar one
// with a start at the beginning of 2024 in its zone: any start of a
// period names the same windows.
func windowFor(w slo.Window) (timeWindowOut, error) {
	if err := w.Validate(); err != nil {
		return timeWindowOut{}, err
	}
	if w.Calendar == slo.NotCalendar {
		d, err := formatShorthand(w.Rolling)
		if err != nil {
			return timeWindowOut{}, err
		}
		return timeWindowOut{Duration: d, IsRolling: true}, nil
	}
	loc := w.Location
	if loc == nil {
		loc = time.UTC
	}
	d := map[slo.Calendar]string{slo.Month: "1M", slo.Quarter: "1Q", slo.Year: "1Y"}[w.Calendar]
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, loc)
	return timeWindowOut{Duration: d, Calendar: &calendarOut{StartTime: start.Format(time.DateTime), TimeZone: loc.String()}}, nil
}
