package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/ybiyri/runkit/deploy"
	"github.com/ybiyri/runkit/incident"
	"github.com/ybiyri/runkit/slo"
)

const timelineLong = `timeline merges what several services and the pipeline recorded into one
timeline, oldest first, each event tagged with its service: the /events
journals of the services (--events, one URL a service), the deployment
markers (--deployments) and the incident records (--incidents, what
runkit incidents serve writes).

The timeline spans --window, ending now, or centred on --around.

Clocks: every event keeps the time its own source gave it — a service's
journal its clock, a marker the pipeline's, an incident Prometheus's —
and nothing is shifted to make them agree. Within one service, order is
exact; across services, two events closer than the clocks disagree may
be in either order. The table's header lists how far each service's
clock was from this machine's when it answered (from its Date header, to
the second), so that a reader can tell a skew from a cause.

--html writes the timeline page, one swimlane per service with every
service's deployments as lines across all of them, as dora --html does.

Exit codes: 1 for a bad flag or file, 3 when a service's /events cannot
be read.`

func newTimeline() *cobra.Command {
	var (
		out            format
		eventURLs      []string
		deployFiles    []string
		incidentFiles  []string
		around, window string
		htmlFile       string
		timeout        time.Duration
	)
	c := &cobra.Command{
		Use:   "timeline [--events URL...] [--deployments FILE] [--incidents FILE] [--around TIME] [--window 2h]",
		Short: "Several services' events, deployments and incidents on one timeline",
		Long:  timelineLong,
		Example: `  # The two hours around an incident, as a page
  runkit timeline --events http://checkout:8080/events --events http://quotes:8080/events \
      --deployments deployments.jsonl --incidents incidents.jsonl \
      --around 2026-12-03T02:51:00Z --window 2h --html timeline.html`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(eventURLs)+len(deployFiles)+len(incidentFiles) == 0 {
				return argErrorf("%s needs --events, --deployments or --incidents", cmd.CommandPath())
			}
			for _, u := range eventURLs {
				if err := checkHTTPURL(u); err != nil {
					return usageErrorf("--events %q: %v", deploy.RedactURL(u), err)
				}
			}
			since, until, err := timelineRange(around, window, time.Now())
			if err != nil {
				return err
			}
			if htmlFile == "-" && out == jsonFormat {
				return usageErrorf("--html - and -o json both want standard output: write the page to a file")
			}
			if htmlFile != "" && htmlFile != "-" {
				if err := checkOutputOf("--html", htmlFile, append(slices.Clone(deployFiles), incidentFiles...)); err != nil {
					return err
				}
			}
			tl, sources, err := gatherTimeline(cmd.Context(), eventURLs, deployFiles, incidentFiles, since, until, timeout, cmd.InOrStdin())
			if err != nil {
				return err
			}
			if htmlFile != "" {
				if done, err := writeHTMLFlag(cmd, htmlFile, tl.WriteHTML); done || err != nil {
					return err
				}
			}
			events := tl.Sorted()
			if out == jsonFormat {
				return writeJSON(cmd.OutOrStdout(), timelineOutput{Since: since.UTC(), Until: until.UTC(), Sources: sources, Events: orEmpty(events)})
			}
			return timelineTable(cmd.OutOrStdout(), since, until, sources, events)
		},
	}
	addOutputFlag(c, &out)
	f := c.Flags()
	f.StringArrayVar(&eventURLs, "events", nil, "a service's /events URL (repeatable)")
	f.StringArrayVar(&deployFiles, "deployments", nil, "JSON lines of deployment markers, - for standard input (repeatable)")
	f.StringArrayVar(&incidentFiles, "incidents", nil, "JSON lines of incident records (repeatable)")
	f.StringVar(&around, "around", "", "centre the timeline on this time: 2026-12-03T02:51:00Z (default: end it now)")
	f.StringVar(&window, "window", "2h", "how long the timeline spans: 2h, 90m, 1d")
	f.StringVar(&htmlFile, "html", "", "also write the timeline page to this file (- : the page alone to standard output)")
	f.DurationVar(&timeout, "timeout", 10*time.Second, "bound on reading every service's /events")
	c.MarkFlagFilename("deployments", "jsonl", "json")
	c.MarkFlagFilename("incidents", "jsonl", "json")
	c.MarkFlagFilename("html", "html")
	return c
}

// timelineRange reads --around and --window: the window centred on
// around, or ending at now.
func timelineRange(around, window string, now time.Time) (since, until time.Time, err error) {
	w, err := slo.ParseDuration(window)
	if err != nil || w <= 0 {
		return since, until, usageErrorf("--window %q: want a positive duration such as 2h or 90m", window)
	}
	if around == "" {
		return now.Add(-w), now, nil
	}
	t, err := parseWhen(around)
	if err != nil {
		return since, until, usageErrorf("--around %q: %v", around, err)
	}
	return t.Add(-w / 2), t.Add(w / 2), nil
}

// timelineSource is one service's /events as read.
type timelineSource struct {
	URL     string `json:"url"`
	Service string `json:"service"`
	Events  int    `json:"events"`
	// ClockOffset is the service's clock minus this machine's, from the
	// Date header of its answer, to the second.
	ClockOffset float64 `json:"clockOffsetSeconds"`
}

type timelineOutput struct {
	Since   time.Time        `json:"since"`
	Until   time.Time        `json:"until"`
	Sources []timelineSource `json:"sources"`
	Events  []incident.Event `json:"events"`
}

func orEmpty(e []incident.Event) []incident.Event {
	if e == nil {
		return []incident.Event{}
	}
	return e
}

// gatherTimeline reads every source of the timeline from since to until.
func gatherTimeline(ctx context.Context, urls, deployFiles, incidentFiles []string, since, until time.Time, timeout time.Duration, stdin io.Reader) (incident.Timeline, []timelineSource, error) {
	tl := incident.Timeline{Title: "Timeline", Since: since, Until: until}
	markers, _, err := readMarkerFiles(deployFiles, markerFilter{}, stdin)
	if err != nil {
		return tl, nil, err
	}
	for _, m := range markers {
		tl.Events = append(tl.Events, incident.MarkerEvent(m.Marker))
	}
	records, err := readIncidentRecords(incidentFiles, markerFilter{}, stdin)
	if err != nil {
		return tl, nil, err
	}
	for _, r := range records {
		tl.Events = append(tl.Events, r.Events()...)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	sources := make([]timelineSource, len(urls))
	events := make([][]incident.Event, len(urls))
	errs := make([]error, len(urls))
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Go(func() {
			events[i], sources[i], errs[i] = fetchEvents(ctx, u, since, until)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return tl, nil, externalErrorf("%v", err)
	}
	for _, es := range events {
		tl.Events = append(tl.Events, es...)
	}
	return tl, sources, nil
}

// maxEventsBody bounds one /events answer: a full journal of 10,000
// events is about 3 MB.
const maxEventsBody = 64 << 20

// fetchEvents reads a service's /events from since to until. Events that
// name no service are tagged with the URL's host.
func fetchEvents(ctx context.Context, rawURL string, since, until time.Time) ([]incident.Event, timelineSource, error) {
	shown := deploy.RedactURL(rawURL)
	src := timelineSource{URL: shown}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, src, fmt.Errorf("GET %s: %v", shown, err)
	}
	q := u.Query()
	q.Set("since", since.UTC().Format(time.RFC3339Nano))
	q.Set("until", until.UTC().Format(time.RFC3339Nano))
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, src, fmt.Errorf("GET %s: %v", shown, err)
	}
	req.Header.Set("Accept", "application/jsonl, application/json")
	sent := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, src, fmt.Errorf("GET %s: %w", shown, err)
	}
	defer resp.Body.Close()
	received := time.Now()
	if date, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		mid := sent.Add(received.Sub(sent) / 2)
		src.ClockOffset = date.Sub(mid.Truncate(time.Second)).Round(time.Second).Seconds()
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxEventsBody+1))
	if err != nil {
		return nil, src, fmt.Errorf("GET %s: reading the answer: %w", shown, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, src, fmt.Errorf("GET %s: %s: %s", shown, resp.Status, snippet(body))
	}
	if len(body) > maxEventsBody {
		return nil, src, fmt.Errorf("GET %s: answer is over %d bytes", shown, maxEventsBody)
	}
	var out []incident.Event
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var e incident.Event
		if err := json.Unmarshal(line, &e); err != nil || e.Time.IsZero() || e.Name == "" {
			return nil, src, fmt.Errorf("GET %s: line %d is not a journal event (starts %s)", shown, n, snippet(line))
		}
		if e.Service == "" {
			e.Service = u.Host
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, src, fmt.Errorf("GET %s: %v", shown, err)
	}
	src.Events = len(out)
	src.Service = u.Host
	if len(out) > 0 {
		src.Service = out[0].Service
	}
	return out, src, nil
}

func timelineTable(w io.Writer, since, until time.Time, sources []timelineSource, events []incident.Event) error {
	fmt.Fprintf(w, "timeline %s to %s (%s), %s\n", since.UTC().Format(time.RFC3339), until.UTC().Format(time.RFC3339), human(until.Sub(since)), plural(len(events), "event"))
	for _, s := range sources {
		clock := "its clock agrees with ours to within a second"
		if s.ClockOffset > 1 || s.ClockOffset < -1 {
			clock = fmt.Sprintf("its clock is %+gs from ours: its events may be that far off the others'", s.ClockOffset)
		}
		fmt.Fprintf(w, "  %s: %s from %s; %s\n", s.Service, plural(s.Events, "event"), s.URL, clock)
	}
	if len(events) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	tw := newTable(w)
	row(tw, "TIME", "SERVICE", "KIND", "EVENT")
	for _, e := range events {
		service := e.Service
		if service == "" {
			service = "-"
		}
		row(tw, e.Time.UTC().Format("2006-01-02T15:04:05.000Z"), service, string(e.Kind), e.String())
	}
	return tw.Flush()
}
