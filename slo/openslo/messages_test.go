package openslo_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/ybiyri/runkit/slo/openslo"
)

// problems lists the problems Parse finds in doc, one string each.
func problems(t *testing.T, doc string) []string {
	t.Helper()
	_, err := openslo.Parse("f.yaml", []byte(doc))
	if err == nil {
		return nil
	}
	var out []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		out = append(out, e.Error())
	}
	return out
}

// The mistakes people make writing OpenSLO by hand get one message each,
// saying what to write: a percentage given as target, and an alert policy
// named where a reference belongs.
func TestParseMessagesSayWhatToWrite(t *testing.T) {
	got := problems(t, strings.Replace(sloDoc, "    - target: 0.999", "    - target: 99.5", 1))
	want := "f.yaml:27:15: spec.objectives[0].target 99.5: out of range (0, 1): target is a ratio; for a percentage write targetPercent: 99.5"
	if len(got) != 1 || got[0] != want {
		t.Errorf("target 99.5: %q\nwant %q", got, want)
	}

	// The mirror mistake: a ratio given as targetPercent, which OpenSLO's
	// range [0, 100) allows but no service means.
	for _, tt := range []struct{ value, percent string }{
		{"0.995", "99.5"}, {"0.9999", "99.99"}, {".9", "90"}, {"0.5", "50"}, {"0.99999999", "99.999999"},
	} {
		got = problems(t, strings.Replace(sloDoc, "    - target: 0.999", "    - targetPercent: "+tt.value, 1))
		want = "f.yaml:27:22: spec.objectives[0].targetPercent " + tt.value + ": reads as " + tt.value + "%, a percentage under 1%: for a ratio write target: " + tt.value + ", for a percentage targetPercent: " + tt.percent
		if len(got) != 1 || got[0] != want {
			t.Errorf("targetPercent %s: %q\nwant %q", tt.value, got, want)
		}
	}

	doc := alertDoc("30d", "", "                threshold: 14.4\n                lookbackWindow: 1h\n")
	i := strings.Index(doc, "  alertPolicies:\n")
	named := doc[:i] + "  alertPolicies:\n    - name: burn\n"
	got = problems(t, named)
	want = "f.yaml:29:7: spec.alertPolicies[0].name: unknown field; refer to an AlertPolicy by name with alertPolicyRef (alertPolicyRef: burn), or write one inline with kind, metadata and spec"
	if len(got) != 1 || got[0] != want {
		t.Errorf("alertPolicies: - name: burn: %d problems %q\nwant one: %q", len(got), got, want)
	}
	// The same for a condition and a notification target.
	cond := strings.Replace(doc, "          - kind: AlertCondition\n            metadata:\n              name: fast\n            spec:\n", "          - name: fast\n            spec:\n", 1)
	if got := problems(t, cond); len(got) != 1 || !strings.Contains(got[0], "conditions[0].name: unknown field; refer to an AlertCondition by name with conditionRef (conditionRef: fast)") {
		t.Errorf("conditions: - name: fast: %q", got)
	}
}

// op gte, which the OpenSLO spec allows for a burn-rate condition, is
// read (and written back) as written; lt and lte are refused, saying why.
func TestParseConditionOp(t *testing.T) {
	for _, op := range []string{"gt", "gte"} {
		doc := strings.Replace(alertDoc("30d", "", "                threshold: 14.4\n                lookbackWindow: 1h\n"), "op: gt", "op: "+op, 1)
		slos, err := openslo.Parse("f.yaml", []byte(doc))
		if err != nil {
			t.Fatalf("op %s: %v", op, err)
		}
		if got := slos[0].AlertPolicies[0].Condition.Op; got != op {
			t.Errorf("op %s read as %q", op, got)
		}
		if th := slos[0].Policy().Tiers[0].Threshold(30 * day); th != 14.4 {
			t.Errorf("op %s: threshold %v, want 14.4", op, th)
		}
		var buf bytes.Buffer
		if err := openslo.Write(&buf, slos...); err != nil || !strings.Contains(buf.String(), "op: "+op+"\n") {
			t.Errorf("op %s written back as\n%s (%v)", op, buf.String(), err)
		}
	}
	doc := strings.Replace(alertDoc("30d", "", "                threshold: 14.4\n                lookbackWindow: 1h\n"), "op: gt", "op: lte", 1)
	_, err := openslo.Parse("f.yaml", []byte(doc))
	var e *openslo.Error
	if !errors.As(err, &e) || e.Value != "lte" || !strings.Contains(e.Msg, "want gt or gte") {
		t.Errorf("op lte: %v", err)
	}
}

// A window's problems say what to write: a unit spelt out gets its
// shorthand, a calendar unit in a rolling window says how to write a
// calendar one, and an isRolling that is no boolean is one problem, not
// also "missing".
func TestWindowMessagesSayWhatToWrite(t *testing.T) {
	for _, c := range []struct{ from, to, want string }{
		{"duration: 30d", "duration: 30 days", `spec.timeWindow[0].duration "30 days": unit "days" is not one of m, h, d, w; write 30d`},
		{"duration: 30d", "duration: 4weeks", `spec.timeWindow[0].duration 4weeks: unit "weeks" is not one of m, h, d, w; write 4w`},
		{"duration: 30d", "duration: 1M", `spec.timeWindow[0].duration 1M: unit "M" is not one of m, h, d, w; M is a calendar period: for a calendar window write isRolling: false and a calendar`},
		{"duration: 30d", "duration: thirty", "spec.timeWindow[0].duration thirty: want a whole number and a unit (m, h, d, w), as 5m or 28d"},
		{"isRolling: true", "isRolling: yes", "spec.timeWindow[0].isRolling yes: want true or false"},
	} {
		got := problems(t, strings.Replace(sloDoc, c.from, c.to, 1))
		if len(got) != 1 || !strings.Contains(got[0], c.want) {
			t.Errorf("%s: %d problems %q, want one saying %q", c.to, len(got), got, c.want)
		}
	}
}

// A Prometheus source's query whose parentheses, brackets, braces or
// quotes do not pair up is a problem at its line: Prometheus would refuse
// it. Brackets inside quoted label values are text.
func TestParsePromQLThatCannotParse(t *testing.T) {
	doc := strings.Replace(sloDoc, "query: errors_total", `query: sum(rate(errors_total{code=~"(5..|429)"}[5m])`, 1)
	got := problems(t, doc)
	if len(got) != 1 || !strings.Contains(got[0], `:16:22: spec.indicator.spec.ratioMetric.bad.metricSource.spec.query "sum(rate(errors_total{code=~\"(5..|429)\"}[5m])": has a ( at character 4 that is never closed: Prometheus would refuse this query`) {
		t.Errorf("an unclosed parenthesis: %q", got)
	}
	ok := strings.Replace(sloDoc, "query: errors_total", `query: 'sum(rate(errors_total{code=~"(5..|429)"}[5m]))'`, 1)
	if got := problems(t, ok); len(got) != 0 {
		t.Errorf("a query that pairs up: %q", got)
	}
}

// A YAML alias reads one node under several paths; each problem in it is
// reported once, at its place, not once per path that reaches it.
func TestAliasesReportEachProblemOnce(t *testing.T) {
	nine := func(s string) string { return strings.TrimSuffix(strings.Repeat(s+", ", 9), ", ") }
	doc := strings.Replace(sloDoc, "  name: checkout\n", "  name: checkout\n  labels:\n    a: &a ["+nine(`"x y"`)+"]\n    b: &b ["+nine("*a")+"]\n    c: ["+nine("*b")+"]\n", 1)
	if doc == sloDoc {
		t.Fatal("no metadata.name in the base document")
	}
	got := problems(t, doc)
	if len(got) != 2 || !strings.Contains(got[0], ":6:8: metadata.labels.b: want a string, got a list") || !strings.Contains(got[1], ":7:8: metadata.labels.c: want a string, got a list") {
		t.Errorf("labels of 9×9 aliases: %d problems %q\nwant two, b's and c's", len(got), got)
	}

	doc = strings.Replace(sloDoc, "    - target: 0.999", "    - &o {target: 1.5}\n    - *o\n    - *o", 1)
	got = problems(t, doc)
	want := "f.yaml:27:19: spec.objectives[0].target 1.5: out of range (0, 1)"
	if len(got) != 1 || !strings.HasPrefix(got[0], want) {
		t.Errorf("objectives [&o, *o, *o]: %d problems %q\nwant one: %s…", len(got), got, want)
	}
}
