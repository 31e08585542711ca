package openslo_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ybiyri/runkit/slo"
	"github.com/ybiyri/runkit/slo/openslo"
)

// monthlyDoc is a calendar-month objective whose alert policy pages at a
// burn rate of 14.4 over one hour.
const monthlyDoc = `apiVersion: openslo/v1
kind: SLO
metadata:
  name: monthly
spec:
  indicator:
    metadata:
      name: monthly-errors
    spec:
      ratioMetric:
        counter: true
        bad:
          metricSource:
            type: Prometheus
            spec:
              query: errors_total
        total:
          metricSource:
            type: Prometheus
            spec:
              query: requests_total
  timeWindow:
    - duration: 1M
      isRolling: false
      calendar:
        startTime: "2024-01-01 00:00:00"
        timeZone: UTC
  budgetingMethod: Occurrences
  objectives:
    - target: 0.999
  alertPolicies:
    - kind: AlertPolicy
      metadata:
        name: fast
      spec:
        conditions:
          - kind: AlertCondition
            metadata:
              name: fast-burn
            spec:
              severity: page
              condition:
                kind: burnrate
                op: gt
                threshold: 14.4
                lookbackWindow: 1h
`

// A calendar month's alert threshold is the file's in every month: in the
// policy, in a Tracker's status in February and in April, and on its page,
// where the share of the budget the tier guards follows the month. A burn
// rate of 14 pages in no month.
func TestCalendarThresholdHoldsEveryMonth(t *testing.T) {
	slos, err := openslo.Parse("monthly.yaml", []byte(monthlyDoc))
	if err != nil {
		t.Fatal(err)
	}
	o := slos[0].Objectives[0].Objective
	policy := slos[0].Policy()
	for _, tt := range []struct {
		at    time.Time
		guard string
	}{
		{time.Date(2025, time.February, 10, 12, 0, 0, 0, time.UTC), "2.14286% of the budget in 1h"},
		{time.Date(2025, time.April, 10, 12, 0, 0, 0, time.UTC), "2% of the budget in 1h"},
		{time.Date(2025, time.January, 10, 12, 0, 0, 0, time.UTC), "1.93548% of the budget in 1h"},
	} {
		month := tt.at.Month().String()
		if th := policy.Tiers[0].Threshold(o.Window.Length(tt.at)); th != 14.4 {
			t.Errorf("%s: Policy threshold %v, want 14.4", month, th)
		}
		now := tt.at
		tr, err := slo.NewTracker(o, slo.TrackerConfig{Policy: policy, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		// A burn rate of 14 fires nothing in any month.
		if err := tr.RecordN(986, 14); err != nil {
			t.Fatal(err)
		}
		st := tr.Status()
		if len(st.Tiers) != 1 || st.Tiers[0].Threshold != 14.4 || st.Tiers[0].Firing {
			t.Errorf("%s: tracker tiers %+v at a burn rate of 14, want one at 14.4, not firing", month, st.Tiers)
		}
		srv := httptest.NewServer(tr.Handler())
		req, _ := http.NewRequest("GET", srv.URL, nil)
		req.Header.Set("Accept", "text/html")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		srv.Close()
		for _, want := range []string{"threshold 14.4", tt.guard} {
			if !strings.Contains(string(body), want) {
				t.Errorf("%s: the page does not say %q", month, want)
			}
		}
	}
}
