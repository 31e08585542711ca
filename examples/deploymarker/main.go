// Command deploymarker is a pipeline step: it asks the error-budget gate
// whether a deployment may go ahead, and marks the deployment on every
// tool the team configured.
//
//	go run ./examples/deploymarker -service checkout -version 1.4.2 -env production \
//	    -slo-status https://checkout.internal/slo
//
// Sinks come from the environment: GRAFANA_URL and GRAFANA_TOKEN,
// HONEYCOMB_KEY (and HONEYCOMB_DATASET), DD_API_KEY (and DD_SITE_URL),
// DEPLOY_WEBHOOK_URL; a JSON line always goes to standard output. With
// -slo-status it reads a service's slo.Tracker status (the JSON of
// Tracker.Handler) and exits 2 when the gate refuses; -kind fix or rollback
// with -override-by and -override-reason lets a fix through a freeze.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/ybiyri/runkit/deploy"
	"github.com/ybiyri/runkit/slo"
)

func main() {
	code, err := run(context.Background(), os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "deploymarker:", err)
	}
	os.Exit(code)
}

func run(ctx context.Context, args []string) (int, error) {
	fs := flag.NewFlagSet("deploymarker", flag.ContinueOnError)
	var m deploy.Marker
	fs.StringVar(&m.Service, "service", "", "service name (required)")
	fs.StringVar(&m.Version, "version", "", "version being deployed")
	fs.StringVar(&m.Revision, "revision", os.Getenv("GIT_COMMIT"), "VCS revision")
	fs.StringVar(&m.Repository, "repository", "", "repository URL")
	fs.StringVar(&m.Environment, "env", "production", "environment")
	fs.StringVar(&m.URL, "url", "", "link to the pipeline run")
	fs.StringVar(&m.ID, "id", "", "deployment ID (default: generated)")
	statusURL := fs.String("slo-status", "", "URL of a service's SLO status JSON to gate on")
	kind := fs.String("kind", "feature", "feature, fix or rollback")
	by := fs.String("override-by", "", "who overrides a freeze (fix or rollback only)")
	reason := fs.String("override-reason", "", "why the freeze is overridden")
	timeout := fs.Duration("timeout", 30*time.Second, "bound on announcing")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}

	if *statusURL != "" {
		req := deploy.Request{By: *by, Reason: *reason, Override: *by != "" || *reason != ""}
		switch *kind {
		case "feature":
		case "fix":
			req.Kind = deploy.Fix
		case "rollback":
			req.Kind = deploy.Rollback
		default:
			return 2, fmt.Errorf("-kind %q: want feature, fix or rollback", *kind)
		}
		st, err := fetchStatus(ctx, *statusURL)
		if err != nil {
			return 1, err
		}
		d := deploy.Gate{}.Decide(req, st)
		fmt.Fprintln(os.Stderr, d)
		if !d.Allow {
			return 2, nil
		}
	}

	sinks, err := sinksFromEnv()
	if err != nil {
		return 2, err
	}
	a := &deploy.Announcer{Sinks: sinks, OnResult: func(r deploy.Result) {
		if r.Err != nil {
			fmt.Fprintf(os.Stderr, "%s: failed after %d attempts: %v\n", r.Sink, r.Attempts, r.Err)
		}
	}}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if _, err := a.Announce(ctx, m); err != nil {
		return 1, err
	}
	return 0, nil
}

// fetchStatus reads the JSON a slo.Tracker's Handler serves.
func fetchStatus(ctx context.Context, u string) (slo.TrackerStatus, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return slo.TrackerStatus{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return slo.TrackerStatus{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return slo.TrackerStatus{}, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	var r slo.Report
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return slo.TrackerStatus{}, fmt.Errorf("GET %s: %w", u, err)
	}
	st := slo.TrackerStatus{Status: slo.Status{Objective: r.Objective, Total: r.Total, NoData: r.NoData, Remaining: r.BudgetRemaining}}
	for _, t := range r.Tiers {
		st.Tiers = append(st.Tiers, slo.TierResult{Tier: slo.Tier{Severity: t.Severity}, Firing: t.Firing, Reason: t.Reason})
	}
	return st, nil
}

func sinksFromEnv() ([]deploy.Sink, error) {
	sinks := []deploy.Sink{deploy.Writer(os.Stdout)}
	add := func(s deploy.Sink, err error) error {
		if err != nil {
			return err
		}
		sinks = append(sinks, s)
		return nil
	}
	var errs []error
	if u := os.Getenv("GRAFANA_URL"); u != "" {
		errs = append(errs, add(deploy.Grafana(deploy.GrafanaConfig{URL: u, Token: deploy.Secret(os.Getenv("GRAFANA_TOKEN"))})))
	}
	if k := os.Getenv("HONEYCOMB_KEY"); k != "" {
		errs = append(errs, add(deploy.Honeycomb(deploy.HoneycombConfig{Key: deploy.Secret(k), Dataset: os.Getenv("HONEYCOMB_DATASET")})))
	}
	if k := os.Getenv("DD_API_KEY"); k != "" {
		errs = append(errs, add(deploy.Datadog(deploy.DatadogConfig{APIKey: deploy.Secret(k), URL: os.Getenv("DD_SITE_URL")})))
	}
	if u := os.Getenv("DEPLOY_WEBHOOK_URL"); u != "" {
		errs = append(errs, add(deploy.Webhook(deploy.WebhookConfig{URL: u})))
	}
	return sinks, errors.Join(errs...)
}
