package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/pflag"

	"github.com/ybiyri/runkit/deploy"
	"github.com/ybiyri/runkit/slo"
)

// promFlags are the flags that read SLO statuses from Prometheus, the same
// on deploy gate and slo status.
type promFlags struct {
	url          string
	slos         []string
	labels       map[string]string
	tokenFile    string
	tokenEnv     string
	user         string
	passwordFile string
	passwordEnv  string
	caFile       string
	severity     map[string]string
}

const promFlagsHelp = `With --prometheus, the statuses come from the series the rules of
"runkit slo rules" record in Prometheus, every replica's events summed
over the whole window Prometheus holds, rather than from one replica's
/slo: --slo names each objective (repeatable), --label selects among its
series (team=payments, or a label the rules keep, region=eu; every value
kept is an objective of its own otherwise), and --severity is the mapping
the rules were written with (page=critical), needed only for rules written
before their alerts carried slo_severity: an alert whose tier the gate
cannot tell reads as a page. For a Prometheus behind a
proxy: --bearer-token-file or --bearer-token-env (the name of a variable
holding the token), --basic-auth-user with --basic-auth-password-file or
--basic-auth-password-env, and --ca-file for a certificate authority of
its own. An objective whose rules record no error ratio over its window
(no events) has no data; one Prometheus has no rules for, or a Prometheus
that cannot be read, is exit 3.`

func (p *promFlags) add(f *pflag.FlagSet) {
	f.StringVar(&p.url, "prometheus", "", "read the statuses from this Prometheus, as http://prometheus:9090, with --slo")
	f.StringArrayVar(&p.slos, "slo", nil, "with --prometheus: the name of an objective, its slo label (repeatable)")
	f.Var(newMappingFlag(&p.labels), "label", "with --prometheus: select the objectives' series by label, such as region=eu (repeatable)")
	f.StringVar(&p.tokenFile, "bearer-token-file", "", "with --prometheus: a file holding the bearer token")
	f.StringVar(&p.tokenEnv, "bearer-token-env", "", "with --prometheus: the environment variable holding the bearer token")
	f.StringVar(&p.user, "basic-auth-user", "", "with --prometheus: the user for basic auth")
	f.StringVar(&p.passwordFile, "basic-auth-password-file", "", "with --prometheus: a file holding the basic auth password")
	f.StringVar(&p.passwordEnv, "basic-auth-password-env", "", "with --prometheus: the environment variable holding the basic auth password")
	f.StringVar(&p.caFile, "ca-file", "", "with --prometheus: PEM certificates of the authorities to trust for its TLS")
	f.Var(newMappingFlag(&p.severity), "severity", "with --prometheus: the severity label of each tier's alerts the rules were written with, such as page=critical")
}

// secret reads a secret from a file (trailing newline dropped) or from
// an environment variable, as flag names it.
func secret(fileFlag, file, envFlag, env string) (deploy.Secret, error) {
	switch {
	case file != "" && env != "":
		return "", fmt.Errorf("--%s and --%s: give one", fileFlag, envFlag)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("--%s: %v", fileFlag, err)
		}
		s := strings.TrimRight(string(b), "\r\n")
		if s == "" {
			return "", fmt.Errorf("--%s %s: the file is empty", fileFlag, file)
		}
		return deploy.Secret(s), nil
	case env != "":
		s, ok := os.LookupEnv(env)
		if !ok || s == "" {
			return "", fmt.Errorf("--%s %s: the variable is not set, or empty", envFlag, env)
		}
		return deploy.Secret(s), nil
	}
	return "", nil
}

// sources checks the flags and returns one source per --slo, and the
// client to read them with. Bad flags are exit 1.
func (p *promFlags) sources(f *pflag.FlagSet) ([]deploy.PrometheusSource, *http.Client, error) {
	if p.url == "" {
		for _, name := range []string{"slo", "label", "bearer-token-file", "bearer-token-env", "basic-auth-user", "basic-auth-password-file", "basic-auth-password-env", "ca-file"} {
			if f.Changed(name) {
				return nil, nil, usageErrorf("--%s goes with --prometheus", name)
			}
		}
		return nil, nil, nil
	}
	if err := checkHTTPURL(p.url); err != nil {
		return nil, nil, usageErrorf("--prometheus %q: %v", deploy.RedactURL(p.url), err)
	}
	if len(p.slos) == 0 {
		return nil, nil, usageErrorf("--prometheus needs --slo: the name of each objective to read")
	}
	token, err := secret("bearer-token-file", p.tokenFile, "bearer-token-env", p.tokenEnv)
	if err != nil {
		return nil, nil, usageErrorf("%v", err)
	}
	password, err := secret("basic-auth-password-file", p.passwordFile, "basic-auth-password-env", p.passwordEnv)
	if err != nil {
		return nil, nil, usageErrorf("%v", err)
	}
	switch {
	case password != "" && p.user == "":
		return nil, nil, usageErrorf("a basic auth password needs --basic-auth-user")
	case token != "" && p.user != "":
		return nil, nil, usageErrorf("--basic-auth-user and a bearer token: give one way to sign in")
	}
	severity := map[slo.Severity]string{}
	for _, k := range slices.Sorted(maps.Keys(p.severity)) {
		v := p.severity[k]
		switch {
		case k != string(slo.Page) && k != string(slo.Ticket):
			return nil, nil, usageErrorf("--severity %s=%s: %q is not a tier severity; want page or ticket", k, v, k)
		case v == "":
			return nil, nil, usageErrorf("--severity %s=: the label value is empty; give the severity label the rules were written with, such as %s=critical", k, k)
		}
		for other, ov := range severity {
			if ov == v {
				return nil, nil, usageErrorf("--severity %s=%s and %s=%s: one label cannot tell the tiers apart; give each tier its own", other, ov, k, v)
			}
		}
		severity[slo.Severity(k)] = v
	}
	for _, k := range slices.Sorted(maps.Keys(p.labels)) {
		if !selectableLabel(k) {
			return nil, nil, usageErrorf("--label %s=%s: %q is not a label to select by; want a Prometheus label name (letters, digits and underscores, not starting with a digit) other than slo", k, p.labels[k], k)
		}
	}
	client := http.DefaultClient
	if p.caFile != "" {
		pem, err := os.ReadFile(p.caFile)
		if err != nil {
			return nil, nil, usageErrorf("--ca-file: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, nil, usageErrorf("--ca-file %s: no PEM certificate in it", p.caFile)
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		client = &http.Client{Transport: tr}
	}
	var out []deploy.PrometheusSource
	for _, name := range p.slos {
		if name == "" {
			return nil, nil, usageErrorf("--slo is empty: give the name of an objective, the slo label of its series")
		}
		if slices.ContainsFunc(out, func(s deploy.PrometheusSource) bool { return s.SLO == name }) {
			return nil, nil, usageErrorf("--slo %q is given twice", name)
		}
		out = append(out, deploy.PrometheusSource{URL: p.url, SLO: name, Labels: p.labels,
			BearerToken: token, Username: p.user, Password: password, Severity: severity})
	}
	return out, client, nil
}

// fetchPrometheus reads every source at once. Any that fails is exit 3.
func fetchPrometheus(ctx context.Context, client *http.Client, srcs []deploy.PrometheusSource) ([][]slo.TrackerStatus, []error) {
	out := make([][]slo.TrackerStatus, len(srcs))
	errs := make([]error, len(srcs))
	var wg sync.WaitGroup
	for i, src := range srcs {
		wg.Go(func() {
			var err error
			if out[i], err = deploy.FetchPrometheusSLOStatus(ctx, client, src); err != nil {
				errs[i] = externalErrorf("%v", err)
			}
		})
	}
	wg.Wait()
	return out, errs
}

// fetchPrometheusReports reads every source at once, as slo status shows
// them: one row per source, named by the Prometheus URL.
func fetchPrometheusReports(ctx context.Context, client *http.Client, srcs []deploy.PrometheusSource) []sloStatus {
	statuses, errs := fetchPrometheus(ctx, client, srcs)
	out := make([]sloStatus, len(srcs))
	for i, src := range srcs {
		out[i] = sloStatus{URL: deploy.RedactURL(src.URL), Objectives: []slo.TrackerStatus{}}
		if errs[i] != nil {
			out[i].err, out[i].Error = errs[i], errs[i].Error()
			continue
		}
		out[i].Objectives = append(out[i].Objectives, statuses[i]...)
	}
	return out
}

// selectableLabel reports whether --label may select by k: a Prometheus
// label name, not slo (which --slo gives) nor one of Prometheus's own.
func selectableLabel(k string) bool {
	if k == "" || k == "slo" || strings.HasPrefix(k, "__") {
		return false
	}
	for i, r := range k {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
