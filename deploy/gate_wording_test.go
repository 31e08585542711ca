package deploy_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ybiyri/runkit/deploy"
	"github.com/ybiyri/runkit/slo"
)

// A freeze by MinRemaining with budget left is its own rule: the budget is
// low, not spent.
func TestGateBudgetLow(t *testing.T) {
	st := func(remaining float64) slo.TrackerStatus {
		return slo.TrackerStatus{Status: slo.Status{Objective: "checkout", Remaining: remaining, Total: 100}}
	}
	g := deploy.Gate{MinRemaining: 0.85}
	d := g.Decide(deploy.Request{}, st(0.8))
	if d.Allow || !d.Frozen || d.Rule != deploy.RuleBudgetLow || d.Rule.String() != "budget-low" {
		t.Errorf("80%% left under a minimum of 85%%: %v, want refused by budget-low", d)
	}
	if want := "checkout: error budget remaining 80.0% is at or below the minimum of 85.0%"; d.Reasons[0] != want {
		t.Errorf("reason %q, want %q", d.Reasons[0], want)
	}
	if strings.Contains(d.String(), "spent") {
		t.Errorf("budget left reads as spent: %v", d)
	}
	// Spent outranks low, under any minimum.
	for _, g := range []deploy.Gate{{}, {MinRemaining: 0.85}} {
		d = g.Decide(deploy.Request{}, st(0.8), st(-0.2))
		if d.Rule != deploy.RuleBudgetSpent || !strings.Contains(d.String(), "checkout: error budget spent: remaining -20.0%") {
			t.Errorf("MinRemaining %v, one objective spent: %v, want budget-spent", g.MinRemaining, d)
		}
	}
	if d := (deploy.Gate{}).Decide(deploy.Request{}, st(0)); d.Rule != deploy.RuleBudgetSpent {
		t.Errorf("0%% left: %v, want budget-spent", d)
	}
}

// Reasons are read by people at a terminal as well as by Go callers: they
// name no Go field.
func TestGateReasonsNameNoGoField(t *testing.T) {
	spent := slo.TrackerStatus{Status: slo.Status{Objective: "checkout", Remaining: -0.2, Total: 100}}
	quiet := slo.TrackerStatus{Status: slo.Status{Objective: "checkout", NoData: true}}
	for _, d := range []deploy.Decision{
		deploy.Gate{}.Decide(deploy.Request{}, spent),
		deploy.Gate{}.Decide(deploy.Request{Kind: deploy.Fix, Override: true}, spent),
		deploy.Gate{AllowNoData: true}.Decide(deploy.Request{}, quiet),
	} {
		for _, field := range []string{"By and Reason", "AllowNoData", "MinRemaining"} {
			if strings.Contains(strings.Join(d.Reasons, "; "), field) {
				t.Errorf("reasons name %s: %v", field, d)
			}
		}
	}
}

// An answer over the size limit says so, rather than reading as cut-off
// JSON.
func TestFetchSLOStatusTooLarge(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"objective":"`+strings.Repeat("a", 9<<20)+`"}`)
	}))
	defer srv.Close()
	_, err := deploy.FetchSLOStatus(context.Background(), srv.Client(), srv.URL+"/slo")
	if err == nil || !strings.HasSuffix(err.Error(), "/slo: answer is over 8388608 bytes") {
		t.Errorf("FetchSLOStatus of 9 MiB = %v, want answer is over 8388608 bytes", err)
	}
}
