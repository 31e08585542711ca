package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/ybiyri/runkit/deploy"
	"github.com/ybiyri/runkit/telemetry"
)

func newDeploy() *cobra.Command {
	return group("deploy", "Deployment markers and the error-budget deploy gate",
		`Deployment markers on every tool the team looks at, and the
error-budget deploy gate, for a pipeline.`,
		`  runkit deploy mark --service checkout --version 1.4.2 --sink grafana,stdout`,
		newMark(), newGate())
}

// sinkNames are the sinks of deploy mark, in the order of --help.
var sinkNames = []string{"stdout", "grafana", "honeycomb", "datadog", "webhook", "otel"}

const markLong = `Mark announces one deployment to the chosen sinks at once, retrying
temporary failures (429, 5xx, network errors) with backoff, all within
--timeout, and prints on standard error which sinks took it.

The deployment needs --version, --revision or --id: its ID is made from
service, environment, version and revision, and without either every
deployment would get one ID, which runkit dora counts once. --commit-time
must not be after --start (default now).

Sinks (--sink, comma-separated or repeated) and what each reads from the
environment; secrets come only from the environment, never from flags:
  stdout     the marker as one JSON line on standard output: what
             deploy.Writer writes, and what runkit dora reads
  grafana    GRAFANA_URL (base URL) and GRAFANA_TOKEN (service account
             token) required; GRAFANA_DASHBOARD_UID optional
  honeycomb  HONEYCOMB_KEY (configuration key) required; HONEYCOMB_DATASET
             (default: every dataset), HONEYCOMB_API_ENDPOINT (default
             https://api.honeycomb.io)
  datadog    DD_API_KEY required; DD_SITE (default datadoghq.com; a
             site name such as datadoghq.eu, no scheme or path) or
             DD_API_URL (a full base URL, which wins)
  webhook    DEPLOY_WEBHOOK_URL required; DEPLOY_WEBHOOK_TOKEN optional,
             sent as "Authorization: Bearer"
  otel       a span (and a log record when logs export) through
             OpenTelemetry: OTEL_EXPORTER_OTLP_ENDPOINT or
             OTEL_TRACES_EXPORTER, and the other OTEL_* variables

A sink whose required variable is missing or malformed is a usage error
(exit 1) before anything is sent; a sink that fails is exit 3, after every
other sink has been tried.`

func newMark() *cobra.Command {
	var (
		m           deploy.Marker
		sinks       []string
		start, end  string
		commitTime  string
		timeout     time.Duration
		maxAttempts int
	)
	c := &cobra.Command{
		Use:   "mark --service NAME [flags]",
		Short: "Mark a deployment on Grafana, Honeycomb, Datadog, a webhook, OpenTelemetry or stdout",
		Long:  markLong,
		Example: `  # At the end of the deploy job: Grafana and the pipeline's log
  export GRAFANA_URL=https://grafana.example.com GRAFANA_TOKEN=...
  runkit deploy mark --service checkout --version 1.4.2 --env production \
      --revision "$GITHUB_SHA" --commit-time "$(git show -s --format=%cI)" \
      --sink grafana,stdout

  # Keep the markers for runkit dora
  runkit deploy mark --service checkout --version 1.4.2 >> deployments.jsonl`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(m.Environment) == "" {
				// A marker without an environment never matches dora
				// --env production, and no one means that by --env "".
				return usageErrorf("--env %q is empty: name the environment deployed to, such as production (its default)", m.Environment)
			}
			var err error
			if m.Start, err = flagTime("start", start); err != nil {
				return err
			}
			if m.End, err = flagTime("end", end); err != nil {
				return err
			}
			if m.CommitTime, err = flagTime("commit-time", commitTime); err != nil {
				return err
			}
			if !m.CommitTime.IsZero() {
				switch {
				case m.Start.IsZero() && m.CommitTime.After(time.Now()):
					return usageErrorf("--commit-time %s is after the deployment's start (--start, default now): a deployment cannot precede its commit", commitTime)
				case !m.Start.IsZero() && m.CommitTime.After(m.Start):
					return usageErrorf("--commit-time %s is after the deployment's start (--start) %s: a deployment cannot precede its commit", commitTime, start)
				}
			}
			if err := m.Validate(); err != nil {
				return markerError(err)
			}
			if maxAttempts < 1 {
				return usageErrorf("--attempts %d: want 1 or more", maxAttempts)
			}
			if timeout <= 0 {
				return usageErrorf("--timeout %v: want a positive duration", timeout)
			}
			return mark(cmd.Context(), m, sinks, timeout, maxAttempts, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := c.Flags()
	f.StringVar(&m.Service, "service", "", "service deployed (required)")
	f.StringVar(&m.Version, "version", "", "version deployed")
	f.StringVar(&m.Revision, "revision", "", "VCS revision deployed (runkit dora --git reads lead time from it)")
	f.StringVar(&commitTime, "commit-time", "", "when the revision was committed, RFC 3339: the lead time runkit dora reads without --git")
	f.StringVar(&m.Repository, "repository", "", "repository URL")
	f.StringVar(&m.Environment, "env", "production", "environment deployed to")
	f.StringVar(&m.Description, "description", "", "one line on what changed")
	f.StringVar(&m.URL, "url", "", "link to the pipeline run or release notes")
	f.StringVar(&m.ID, "id", "", "deployment ID (default: deploy.ID of service, env, version and revision, the same for every run of one deployment)")
	f.BoolVar(&m.Failed, "failed", false, "the deployment failed or was rolled back")
	f.StringVar(&start, "start", "", "when the deployment started, RFC 3339 (default: now)")
	f.StringVar(&end, "end", "", "when it finished, RFC 3339 (default: --start)")
	f.StringSliceVar(&sinks, "sink", []string{"stdout"}, "where to mark: "+strings.Join(sinkNames, ", "))
	f.DurationVar(&timeout, "timeout", 30*time.Second, "bound on marking, retries included")
	f.IntVar(&maxAttempts, "attempts", 4, "attempts per sink for temporary failures")
	c.MarkFlagRequired("service")
	c.RegisterFlagCompletionFunc("sink", func(_ *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return sinkNames, cobra.ShellCompDirectiveNoFileComp
	})
	return c
}

// markerFlags are the flags of deploy mark that set each field of
// deploy.Marker that Validate may name.
var markerFlags = map[string]string{"Service": "--service", "Environment": "--env", "Version": "--version",
	"Revision": "--revision", "ID": "--id", "End": "--end", "Start": "--start", "CommitTime": "--commit-time", "URL": "--url"}

// markerError is a usage error for a marker that does not validate,
// naming the flag of the field at fault.
func markerError(err error) error {
	if errors.Is(err, deploy.ErrUnidentified) {
		return usageErrorf("set --version, --revision or --id: %v", err)
	}
	field, _, _ := strings.Cut(strings.TrimPrefix(err.Error(), "deploy: marker "), " ")
	if flag, ok := markerFlags[field]; ok {
		return usageErrorf("%s: %v", flag, err)
	}
	return usageErrorf("%v", err)
}

// flagTime parses an RFC 3339 time flag; empty is the zero time.
func flagTime(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, usageErrorf("--%s %q: want an RFC 3339 time such as 2026-05-01T14:03:00Z", name, v)
	}
	return t, nil
}

func mark(ctx context.Context, m deploy.Marker, names []string, timeout time.Duration, attempts int, stdout, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	sinks, closeSinks, err := markSinks(ctx, m, names, stdout)
	if err != nil {
		return err
	}
	defer closeSinks()
	var mu sync.Mutex // serializes the report lines
	a := &deploy.Announcer{Sinks: sinks, MaxAttempts: attempts, OnResult: func(r deploy.Result) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.Err != nil && r.Attempts == 0:
			// Cut off by the timeout before its first attempt returned.
			fmt.Fprintf(stderr, "%s: failed: %v\n", r.Sink, r.Err)
			return
		case r.Err != nil:
			fmt.Fprintf(stderr, "%s: failed after %s: %v\n", r.Sink, plural(r.Attempts, "attempt"), r.Err)
			return
		}
		fmt.Fprintf(stderr, "%s: marked %s after %s\n", r.Sink, r.Marker.ID, plural(r.Attempts, "attempt"))
	}}
	results, err := a.Announce(ctx, m)
	if err != nil {
		failed := 0
		for _, r := range results {
			if r.Err != nil {
				failed++
			}
		}
		return externalErrorf("%d of %s failed", failed, plural(len(results), "sink"))
	}
	return nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// markSinks makes the sinks named, reading their configuration from the
// environment. close releases what they hold.
func markSinks(ctx context.Context, m deploy.Marker, names []string, stdout io.Writer) (_ []deploy.Sink, _ func(), err error) {
	var sinks []deploy.Sink
	var closers []func()
	closeAll := func() {
		for _, c := range closers {
			c()
		}
	}
	defer func() {
		if err != nil {
			closeAll()
		}
	}()
	var seen []string
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		if slices.Contains(seen, n) {
			continue
		}
		seen = append(seen, n)
		var s deploy.Sink
		switch n {
		case "stdout":
			s = namedSink{deploy.Writer(stdout), "stdout"}
		case "grafana":
			var v []string
			if v, err = requireEnv("GRAFANA_URL", "GRAFANA_TOKEN"); err == nil {
				s, err = deploy.Grafana(deploy.GrafanaConfig{URL: v[0], Token: deploy.Secret(v[1]), DashboardUID: env("GRAFANA_DASHBOARD_UID")})
			}
		case "honeycomb":
			var v []string
			if v, err = requireEnv("HONEYCOMB_KEY"); err == nil {
				s, err = deploy.Honeycomb(deploy.HoneycombConfig{Key: deploy.Secret(v[0]), Dataset: env("HONEYCOMB_DATASET"), URL: env("HONEYCOMB_API_ENDPOINT")})
			}
		case "datadog":
			var v []string
			if v, err = requireEnv("DD_API_KEY"); err == nil {
				cfg := deploy.DatadogConfig{APIKey: deploy.Secret(v[0]), URL: env("DD_API_URL")}
				if cfg.URL == "" {
					cfg.Site = env("DD_SITE")
				}
				s, err = deploy.Datadog(cfg)
			}
		case "webhook":
			var v []string
			if v, err = requireEnv("DEPLOY_WEBHOOK_URL"); err == nil {
				cfg := deploy.WebhookConfig{URL: v[0]}
				if tok := env("DEPLOY_WEBHOOK_TOKEN"); tok != "" {
					cfg.Secrets = map[string]deploy.Secret{"Authorization": deploy.Secret("Bearer " + tok)}
				}
				s, err = deploy.Webhook(cfg)
			}
		case "otel":
			var flush func()
			s, flush, err = otelSink(ctx, m)
			if flush != nil {
				closers = append(closers, flush)
			}
		case "":
			return nil, nil, usageErrorf("--sink: empty sink name in %q", strings.Join(names, ","))
		default:
			return nil, nil, usageErrorf("--sink %q: unknown sink; want %s", n, strings.Join(sinkNames, ", "))
		}
		if err != nil {
			return nil, nil, usageErrorf("--sink %s: %s", n, envNames.Replace(err.Error()))
		}
		sinks = append(sinks, s)
	}
	return sinks, closeAll, nil
}

// envNames turns the config fields that deploy's sink errors name into
// the environment variables deploy mark reads them from.
var envNames = strings.NewReplacer(
	`deploy: GrafanaConfig.URL`, `GRAFANA_URL`,
	`deploy: HoneycombConfig.URL`, `HONEYCOMB_API_ENDPOINT`,
	`deploy: DatadogConfig.URL`, `DD_API_URL`,
	`deploy: DatadogConfig.Site`, `DD_SITE`,
	`deploy: WebhookConfig.URL`, `DEPLOY_WEBHOOK_URL`,
)

// env reads a variable, trimmed: a token pasted with a newline still works.
func env(name string) string { return strings.TrimSpace(os.Getenv(name)) }

// requireEnv reads the variables a sink needs, and names every one that
// is not set.
func requireEnv(names ...string) ([]string, error) {
	vals := make([]string, len(names))
	var missing []string
	for i, n := range names {
		if vals[i] = env(n); vals[i] == "" {
			missing = append(missing, n)
		}
	}
	switch len(missing) {
	case 0:
		return vals, nil
	case 1:
		return nil, fmt.Errorf("%s is not set (see runkit deploy mark --help)", missing[0])
	}
	return nil, fmt.Errorf("%s are not set (see runkit deploy mark --help)", strings.Join(missing, " and "))
}

// otelSink sends the marker through an OpenTelemetry SDK set up from the
// OTEL_* environment. Its Send flushes the span, so that an export failure
// is the sink's failure; the returned func shuts the SDK down.
func otelSink(ctx context.Context, m deploy.Marker) (deploy.Sink, func(), error) {
	tel, err := telemetry.Setup(ctx,
		telemetry.WithServiceName(m.Service), telemetry.WithServiceVersion(m.Version), telemetry.WithEnvironment(m.Environment),
		telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics(), telemetry.WithMetricsExporter("none"))
	if err != nil {
		return nil, nil, err
	}
	shutdown := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		tel.Shutdown(ctx)
	}
	tp, ok := tel.TracerProvider.(*sdktrace.TracerProvider)
	if !ok || !tel.TracesExported() {
		shutdown()
		return nil, nil, fmt.Errorf("no trace exporter: set OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_TRACES_EXPORTER)")
	}
	inner := deploy.OTel(deploy.OTelConfig{TracerProvider: tp, LoggerProvider: tel.LoggerProvider})
	return flushingSink{inner, tp.ForceFlush}, shutdown, nil
}

// namedSink is a sink reported under the name --sink gave it.
type namedSink struct {
	deploy.Sink
	name string
}

func (s namedSink) Name() string { return s.name }

type flushingSink struct {
	deploy.Sink
	flush func(context.Context) error
}

func (s flushingSink) Send(ctx context.Context, m deploy.Marker) error {
	if err := s.Sink.Send(ctx, m); err != nil {
		return err
	}
	return s.flush(ctx)
}
