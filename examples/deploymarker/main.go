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
// -slo-status (repeated for several objectives) it reads a service's
// slo.Tracker status, the JSON of Tracker.Handler, and asks the gate; -kind
// fix or rollback with -override-by and -override-reason lets a fix
// through a freeze. With no SLO data the gate refuses, unless
// -allow-no-data. The marker's ID is the deployment's (deploy.ID), so a
// step run again marks the same deployment.
//
// Exit status, as runkit's command line has it:
//
//	0  the deploy may go ahead, and every sink took the marker
//	1  usage or configuration error: a mistyped or missing flag, a bad
//	   sink or status URL, a missing key; nothing was asked or marked
//	2  frozen by the error-budget policy: budget spent, a page-severity
//	   tier firing, or no SLO data; nothing was marked
//	3  an external system failed: a service's /slo could not be read
//	   (nothing was marked), or a sink did not take the marker (the
//	   others did); standard error says which and why
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	"github.com/ybiyri/runkit/deploy"
	"github.com/ybiyri/runkit/slo"
)

// The exit statuses, as the package doc describes them.
const (
	exitOK       = 0
	exitConfig   = 1
	exitFrozen   = 2
	exitExternal = 3
)

const usageTail = `
Exit status:
  0  the deploy may go ahead, and every sink took the marker
  1  usage or configuration error
  2  frozen by the error-budget policy
  3  a service's /slo could not be read, or a sink did not take the marker
`

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("deploymarker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: deploymarker -service NAME [flags]")
		fs.PrintDefaults()
		fmt.Fprint(stderr, usageTail)
	}
	var m deploy.Marker
	fs.StringVar(&m.Service, "service", "", "service name (required)")
	fs.StringVar(&m.Version, "version", "", "version being deployed")
	fs.StringVar(&m.Revision, "revision", os.Getenv("GIT_COMMIT"), "VCS revision")
	fs.StringVar(&m.Repository, "repository", "", "repository URL")
	fs.StringVar(&m.Environment, "env", "production", "environment")
	fs.StringVar(&m.URL, "url", "", "link to the pipeline run")
	fs.StringVar(&m.ID, "id", "", "deployment ID (default: deploy.ID of service, env, version and revision)")
	var statusURLs []string
	fs.Func("slo-status", "URL of a service's SLO status JSON to gate on (repeatable)", func(s string) error {
		statusURLs = append(statusURLs, s)
		return nil
	})
	kind := fs.String("kind", "feature", "feature, fix or rollback")
	by := fs.String("override-by", "", "who overrides a freeze (fix or rollback only)")
	reason := fs.String("override-reason", "", "why the freeze is overridden")
	allowNoData := fs.Bool("allow-no-data", false, "let the deploy through when no objective has SLO data")
	timeout := fs.Duration("timeout", 30*time.Second, "bound on reading the SLO status, and on announcing")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitConfig // the flag package said what was wrong
	}
	fail := func(code int, f string, a ...any) int {
		fmt.Fprintf(stderr, "deploymarker: "+f+"\n", a...)
		return code
	}
	switch {
	case fs.NArg() > 0:
		return fail(exitConfig, "unexpected argument %q", fs.Arg(0))
	case m.Service == "":
		return fail(exitConfig, "-service is required")
	}
	if err := m.Validate(); err != nil {
		return fail(exitConfig, "%v", err)
	}
	for _, s := range statusURLs {
		// Checked here rather than by the flag package, which would print
		// the URL whole, token and all.
		if u, err := url.Parse(s); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fail(exitConfig, "-slo-status %q is not an http or https URL", deploy.RedactURL(s))
		}
	}
	req := deploy.Request{By: *by, Reason: *reason, Override: *by != "" || *reason != ""}
	switch *kind {
	case "feature":
	case "fix":
		req.Kind = deploy.Fix
	case "rollback":
		req.Kind = deploy.Rollback
	default:
		return fail(exitConfig, "-kind %q: want feature, fix or rollback", *kind)
	}
	// Sinks first: a configuration error must not pass for a freeze.
	sinks, err := sinksFromEnv(stdout)
	if err != nil {
		return fail(exitConfig, "%v", err)
	}

	if len(statusURLs) > 0 {
		var statuses []slo.TrackerStatus
		for _, u := range statusURLs {
			sctx, cancel := context.WithTimeout(ctx, *timeout)
			st, err := deploy.FetchSLOStatus(sctx, nil, u)
			cancel()
			if err != nil {
				return fail(exitExternal, "cannot read the SLO status: %v", err)
			}
			statuses = append(statuses, st...)
		}
		d := deploy.Gate{AllowNoData: *allowNoData}.Decide(req, statuses...)
		fmt.Fprintln(stderr, d)
		if !d.Allow {
			return exitFrozen
		}
	}

	a := &deploy.Announcer{Sinks: sinks, OnResult: func(r deploy.Result) {
		if r.Err != nil {
			fmt.Fprintf(stderr, "%s: failed after %d attempts: %v\n", r.Sink, r.Attempts, r.Err)
		}
	}}
	actx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if _, err := a.Announce(actx, m); err != nil {
		return exitExternal // OnResult said which sink failed and why
	}
	return exitOK
}

// sinksFromEnv returns the sinks the environment configures, after a
// Writer to stdout. Its errors name the variable.
func sinksFromEnv(stdout io.Writer) ([]deploy.Sink, error) {
	sinks := []deploy.Sink{deploy.Writer(stdout)}
	add := func(env string) func(deploy.Sink, error) error {
		return func(s deploy.Sink, err error) error {
			if err != nil {
				return fmt.Errorf("%s: %w", env, err)
			}
			sinks = append(sinks, s)
			return nil
		}
	}
	var errs []error
	if u := os.Getenv("GRAFANA_URL"); u != "" {
		errs = append(errs, add("GRAFANA_URL")(deploy.Grafana(deploy.GrafanaConfig{URL: u, Token: deploy.Secret(os.Getenv("GRAFANA_TOKEN"))})))
	}
	if k := os.Getenv("HONEYCOMB_KEY"); k != "" {
		errs = append(errs, add("HONEYCOMB_KEY")(deploy.Honeycomb(deploy.HoneycombConfig{Key: deploy.Secret(k), Dataset: os.Getenv("HONEYCOMB_DATASET")})))
	}
	if k := os.Getenv("DD_API_KEY"); k != "" {
		errs = append(errs, add("DD_API_KEY")(deploy.Datadog(deploy.DatadogConfig{APIKey: deploy.Secret(k), URL: os.Getenv("DD_SITE_URL")})))
	}
	if u := os.Getenv("DEPLOY_WEBHOOK_URL"); u != "" {
		errs = append(errs, add("DEPLOY_WEBHOOK_URL")(deploy.Webhook(deploy.WebhookConfig{URL: u})))
	}
	return sinks, errors.Join(errs...)
}
