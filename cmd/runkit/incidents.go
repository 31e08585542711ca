package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ybiyri/runkit/deploy"
	"github.com/ybiyri/runkit/incident"
)

const incidentsServeLong = `serve runs a receiver for Alertmanager's webhook (payload version 4) that
turns runkit's SLO burn-rate alerts into incident records, the JSON lines
runkit dora --incidents, timeline and postmortem read.

An alert is runkit's when its alertname is SLOErrorBudgetBurn and it has
an slo label (what runkit slo rules writes); any other is ignored and
counted in the log. The first firing alert of an SLO, service and
environment (the labels service and environment, see --service-label)
opens an incident; it is restored when the last of its alerts resolves,
at that alert's end. Resends change nothing: alerts are known by their
fingerprint and start.

Every change is appended to --file as the incident's whole record and
synced to disk before Alertmanager gets its 200; the last line of an id is
the incident. Restarted on the same file, the receiver carries on where it
stopped.

With --deployments, an incident is attributed to the last deployment of
its service and environment that started before it, within --lookback:
its id becomes the incident's cause, and runkit dora counts it failed.
--file naming the --deployments file (by any path or link) is exit 1.

The receiver takes a bearer token, from the environment variable
RUNKIT_INCIDENTS_TOKEN, compared in constant time; Alertmanager sends it
with
  http_config:
    authorization:
      credentials_file: /etc/alertmanager/runkit-token
Without a token it refuses to start unless --trusted-network says that
nothing but Alertmanager can reach it.

It stops on SIGINT or SIGTERM, finishing the requests under way.`

func newIncidents() *cobra.Command {
	var (
		listen, file, deployments string
		serviceLabel, envLabel    string
		trusted                   bool
		lookback                  time.Duration
		maxPayload                int64
	)
	serve := &cobra.Command{
		Use:   "serve --listen ADDR --file incidents.jsonl [--deployments FILE]",
		Short: "Receive Alertmanager's notifications of runkit's SLO alerts as incident records",
		Long:  incidentsServeLong,
		Example: `  RUNKIT_INCIDENTS_TOKEN=$(cat /etc/alertmanager/runkit-token) \
    runkit incidents serve --listen 127.0.0.1:9095 --file incidents.jsonl \
      --deployments deployments.jsonl`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if listen == "" || file == "" {
				return argErrorf("%s needs --listen and --file", cmd.CommandPath())
			}
			if in, ok := sameAsInput(file, []string{deployments}); ok {
				return usageErrorf("--file %s: is the --deployments file %s: incident records would be appended to the deployments read; give --file a file of its own", file, in)
			}
			logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			r, err := incident.NewReceiver(incident.ReceiverConfig{
				File:             file,
				Token:            deploy.Secret(env("RUNKIT_INCIDENTS_TOKEN")),
				TrustedNetwork:   trusted,
				Deployments:      deployments,
				Lookback:         lookback,
				ServiceLabel:     serviceLabel,
				EnvironmentLabel: envLabel,
				MaxPayload:       maxPayload,
				Logger:           logger,
			})
			if errors.Is(err, incident.ErrNoToken) {
				return usageErrorf("no RUNKIT_INCIDENTS_TOKEN in the environment: set it, or say --trusted-network when only Alertmanager can reach %s", listen)
			}
			if err != nil {
				return usageErrorf("%s", strings.TrimPrefix(err.Error(), "incident: "))
			}
			defer r.Close()
			l, err := net.Listen("tcp", listen)
			if err != nil {
				return usageErrorf("--listen %s: %v", listen, err)
			}
			srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
			logger.Info("receiving Alertmanager notifications", "addr", l.Addr().String(), "file", file, "open", countOpen(r.Records()))
			done := make(chan error, 1)
			go func() { done <- srv.Serve(l) }()
			select {
			case err := <-done:
				return externalErrorf("serving %s: %v", listen, err)
			case <-cmd.Context().Done():
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err = srv.Shutdown(ctx)
			<-done
			logger.Info("stopped", "ignored alerts", r.Ignored())
			if err != nil {
				return externalErrorf("shutting down: %v", err)
			}
			return nil
		},
	}
	f := serve.Flags()
	f.StringVar(&listen, "listen", "", "address to listen on, such as 127.0.0.1:9095")
	f.StringVar(&file, "file", "", "the incident file, JSON lines, appended to")
	f.StringVar(&deployments, "deployments", "", "JSON lines of deployment markers, to attribute incidents to deployments")
	f.DurationVar(&lookback, "lookback", incident.DefaultLookback, "how long before an incident its deployment may be")
	f.BoolVar(&trusted, "trusted-network", false, "accept requests with no token: only Alertmanager can reach the address")
	f.StringVar(&serviceLabel, "service-label", "service", "the alert label that names the service")
	f.StringVar(&envLabel, "environment-label", "environment", "the alert label that names the environment")
	f.Int64Var(&maxPayload, "max-payload", incident.DefaultMaxPayload, "largest payload accepted, in bytes")
	serve.MarkFlagFilename("file", "jsonl")
	serve.MarkFlagFilename("deployments", "jsonl")
	return group("incidents", "Incident records from Alertmanager's notifications",
		"incidents runs the receiver that turns runkit's SLO alerts into the incident\nrecords runkit dora, timeline and postmortem read.",
		`  runkit incidents serve --listen 127.0.0.1:9095 --file incidents.jsonl --trusted-network`, serve)
}

func countOpen(recs []incident.Record) int {
	n := 0
	for _, r := range recs {
		if r.Open() {
			n++
		}
	}
	return n
}
