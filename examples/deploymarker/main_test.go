package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ybiyri/runkit/slo"
)

func TestGateAndAnnounce(t *testing.T) {
	for _, v := range []string{"GRAFANA_URL", "HONEYCOMB_KEY", "DD_API_KEY", "DEPLOY_WEBHOOK_URL"} {
		t.Setenv(v, "")
	}
	var hooks int
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hooks++ }))
	defer hook.Close()
	t.Setenv("DEPLOY_WEBHOOK_URL", hook.URL)

	o := slo.Objective{Name: "checkout", Target: 0.99, Window: slo.Rolling(24 * time.Hour)}
	tr, err := slo.NewTracker(o, slo.TrackerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	status := httptest.NewServer(tr.Handler())
	defer status.Close()

	tr.RecordN(1000, 0)
	args := []string{"-service", "checkout", "-version", "1.4.2", "-slo-status", status.URL}
	if code, err := run(t.Context(), args); code != 0 || err != nil || hooks != 1 {
		t.Fatalf("with budget left: exit %d, %v, %d webhook calls", code, err, hooks)
	}
	tr.RecordN(50, 50) // budget spent
	if code, _ := run(t.Context(), args); code != 2 || hooks != 1 {
		t.Errorf("with the budget spent: exit %d after %d webhook calls, want 2 and no new call", code, hooks)
	}
	fix := append(args, "-kind", "fix", "-override-by", "alice", "-override-reason", "INC-7")
	if code, err := run(t.Context(), fix); code != 0 || err != nil || hooks != 2 {
		t.Errorf("an overriding fix: exit %d, %v", code, err)
	}
	if code, _ := run(t.Context(), []string{"-version", "1"}); code != 1 {
		t.Errorf("no -service: exit %d, want 1", code)
	}
}
