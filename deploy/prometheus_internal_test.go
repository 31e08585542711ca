package deploy

import (
	"strings"
	"testing"
	"time"

	"github.com/ybiyri/runkit/slo"
	"github.com/ybiyri/runkit/slo/promrules"
)

// The series FetchPrometheusSLOStatus reads are the ones promrules writes.
func TestPrometheusSeriesNames(t *testing.T) {
	for _, c := range [][2]string{
		{promErrorRatio, promrules.ErrorRatio},
		{promBudgetRemaining, promrules.BudgetRemaining},
		{promInfo, promrules.Info},
		{promBurnAlert, promrules.BurnAlert},
		{promSeverityLabel, promrules.SeverityLabel},
	} {
		if c[0] != c[1] {
			t.Errorf("deploy reads %q, promrules writes %q", c[0], c[1])
		}
	}
}

// decodeVector reads any bytes without panicking, and what it accepts is
// a vector of numbers.
func FuzzDecodeVector(f *testing.F) {
	f.Add(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{"slo":"a"},"value":[1796212800.5,"0.25"]}]}}`)
	f.Add(`{"status":"error","errorType":"bad_data","error":"parse error"}`)
	f.Add(`{"status":"success","data":{"resultType":"matrix","result":[]}}`)
	f.Add(`{"status":"success","data":{"resultType":"vector","result":[{"value":[1e300,"NaN"]}]}}`)
	f.Add(`<html>`)
	f.Fuzz(func(t *testing.T, body string) {
		out, _, err := decodeVector(strings.NewReader(body))
		if err == nil && out == nil {
			t.Errorf("accepted %q with no vector", body)
		}
	})
}

// A firing alert's tier is its slo_severity label when the rules set one
// (severity mapped to another label); else its severity, read back through
// PrometheusSource.Severity; a severity the gate cannot place reads as a
// page, so that rules written with a map the gate was not given freeze
// rather than let a paging SLO through.
func TestPromStatusTierSeverity(t *testing.T) {
	o := slo.Objective{Name: "checkout", Target: 0.999, Window: slo.Rolling(30 * 24 * time.Hour)}
	series := []promSample{
		{Metric: map[string]string{"__name__": promErrorRatio + "30d", "slo": "checkout"}, Value: 0.0002},
		{Metric: map[string]string{"__name__": promErrorRatio + "1h", "slo": "checkout"}, Value: 0.02},
		{Metric: map[string]string{"__name__": promErrorRatio + "5m", "slo": "checkout"}, Value: 0.03},
	}
	g := map[string]string{"slo": "checkout"}
	alert := func(labels ...string) promSample {
		m := map[string]string{"__name__": "ALERTS", "alertname": promBurnAlert, "alertstate": "firing", "slo": "checkout", "long_window": "1h", "short_window": "5m"}
		for i := 0; i < len(labels); i += 2 {
			m[labels[i]] = labels[i+1]
		}
		return promSample{Metric: m, Value: 1}
	}
	mapped := map[slo.Severity]string{slo.Page: "critical", slo.Ticket: "warning"}
	for _, c := range []struct {
		name     string
		alert    promSample
		severity map[slo.Severity]string
		want     slo.Severity
		reason   string
	}{
		{"page", alert("severity", "page"), nil, slo.Page, ""},
		{"ticket", alert("severity", "ticket"), nil, slo.Ticket, ""},
		{"slo_severity page", alert("severity", "critical", "slo_severity", "page"), nil, slo.Page, ""},
		{"slo_severity ticket", alert("severity", "warning", "slo_severity", "ticket"), nil, slo.Ticket, ""},
		{"mapped page", alert("severity", "critical"), mapped, slo.Page, ""},
		{"mapped ticket", alert("severity", "warning"), mapped, slo.Ticket, ""},
		{"unknown", alert("severity", "critical"), nil, slo.Page, `severity "critical" is neither page nor ticket`},
		{"unknown with a map", alert("severity", "sev1"), mapped, slo.Page, `severity "sev1" is neither page nor ticket`},
		{"missing", alert(), nil, slo.Page, `severity "" is neither page nor ticket`},
	} {
		s := promStatus(o, time.Unix(1796212800, 0), g, g, series, []promSample{c.alert}, c.severity)
		if len(s.Tiers) != 1 {
			t.Errorf("%s: tiers %+v, want one", c.name, s.Tiers)
			continue
		}
		tr := s.Tiers[0]
		if tr.Tier.Severity != c.want || !strings.Contains(tr.Reason, c.reason) {
			t.Errorf("%s: tier %s, reason %q; want %s with %q", c.name, tr.Tier.Severity, tr.Reason, c.want, c.reason)
		}
		// The reason names the windows and burn rates.
		if !strings.Contains(tr.Reason, "burn rate 20 over 1h and 30 over 5m") {
			t.Errorf("%s: reason %q names no burn rates", c.name, tr.Reason)
		}
	}
}
