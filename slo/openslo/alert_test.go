package openslo_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ybiyri/runkit/slo"
	"github.com/ybiyri/runkit/slo/openslo"
)

// alertDoc is an SLO of 99.9% over window with one inline alert policy;
// policy holds the policy's fields after spec:, at six spaces, and cond
// the condition's, at ten.
func alertDoc(window, policy, cond string) string {
	return fmt.Sprintf(`apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout
spec:
  indicator:
    metadata:
      name: errors
    spec:
      ratioMetric:
        counter: true
        bad:
          metricSource:
            type: Prometheus
            spec:
              query: http_requests_total{code=~"5.."}
        total:
          metricSource:
            type: Prometheus
            spec:
              query: http_requests_total
  timeWindow:
    - duration: %s
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 0.999
  alertPolicies:
    - kind: AlertPolicy
      metadata:
        name: burn
      spec:
%s        conditions:
          - kind: AlertCondition
            metadata:
              name: fast
            spec:
              severity: page
              condition:
                kind: burnrate
                op: gt
%s`, window, policy, cond)
}

// alertDocLine is the line of the condition's first field in alertDoc
// with policy's lines.
func alertDocLine(policy string) int { return 42 + strings.Count(policy, "\n") }

// The OpenSLO spec: alertAfter is how long the condition must hold before
// the alert fires. It becomes the tier's For (the rule's for:); the short
// window stays lookbackWindow / 12.
func TestAlertAfterIsHowLongTheConditionHolds(t *testing.T) {
	for _, tt := range []struct {
		lookback, alertAfter string
		want                 slo.Tier
	}{
		{"1h", "1h", slo.Tier{Severity: slo.Page, Long: time.Hour, For: time.Hour}},
		{"3d", "6h", slo.Tier{Severity: slo.Page, Long: 3 * day, For: 6 * time.Hour}},
		{"1h", "", slo.Tier{Severity: slo.Page, Long: time.Hour}},
		{"1h", "2h", slo.Tier{Severity: slo.Page, Long: time.Hour, For: 2 * time.Hour}},
	} {
		th := "14.4"
		if tt.want.Long == 3*day {
			th = "1"
		}
		cond := "                threshold: " + th + "\n                lookbackWindow: " + tt.lookback + "\n"
		if tt.alertAfter != "" {
			cond += "                alertAfter: " + tt.alertAfter + "\n"
		}
		slos, err := openslo.Parse("a.yaml", []byte(alertDoc("30d", "", cond)))
		if err != nil {
			t.Errorf("lookbackWindow %s, alertAfter %q: %v", tt.lookback, tt.alertAfter, err)
			continue
		}
		got := slos[0].Policy().Tiers[0]
		if got.Severity != tt.want.Severity || got.Long != tt.want.Long || got.Short != 0 || got.For != tt.want.For || got.ShortWindow() != tt.want.Long/12 {
			t.Errorf("lookbackWindow %s, alertAfter %q: tier %+v, want long %v, short %v, for %v", tt.lookback, tt.alertAfter, got, tt.want.Long, tt.want.Long/12, tt.want.For)
		}
	}
}

// A condition that cannot serve the objective is an error at the line of
// the field to change, in the file's own words.
func TestAlertConditionErrorsPointAtTheField(t *testing.T) {
	const cond = "spec.alertPolicies[0].spec.conditions[0].spec"
	line := alertDocLine("")
	for _, tt := range []struct {
		name, window, cond string
		line               int
		field, value, msg  string
	}{
		{"under 1", "30d", "                threshold: 0.5\n                lookbackWindow: 1h\n", line, cond + ".condition.threshold", "0.5",
			"is a burn rate under 1: the alert would fire while the objective is met"},
		{"can never fire", "30d", "                threshold: 2000\n                lookbackWindow: 1h\n", line, cond + ".condition.threshold", "2000",
			"× the budget 0.001 is 2 ≥ 1: it would need an error rate over 100% and can never fire"},
		{"more than the budget", "30d", "                threshold: 14.4\n                lookbackWindow: 3d\n", line, cond + ".condition.threshold", "14.4",
			"over lookbackWindow 3d spends 144% of the 30d window's budget"},
		{"lookback longer than the window", "7d", "                threshold: 2\n                lookbackWindow: 8d\n", line + 1, cond + ".condition.lookbackWindow", "8d",
			"is longer than the objective's window 7d"},
	} {
		_, err := openslo.Parse("a.yaml", []byte(alertDoc(tt.window, "", tt.cond)))
		var e *openslo.Error
		if !errors.As(err, &e) {
			t.Errorf("%s: Parse = %v, want an *Error", tt.name, err)
			continue
		}
		if e.Line != tt.line || e.Field != tt.field || e.Value != tt.value || !strings.Contains(e.Msg, tt.msg) {
			t.Errorf("%s: error at line %d, field %s, value %q: %s\nwant line %d, %s, %q, %q", tt.name, e.Line, e.Field, e.Value, e.Msg, tt.line, tt.field, tt.value, tt.msg)
		}
		for _, goName := range []string{"Short", "Long", "BudgetShare", "tier ", "slo:"} {
			if strings.Contains(err.Error(), goName) {
				t.Errorf("%s: %v names %q", tt.name, err, goName)
			}
		}
	}
	// A severity other than page or ticket, at its line.
	doc := strings.Replace(alertDoc("30d", "", "                threshold: 14.4\n                lookbackWindow: 1h\n"), "severity: page", "severity: sev1", 1)
	_, err := openslo.Parse("a.yaml", []byte(doc))
	var e *openslo.Error
	if !errors.As(err, &e) || e.Line != line-4 || e.Field != cond+".severity" || e.Value != "sev1" || strings.Contains(err.Error(), "promrules.Config") {
		t.Errorf("severity sev1: %v (line %d, want %d)", err, e.Line, line-4)
	}
}

// alertWhenBreaching: false leaves the policy's tier out, and when every
// policy says so the SLO is refused at that line; alertWhenNoData: false
// on every policy turns the no-data alert off. Both read back as written.
func TestAlertWhenBreachingAndNoData(t *testing.T) {
	cond := "                threshold: 14.4\n                lookbackWindow: 1h\n"
	second := `    - kind: AlertPolicy
      metadata:
        name: slow
      spec:
        alertWhenNoData: true
        conditions:
          - kind: AlertCondition
            metadata:
              name: slow
            spec:
              severity: ticket
              condition:
                kind: burnrate
                op: gt
                threshold: 1
                lookbackWindow: 3d
`
	policy := "        alertWhenBreaching: false\n        alertWhenNoData: false\n"
	slos, err := openslo.Parse("a.yaml", []byte(alertDoc("30d", policy, cond)+second))
	if err != nil {
		t.Fatal(err)
	}
	s := slos[0]
	if tiers := s.Policy().Tiers; len(tiers) != 1 || tiers[0].Long != 3*day {
		t.Errorf("Policy() = %+v, want the 3d tier alone", tiers)
	}
	if !s.AlertWhenNoData() {
		t.Error("AlertWhenNoData() = false, but the second policy says true")
	}
	again := roundTrip(t, slos)
	if b := again[0].AlertPolicies[0].AlertWhenBreaching; b == nil || *b {
		t.Errorf("alertWhenBreaching: false reads back as %v", b)
	}

	// Every policy says alertWhenNoData: false: no no-data alert.
	slos, err = openslo.Parse("a.yaml", []byte(alertDoc("30d", "        alertWhenNoData: false\n", cond)))
	if err != nil {
		t.Fatal(err)
	}
	if slos[0].AlertWhenNoData() {
		t.Error("AlertWhenNoData() = true, but the only policy says false")
	}
	if len(slos[0].Policy().Tiers) != 1 {
		t.Errorf("Policy() = %+v, want the 1h tier (alertWhenBreaching left out means true)", slos[0].Policy())
	}

	// Every policy says alertWhenBreaching: false: an error at that line.
	_, err = openslo.Parse("a.yaml", []byte(alertDoc("30d", "        alertWhenBreaching: false\n", cond)))
	var e *openslo.Error
	if !errors.As(err, &e) || e.Line != 33 || e.Field != "spec.alertPolicies[0].spec.alertWhenBreaching" || e.Value != "false" ||
		!strings.Contains(e.Msg, "leaves no burn-rate alert") {
		t.Errorf("all alertWhenBreaching: false: %v", err)
	}
}

// FieldPosition finds a field's line, or its nearest enclosing field's.
func TestFieldPosition(t *testing.T) {
	slos, err := openslo.Parse("a.yaml", []byte(alertDoc("30d", "", "                threshold: 14.4\n                lookbackWindow: 1h\n")))
	if err != nil {
		t.Fatal(err)
	}
	s := slos[0]
	for path, want := range map[string]string{
		"spec.objectives[0].target":                                   "a.yaml:27:15",
		"spec.timeWindow[0].duration":                                 "a.yaml:23:17",
		"spec.indicator.spec.ratioMetric.bad":                         "a.yaml:12:9",
		"spec.indicator.spec.ratioMetric.bad.metricSource.spec.query": "a.yaml:16:22",
		"metadata.labels.team":                                        "a.yaml:3:1",
		"no.such.field":                                               "a.yaml:1:1",
	} {
		if got := s.FieldPosition(path).String(); got != want {
			t.Errorf("FieldPosition(%s) = %s, want %s", path, got, want)
		}
	}
}

// alertWhenResolved is not part of the rules, but is read and written
// back as the file says it.
func TestAlertWhenResolvedReadsBack(t *testing.T) {
	cond := "                threshold: 14.4\n                lookbackWindow: 1h\n"
	slos, err := openslo.Parse("a.yaml", []byte(alertDoc("30d", "        alertWhenResolved: false\n", cond)))
	if err != nil {
		t.Fatal(err)
	}
	if r := slos[0].AlertPolicies[0].AlertWhenResolved; r == nil || *r {
		t.Fatalf("alertWhenResolved: false reads as %v", r)
	}
	if r := roundTrip(t, slos)[0].AlertPolicies[0].AlertWhenResolved; r == nil || *r {
		t.Errorf("alertWhenResolved: false reads back as %v", r)
	}
}
