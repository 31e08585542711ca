// Command deploymarker shows the deploy package in a pipeline program
// written in Go: ask the error-budget gate whether the deployment may go
// ahead, then mark it. The runkit command does the same, with every sink
// and option, without writing a program:
//
//	runkit deploy gate --slo-status https://checkout.internal/slo
//	runkit deploy mark --service checkout --version 1.4.2 --sink grafana,stdout
//
// This program takes the service and version as arguments and the rest
// from the environment: SLO_URL, the service's /slo (required), and
// GRAFANA_URL with GRAFANA_TOKEN to mark Grafana too; the marker always
// goes to standard output as a JSON line.
//
//	SLO_URL=https://checkout.internal/slo go run ./examples/deploymarker checkout 1.4.2
//
// It exits as runkit does: 0 marked, 1 a usage or configuration error,
// 2 frozen by the budget policy, 3 an external system failed.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ybiyri/runkit/deploy"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) != 2 || getenv("SLO_URL") == "" {
		fmt.Fprintln(stderr, "usage: SLO_URL=https://service/slo deploymarker SERVICE VERSION")
		return 1
	}
	m := deploy.Marker{Service: args[0], Version: args[1], Environment: "production", Revision: getenv("GIT_COMMIT")}

	// The sinks first, so that a configuration error is not taken for a
	// freeze.
	sinks := []deploy.Sink{deploy.Writer(stdout)}
	if u := getenv("GRAFANA_URL"); u != "" {
		grafana, err := deploy.Grafana(deploy.GrafanaConfig{URL: u, Token: deploy.Secret(getenv("GRAFANA_TOKEN"))})
		if err != nil {
			fmt.Fprintln(stderr, err) // the URL redacted, the token never shown
			return 1
		}
		sinks = append(sinks, grafana)
	}

	// A slow service or vendor cannot hold the pipeline beyond this.
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()

	statuses, err := deploy.FetchSLOStatus(ctx, nil, getenv("SLO_URL"))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 3 // cannot judge the budget: no deploy
	}
	decision := deploy.Gate{}.Decide(deploy.Request{}, statuses...)
	fmt.Fprintln(stderr, decision)
	if !decision.Allow {
		return 2
	}

	announcer := &deploy.Announcer{Sinks: sinks, OnResult: func(r deploy.Result) {
		if r.Err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", r.Sink, r.Err)
		}
	}}
	if _, err := announcer.Announce(ctx, m); err != nil {
		return 3
	}
	return 0
}
