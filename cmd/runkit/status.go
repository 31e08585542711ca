package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/ybiyri/runkit/deploy"
	"github.com/ybiyri/runkit/slo"
)

func newStatus() *cobra.Command {
	var (
		out     format
		timeout time.Duration
		prom    promFlags
	)
	c := &cobra.Command{
		Use:   "status (URL... | --prometheus URL --slo NAME...)",
		Short: "Budget remaining, burn rates and firing tiers of running services",
		Long: `Status reads the /slo JSON of each service (what slo.Tracker's Handler
serves: one objective, or an array of them) and prints, per objective, the
SLI, the budget remaining, two burn rates, when the budget runs out, and
which burn-rate tiers fire, with the reasons of the firing ones. An
objective whose tracker has observed only part of its window (it restarted
within it) is named below the table with how much it observed: its budget
is judged against the events the whole window would hold at the observed
rate.

WINDOW BURN is the burn rate over the whole window so far (burnRate in the
JSON): 1 spends the budget exactly over the window. RECENT BURN is the
burn rate over the recent window in brackets (recentBurnRate over
recentWindow, the shortest tier's long window, 1h by default): the pace of
the burn going on now. EXHAUSTS IN projects the remaining budget at the
recent burn rate, so it reads "never at the 1h burn rate" when the last
hour had no bad events, however much the window has burned, and "spent"
once the budget is.

It exits 2 when any page-severity tier fires, so it can be a pipeline step
or a cron check, and 3 when a service cannot be read or does not answer
with the /slo JSON (the others are still printed). All services are read
at once, within --timeout.

A URL is shown as deploy.RedactURL writes it: scheme, host and port, and
the path only where it is a known API path such as /slo, since a path,
a query or a userinfo may carry a token. When two URLs read alike so,
errors and the table add which of the URLs given it is: (URL 2 of 3).

` + promFlagsHelp,
		Example: `  # Is checkout burning its budget?
  runkit slo status https://checkout.internal/slo

  # Several services, as JSON
  runkit slo status http://a:8080/slo http://b:8080/slo -o json

  # The fleet's view of checkout, from Prometheus
  runkit slo status --prometheus http://prometheus:9090 --slo checkout

  # A cron check that pages only on a page tier
  runkit slo status "$SLO_URL" >/dev/null || alert "exit $?"`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && cmd.Flags().Changed("prometheus") {
				return nil
			}
			return urlArgs(cmd, args)
		},
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if timeout <= 0 {
				return usageErrorf("--timeout %v: want a positive duration", timeout)
			}
			promSources, promClient, err := prom.sources(cmd.Flags())
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			// The services and Prometheus at once.
			var promResults []sloStatus
			var wg sync.WaitGroup
			wg.Go(func() { promResults = fetchPrometheusReports(ctx, promClient, promSources) })
			results := fetchAll(ctx, args)
			wg.Wait()
			results = append(results, promResults...)
			if out == jsonFormat {
				if err := writeJSON(cmd.OutOrStdout(), results); err != nil {
					return err
				}
			} else if err := statusTable(cmd.OutOrStdout(), results); err != nil {
				return err
			}
			return statusVerdict(results)
		},
	}
	addOutputFlag(c, &out)
	c.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "bound on reading every service")
	prom.add(c.Flags())
	return c
}

// urlArgs requires at least one argument, each an http or https URL.
func urlArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return argErrorf("%s needs at least one URL", cmd.CommandPath())
	}
	for _, a := range args {
		if err := checkHTTPURL(a); err != nil {
			return argErrorf("URL %q: %v", deploy.RedactURL(a), err)
		}
	}
	return nil
}

func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case looksLikeHost(s):
		return fmt.Errorf("want an http or https URL: did you mean %q?", deploy.RedactURL("http://"+s))
	case err != nil:
		return errors.Unwrap(err)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("want an http or https URL")
	case u.Host == "":
		return fmt.Errorf("has no host")
	}
	return nil
}

// looksLikeHost reports whether s is a URL written without its scheme: a
// host and port, as localhost:8080/slo.
func looksLikeHost(s string) bool {
	return !strings.Contains(s, "://") && hostPort.MatchString(s)
}

var hostPort = regexp.MustCompile(`^[A-Za-z0-9.\-]+:[0-9]+(/|$)`)

// sloStatus is what one /slo URL answered.
type sloStatus struct {
	URL        string              `json:"url"`
	Objectives []slo.TrackerStatus `json:"objectives"`
	// Error says why the URL could not be read; empty when it was.
	Error string `json:"error,omitempty"`

	err error
	// name is how the table and errors show URL: with which of the URLs
	// given it is when two read alike (see shownURLs); empty means URL.
	name string
}

// shownName is how the table and errors show s's URL.
func (s sloStatus) shownName() string {
	if s.name != "" {
		return s.name
	}
	return s.URL
}

// fetchAll reads every URL at once and returns the statuses in the order
// of urls.
func fetchAll(ctx context.Context, urls []string) []sloStatus {
	out := make([]sloStatus, len(urls))
	shown := shownURLs(urls)
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Go(func() {
			reports, err := fetchReports(ctx, u, shown[i])
			out[i] = sloStatus{URL: deploy.RedactURL(u), Objectives: reports, err: err, name: shown[i]}
			if err != nil {
				out[i].Error = err.Error()
			}
		})
	}
	wg.Wait()
	return out
}

// maxStatusBody bounds the /slo answer read, as deploy.FetchSLOStatus
// bounds it for the gate: a report is about 2 KB.
const maxStatusBody = 8 << 20

// shownURLs is how errors show each of urls: as deploy.RedactURL writes
// it, since a URL may carry a token in its path, its query or its
// userinfo; and, when two of them read alike so (as two paths on one host
// do), followed by which of the URLs it is, "(URL 2 of 3)", so that the
// error says which one failed without showing the path.
func shownURLs(urls []string) []string {
	out := make([]string, len(urls))
	count := map[string]int{}
	for i, u := range urls {
		out[i] = deploy.RedactURL(u)
		count[out[i]]++
	}
	for i := range out {
		if count[out[i]] > 1 {
			out[i] += fmt.Sprintf(" (URL %d of %d)", i+1, len(urls))
		}
	}
	return out
}

// fetchReports reads the /slo JSON at rawURL: one slo.TrackerStatus or an
// array. Its errors show the URL as u, what shownURLs made of it: a
// status URL may carry a token.
func fetchReports(ctx context.Context, rawURL, u string) ([]slo.TrackerStatus, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %v", u, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		// The *url.Error's own text holds the URL whole.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxStatusBody+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: reading the answer: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", u, resp.Status, snippet(body))
	}
	if len(body) > maxStatusBody {
		return nil, fmt.Errorf("GET %s: answer is over %d bytes", u, maxStatusBody)
	}
	reports, err := parseReports(body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	return reports, nil
}

// parseReports reads the /slo JSON with deploy.ReadSLOStatus, the parser
// the gate reads it with, into the statuses the table and -o json show,
// and rejects JSON that is not a runkit /slo status: no objective, a
// target outside (0, 1) or a window slo.ParseWindow does not read.
func parseReports(body []byte) ([]slo.TrackerStatus, error) {
	statuses, err := deploy.ReadSLOStatus(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("not the /slo JSON: %v (starts %s)", err, snippet(body))
	}
	if len(statuses) == 0 {
		return nil, fmt.Errorf("the /slo JSON holds no objective")
	}
	for i, s := range statuses {
		switch {
		case s.Target <= 0 || s.Target >= 1:
			return nil, fmt.Errorf("objective %d (%q) is not a runkit /slo status: target %v", i+1, s.Objective, s.Target)
		case s.Period == (slo.Window{}):
			return nil, fmt.Errorf("objective %d (%q) is not a runkit /slo status: its window is missing or not one slo.ParseWindow reads", i+1, s.Objective)
		}
	}
	return statuses, nil
}

// windowText writes w as the /slo JSON does and slo.ParseWindow reads it:
// "30d", or "month" for a calendar window.
func windowText(w slo.Window) string {
	if w.Calendar == slo.NotCalendar {
		return slo.FormatDuration(w.Rolling)
	}
	return w.Calendar.String()
}

// snippet is the start of a body, on one line, for an error.
func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return fmt.Sprintf("%q", s)
}

func statusTable(w io.Writer, results []sloStatus) error {
	rows := 0
	for _, s := range results {
		rows += len(s.Objectives)
	}
	if rows == 0 {
		// Every service failed: the errors say so, with no empty table.
		return nil
	}
	tw := newTable(w)
	row(tw, "URL", "OBJECTIVE", "TARGET", "WINDOW", "SLI", "REMAINING", "WINDOW BURN", "RECENT BURN", "EXHAUSTS IN", "FIRING")
	var reasons, observed []string
	for _, s := range results {
		for _, r := range s.Objectives {
			obj := r.Objective // and the route, for per-route objectives
			if r.Route != "" {
				obj += " " + r.Route
			}
			sli, remaining, burn, recent, exhausts := "no data", percent(r.Remaining), "-", "-", "never"
			if !r.NoData {
				sli, burn = percent(r.SLI), num(r.BurnRate)
				// A service of an older runkit reports no recent window.
				if r.RecentWindow != 0 {
					rw := slo.FormatDuration(r.RecentWindow)
					recent = fmt.Sprintf("%s (%s)", num(r.RecentBurnRate), rw)
					exhausts = "never at the " + rw + " burn rate"
				}
			}
			switch {
			case !r.NoData && r.Remaining <= 0:
				exhausts = "spent" // as the page says: it ran out, it does not run out in 0s
			case r.ExhaustsIn != slo.Forever:
				exhausts = human(r.ExhaustsIn.Round(time.Second))
			}
			var firing []string
			for _, t := range r.Tiers {
				if t.Firing {
					name := fmt.Sprintf("%s %s/%s", t.Tier.Severity, slo.FormatDuration(t.Tier.Long), slo.FormatDuration(t.Tier.ShortWindow()))
					firing = append(firing, name)
					reasons = append(reasons, fmt.Sprintf("%s %s: %s", obj, name, t.Reason))
				}
			}
			f := "-"
			if len(firing) > 0 {
				f = strings.Join(firing, ", ")
			}
			row(tw, s.shownName(), obj, targetPercent(r.Target), windowText(r.Period), sli, remaining, burn, recent, exhausts, f)
			if r.ObservedShare < 1 && !r.NoData {
				observed = append(observed, fmt.Sprintf("%s: observed %s of the %s window (%s), since the service started; the budget is judged against the events the whole window would hold at the observed rate",
					obj, human(r.Observed), windowText(r.Period), percent(r.ObservedShare)))
			}
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, lines := range [][]string{observed, reasons} {
		if len(lines) > 0 {
			fmt.Fprintln(w)
			for _, l := range lines {
				fmt.Fprintln(w, l)
			}
		}
	}
	return nil
}

// statusVerdict is exit 3 when a service could not be read, else 2 when
// a page tier fires.
func statusVerdict(results []sloStatus) error {
	var failed, paging []string
	for _, s := range results {
		if s.err != nil {
			failed = append(failed, s.err.Error())
		}
		for _, r := range s.Objectives {
			for _, t := range r.Tiers {
				if t.Firing && t.Tier.Severity == slo.Page {
					paging = append(paging, fmt.Sprintf("%s (%s)", r.Objective, s.shownName()))
					break
				}
			}
		}
	}
	switch {
	case len(failed) > 0:
		return externalErrorf("%s", strings.Join(failed, "; "))
	case len(paging) > 0:
		return policyErrorf("page tier firing: %s", strings.Join(paging, ", "))
	}
	return nil
}
