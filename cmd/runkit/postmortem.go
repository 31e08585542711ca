package main

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ybiyri/runkit/deploy"
	"github.com/ybiyri/runkit/incident"
	"github.com/ybiyri/runkit/internal/htmlpage"
	"github.com/ybiyri/runkit/slo"
)

const postmortemLong = `postmortem writes the draft of an incident review, in Markdown, to
standard output: the numbers filled in from the records, the judgement
left to the people in the room.

  Summary       the SLO, when the burn began, when the alert detected it,
                when service was restored; time to detect and time to
                restore (as runkit dora computes it)
  Impact        with --slo-status, the SLO's own terms from the service's
                /slo: bad events, the share of the window's error budget
                spent, and the minutes of full outage that equals
  What changed  the deployments of the service in --lookback before the
                incident, with versions, the one it is attributed to, and
                with --git DIR the commits each brought
  Timeline      the events of --events, the markers and the incident,
                from 15 minutes before the burn began to 15 minutes after
                the restore, then the breaker openings, health changes
                and flight-recorder snapshots (and how to open them)
  Questions     the questions a blameless review asks
  Actions       a table of action items, owner and due date left blank

The burn began at the first time the journal of the incident's service
(--events) shows the SLO's page tier firing, from --lookback before the
alert to the restore; without it, at the alert, and time to detect is
unknown.

Impact comes from the /slo status as the service's tracker computes it,
over the SLO's window as of the status: read it after the restore, while
the window still holds the incident; it counts every bad event of the
window, so it bounds the incident's share from above.

The same records give the same bytes: nothing in the draft reads the
clock.`

func newPostmortem() *cobra.Command {
	var (
		deployFiles, incidentFiles []string
		eventURLs, statusURLs      []string
		gitDir                     string
		lookback                   time.Duration
		timeout                    time.Duration
	)
	c := &cobra.Command{
		Use:   "postmortem INCIDENT-ID --incidents FILE --deployments FILE [--events URL...] [--slo-status URL...] [--git DIR]",
		Short: "The Markdown draft of an incident review, its numbers filled in",
		Long:  postmortemLong,
		Example: `  runkit postmortem checkout-availability-20261203T025100Z \
      --incidents incidents.jsonl --deployments deployments.jsonl \
      --events http://checkout:8080/events --slo-status http://checkout:8080/slo \
      --git . > review.md`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return argErrorf("%s takes one incident ID, got %d arguments", cmd.CommandPath(), len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(incidentFiles) == 0 {
				return argErrorf("%s needs --incidents: the incident records", cmd.CommandPath())
			}
			if lookback <= 0 {
				return usageErrorf("--lookback %v: want a positive duration", lookback)
			}
			for _, u := range append(slices.Clone(eventURLs), statusURLs...) {
				if err := checkHTTPURL(u); err != nil {
					return usageErrorf("URL %q: %v", deploy.RedactURL(u), err)
				}
			}
			records, err := readIncidentRecords(incidentFiles, markerFilter{}, cmd.InOrStdin())
			if err != nil {
				return err
			}
			i := slices.IndexFunc(records, func(r incidentLine) bool { return r.ID == args[0] })
			if i < 0 {
				var ids []string
				for _, r := range records {
					if r.ID != "" {
						ids = append(ids, r.ID)
					}
				}
				if len(ids) > 5 {
					ids = append(ids[len(ids)-5:], "…")
				}
				return usageErrorf("no incident %q in %s (the last: %s)", args[0], strings.Join(incidentFiles, ", "), strings.Join(ids, ", "))
			}
			rec := records[i]
			markers, _, err := readMarkerFiles(deployFiles, markerFilter{}, cmd.InOrStdin())
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			d := draft{rec: rec, lookback: lookback}
			if err := d.gather(ctx, markers, eventURLs, statusURLs, gitDir); err != nil {
				return err
			}
			return d.write(cmd.OutOrStdout())
		},
	}
	f := c.Flags()
	f.StringArrayVar(&incidentFiles, "incidents", nil, "JSON lines of incident records (repeatable)")
	f.StringArrayVar(&deployFiles, "deployments", nil, "JSON lines of deployment markers (repeatable)")
	f.StringArrayVar(&eventURLs, "events", nil, "a service's /events URL, for the timeline and time to detect (repeatable)")
	f.StringArrayVar(&statusURLs, "slo-status", nil, "a service's /slo URL, for the impact (repeatable)")
	f.StringVar(&gitDir, "git", "", "a clone of the repository, for the commits each deployment brought")
	f.DurationVar(&lookback, "lookback", incident.DefaultLookback, "how far before the incident deployments and the burn are looked for")
	f.DurationVar(&timeout, "timeout", 10*time.Second, "bound on reading every URL and git")
	c.MarkFlagFilename("incidents", "jsonl", "json")
	c.MarkFlagFilename("deployments", "jsonl", "json")
	c.MarkFlagDirname("git")
	return c
}

// draft is what the review draft says, gathered.
type draft struct {
	rec      incidentLine
	lookback time.Duration

	burnBegan time.Time          // the first page-tier firing in the journal, zero if none
	burnEvent incident.Event     // that event
	ttr       time.Duration      // as MeasureDORA computes it
	report    *slo.TrackerStatus // the SLO's /slo status, when given
	changes   []change           // deployments in the lookback, oldest first
	events    []incident.Event
	services  []string // of --events
}

// change is one deployment of the incident's service before it.
type change struct {
	ref      incident.DeploymentRef
	revision string
	commits  []string // "abc1234 subject", with --git
}

// timelineMargin is how far the draft's timeline reaches beyond the
// burn's start and the restore.
const timelineMargin = 15 * time.Minute

func (d *draft) gather(ctx context.Context, markers []marker, eventURLs, statusURLs []string, gitDir string) error {
	rec := d.rec
	if rec.Restored != nil {
		// Time to restore as runkit dora computes it: MeasureDORA's
		// median over this one incident.
		m, err := deploy.MeasureDORA(rec.Start, rec.Restored.Add(time.Second), nil, []deploy.Incident{{Start: rec.Start, Restored: *rec.Restored, Cause: rec.Cause}})
		if err != nil {
			return usageErrorf("incident %s: %v", rec.ID, err)
		}
		d.ttr = m.TimeToRestoreMedian
	}

	// What changed: the deployments of the service and environment in
	// the lookback, one per ID at its earliest marker.
	var ms []deploy.Marker
	for _, m := range markers {
		ms = append(ms, m.Marker)
	}
	from := rec.Start.Add(-d.lookback)
	seen := map[string]int{}
	for _, m := range markers {
		if m.Service != rec.Service || m.Environment != rec.Environment {
			continue
		}
		dep := m.Deployment()
		if dep.Time.After(rec.Start) || dep.Time.Before(from) {
			continue
		}
		if i, ok := seen[dep.ID]; ok {
			if dep.Time.Before(d.changes[i].ref.Time) {
				d.changes[i].ref.Time = dep.Time
			}
			continue
		}
		seen[dep.ID] = len(d.changes)
		d.changes = append(d.changes, change{ref: incident.DeploymentRef{ID: dep.ID, Version: m.Version, Time: dep.Time}, revision: m.Revision})
	}
	slices.SortStableFunc(d.changes, func(a, b change) int { return a.ref.Time.Compare(b.ref.Time) })
	if gitDir != "" {
		if err := d.gitLog(ctx, gitDir, ms); err != nil {
			return err
		}
	}

	// The timeline: the journals, the markers and the incident.
	end := rec.Start
	if rec.Restored != nil {
		end = *rec.Restored
	}
	var events []incident.Event
	var sources []timelineSource
	if len(eventURLs) > 0 {
		tl, srcs, err := gatherTimeline(ctx, eventURLs, nil, nil, rec.Start.Add(-d.lookback), end.Add(timelineMargin), time.Hour, nil)
		if err != nil {
			return err
		}
		events, sources = tl.Events, srcs
	}
	for _, s := range sources {
		if !slices.Contains(d.services, s.Service) {
			d.services = append(d.services, s.Service)
		}
	}
	// When the burn began: the page tier of the SLO firing in the
	// service's journal, from the lookback to the restore.
	for _, e := range (incident.Timeline{Events: events}).Sorted() {
		if e.Name == incident.SLOTier && e.To == "firing" && e.Severity == string(slo.Page) &&
			(e.Service == rec.Service || rec.Service == "") && strings.HasPrefix(e.Subject, rec.SLO+" ") && !e.Time.After(end) {
			d.burnBegan, d.burnEvent = e.Time, e
			break
		}
	}
	began := rec.Start
	if !d.burnBegan.IsZero() && d.burnBegan.Before(began) {
		began = d.burnBegan
	}
	for _, m := range ms {
		events = append(events, incident.MarkerEvent(m))
	}
	events = append(events, rec.Events()...)
	// From the attributed deployment, when it came earlier.
	since := began.Add(-timelineMargin)
	if dep := rec.Deployment; dep != nil && dep.Time.Before(since) && !dep.Time.Before(rec.Start.Add(-d.lookback)) {
		since = dep.Time
	}
	d.events = incident.Timeline{Since: since, Until: end.Add(timelineMargin), Events: events}.Sorted()

	// Impact: the SLO's /slo status.
	shown := shownURLs(statusURLs)
	for i, u := range statusURLs {
		reports, err := fetchReports(ctx, u, shown[i])
		if err != nil {
			return externalErrorf("%v", err)
		}
		for _, r := range reports {
			if r.Objective == rec.SLO && d.report == nil {
				d.report = &r
			}
		}
	}
	if len(statusURLs) > 0 && d.report == nil {
		return usageErrorf("--slo-status: no objective %q in %s", rec.SLO, strings.Join(redactAll(statusURLs), ", "))
	}
	return nil
}

func redactAll(urls []string) []string {
	out := make([]string, len(urls))
	for i, u := range urls {
		out[i] = deploy.RedactURL(u)
	}
	return out
}

// gitLog sets the commits each change brought: those reachable from its
// revision and not from the revision deployed before it to the same
// service and environment.
func (d *draft) gitLog(ctx context.Context, dir string, markers []deploy.Marker) error {
	path, err := exec.LookPath("git")
	if err != nil {
		return externalErrorf("--git: %v", err)
	}
	g := gitRepo{ctx, path, dir}
	if _, err := g.run("", "rev-parse", "--git-dir"); err != nil {
		return usageErrorf("--git %s: %v", dir, err)
	}
	for i := range d.changes {
		c := &d.changes[i]
		if c.revision == "" {
			continue
		}
		// The revision deployed last before this one.
		prev, prevTime := "", time.Time{}
		for _, m := range markers {
			if m.Service == d.rec.Service && m.Environment == d.rec.Environment && m.Revision != "" &&
				m.Start.Before(c.ref.Time) && m.Revision != c.revision && !m.Start.Before(prevTime) {
				prev, prevTime = m.Revision, m.Start
			}
		}
		args := []string{"log", "-1", "--format=%h %s", c.revision + "^{commit}", "--"}
		if prev != "" {
			args = []string{"log", "--format=%h %s", prev + ".." + c.revision, "--"}
		}
		out, err := g.run("", args...)
		if err != nil {
			return externalErrorf("--git %s: %v", dir, err)
		}
		for l := range strings.Lines(out) {
			if l = strings.TrimSpace(l); l != "" {
				c.commits = append(c.commits, l)
			}
		}
	}
	return nil
}

// stamp writes a time as the draft does: UTC, to the second.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// md escapes text for a Markdown table cell.
func md(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

func (d *draft) write(w io.Writer) error {
	var b strings.Builder
	rec := d.rec
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# Incident review: %s\n\n", rec.ID)
	sources := []string{"the incident record", "the deployment markers"}
	if len(d.services) > 0 {
		journals := "the journals of "
		if len(d.services) == 1 {
			journals = "the journal of "
		}
		sources = append(sources, journals+andList(d.services))
	}
	if d.report != nil {
		sources = append(sources, "the SLO status")
	}
	p("*Draft written by runkit postmortem from %s. The numbers come from those records, computed as runkit dora, slo status and the service's tracker compute them; the words are yours to write. Blameless: the question is what in the system let this happen, not who.*\n\n", andList(sources))

	// Summary.
	p("## Summary\n\n")
	if rec.Title != "" {
		p("%s.\n\n", strings.TrimSuffix(rec.Title, "."))
	}
	p("| | |\n|---|---|\n")
	what := rec.SLO
	if rec.Service != "" {
		what += " of " + rec.Service
	}
	if rec.Environment != "" {
		what += " (" + rec.Environment + ")"
	}
	p("| SLO | %s |\n", md(what))
	if rec.Severity != "" {
		p("| Severity | %s |\n", md(rec.Severity))
	}
	if d.burnBegan.IsZero() {
		p("| Burn began | unknown: no journal shows the page tier firing (see --events) |\n")
	} else {
		p("| Burn began | %s: %s's journal shows the page tier %s firing |\n", stamp(d.burnBegan), md(d.burnEvent.Service), md(d.burnEvent.Subject))
	}
	p("| Detected | %s: the alert %s fired |\n", stamp(rec.Start), md(alertName(rec)))
	if rec.Restored != nil {
		p("| Restored | %s: its last alert resolved |\n", stamp(*rec.Restored))
	} else {
		p("| Restored | not yet: the incident is open |\n")
	}
	switch {
	case d.burnBegan.IsZero():
		p("| Time to detect | unknown |\n")
	case !d.burnBegan.Before(rec.Start):
		p("| Time to detect | 0s: the alert fired before the journal's tier (%s later) |\n", human(d.burnBegan.Sub(rec.Start)))
	default:
		p("| Time to detect | %s |\n", human(rec.Start.Sub(d.burnBegan)))
	}
	if rec.Restored != nil {
		p("| Time to restore | %s, from the alert to the restore, as runkit dora counts it |\n", human(d.ttr))
	} else {
		p("| Time to restore | none yet |\n")
	}
	if rec.Cause != "" {
		by := md(rec.Cause)
		if dep := rec.Deployment; dep != nil && dep.ID == rec.Cause {
			by += fmt.Sprintf(" (%s, deployed %s before the alert)", md(dep.Version), human(rec.Start.Sub(dep.Time)))
		}
		p("| Attributed to | %s |\n", by)
	} else {
		p("| Attributed to | no deployment in the lookback |\n")
	}
	p("\n")

	// Impact.
	p("## Impact\n\n")
	if r := d.report; r == nil {
		p("Unknown: no SLO status was given (--slo-status).\n\n")
	} else if err := d.writeImpact(&b, *r); err != nil {
		return err
	}

	// What changed.
	p("## What changed\n\n")
	if len(d.changes) == 0 {
		p("No deployment of %s in the %s before the alert.\n\n", md(or(rec.Service, "the service")), human(d.lookback))
	} else {
		p("Deployments of %s in the %s before the alert:\n\n", md(or(rec.Service, "the service")), human(d.lookback))
		p("| Deployment | Version | Deployed | Before the alert | Attributed |\n|---|---|---|---|---|\n")
		for _, c := range d.changes {
			attributed := ""
			if c.ref.ID == rec.Cause {
				attributed = "yes"
			}
			p("| %s | %s | %s | %s | %s |\n", md(c.ref.ID), md(c.ref.Version), stamp(c.ref.Time), human(rec.Start.Sub(c.ref.Time)), attributed)
		}
		p("\n")
		for _, c := range d.changes {
			if len(c.commits) == 0 {
				continue
			}
			p("Commits %s (%s) brought:\n\n", md(c.ref.ID), md(c.ref.Version))
			for _, l := range c.commits {
				sha, subject, _ := strings.Cut(l, " ")
				p("- `%s` %s\n", sha, md(subject))
			}
			p("\n")
		}
	}

	// Timeline.
	p("## Timeline\n\n")
	if len(d.events) == 0 {
		p("No events.\n\n")
	} else {
		p("Each event at the time its own source gave it: order across services is only as good as their clocks agree.\n\n")
		p("| Time (UTC) | Service | Event |\n|---|---|---|\n")
		for _, e := range d.events {
			p("| %s | %s | %s |\n", e.Time.UTC().Format("15:04:05.000"), md(or(e.Service, "-")), md(e.String()))
		}
		p("\n")
	}
	var breakers, health, snaps []incident.Event
	for _, e := range d.events {
		switch {
		case e.Name == incident.BreakerState && e.To == "open":
			breakers = append(breakers, e)
		case e.Kind == incident.Health:
			health = append(health, e)
		case e.Name == incident.ProcessSnapshot:
			snaps = append(snaps, e)
		}
	}
	p("### Breaker openings\n\n")
	list(&b, breakers, "None.")
	p("### Health changes\n\n")
	list(&b, health, "None.")
	p("### Flight-recorder snapshots\n\n")
	if len(snaps) == 0 {
		p("None.\n\n")
	} else {
		for _, e := range snaps {
			p("- %s, on %s, at %s (%s): fetch `%s/%s/%s` from the service (with its snapshot authorization) and open it with `go tool trace %s`; `%s` and `%s` beside it hold the goroutines and the heap (`go tool pprof %s`).\n",
				md(e.Subject), md(or(e.Service, "the service")), e.Time.UTC().Format("15:04:05"), md(e.Cause),
				incident.SnapshotsPath, md(e.Subject), incident.TraceFile, incident.TraceFile, incident.GoroutinesFile, incident.HeapFile, incident.HeapFile)
		}
		p("\n")
	}

	// Questions.
	p("## Questions for the review\n\n")
	p("Answer each in a few sentences; the aim is to learn what the system made easy or hard, not to find who.\n\n")
	p("1. **What surprised us?** What did we believe about %s that turned out not to be so?\n", md(or(rec.Service, "the service")))
	if d.burnBegan.IsZero() || !d.burnBegan.Before(rec.Start) {
		p("2. **How did we find out?** The alert was the first sign on record. Did anyone or anything notice sooner?\n")
	} else {
		p("2. **How did we find out?** The page came %s after the burn began. Was that fast enough for this SLO, and what would have told us sooner?\n", human(rec.Start.Sub(d.burnBegan)))
	}
	p("3. **What helped?** Which signal, dashboard, runbook, breaker or person shortened the %s to restore?\n", or(human(d.ttr), "time"))
	p("4. **Where were we lucky?** What could have made this longer or wider: another time of day, another dependency, someone away?\n")
	if rec.Cause != "" {
		p("5. **What should we change?** The incident is attributed to %s: what in review, tests, rollout or the deploy gate would have caught it, and is the attribution right?\n\n", md(rec.Cause))
	} else {
		p("5. **What should we change?** No deployment preceded it: what changed instead (traffic, a dependency, data), and what would have caught it?\n\n")
	}

	// Actions.
	p("## Action items\n\n")
	p("| Action | Kind (prevent, detect, mitigate) | Owner | Due |\n|---|---|---|---|\n| | | | |\n| | | | |\n| | | | |\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// writeImpact writes the impact from the SLO's /slo report: the
// tracker's counts and budget, and the full outage its spent budget
// equals, slo.AllowedDowntime of the objective times the share spent.
func (d *draft) writeImpact(b *strings.Builder, r slo.TrackerStatus) error {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	length := r.Period.Rolling
	if length == 0 {
		length = r.End.Sub(r.Start)
	}
	allowed, err := slo.AllowedDowntime(r.Target, length)
	if err != nil {
		return usageErrorf("--slo-status: objective %s: %v", r.Objective, err)
	}
	if r.NoData {
		p("Unknown: the SLO status of %s has no events in its window.\n\n", md(r.Objective))
		return nil
	}
	bad := r.Total - r.Good
	outage := time.Duration(r.Consumed * float64(allowed)).Round(time.Second)
	p("Over the SLO's window of %s (target %s), as its tracker counts it:\n\n", windowText(r.Period), targetPercent(r.Target))
	p("| | |\n|---|---|\n")
	p("| Bad events | %s of %s (%s) |\n", htmlpage.Thousands(bad), htmlpage.Thousands(r.Total), percent(r.ErrorRate))
	p("| Error budget spent | %s of the window's budget; %s left |\n", percent(r.Consumed), percent(r.Remaining))
	p("| Equals | %s of full outage, of the %s the window allows |\n", human(outage), human(allowed))
	p("\n")
	if !r.Start.IsZero() && r.Start.After(d.rec.Start) {
		p("The window starts after the incident did: the status was read too late to hold all of it.\n\n")
	} else {
		p("The window holds the incident and whatever else went wrong in it: this bounds the incident's share from above.\n\n")
	}
	return nil
}

func list(b *strings.Builder, events []incident.Event, none string) {
	if len(events) == 0 {
		b.WriteString(none + "\n\n")
		return
	}
	for _, e := range events {
		fmt.Fprintf(b, "- %s %s: %s\n", e.Time.UTC().Format("15:04:05"), md(or(e.Service, "-")), md(e.String()))
	}
	b.WriteString("\n")
}

func alertName(rec incidentLine) string {
	if n := rec.Labels["alertname"]; n != "" {
		return n
	}
	return incident.BurnAlert
}

func or(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// andList joins "a" and "b" as "a and b", and "a", "b" and "c" as "a,
// b, and c".
func andList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	if len(s) == 2 {
		return s[0] + " and " + s[1]
	}
	return strings.Join(s[:len(s)-1], ", ") + ", and " + s[len(s)-1]
}
