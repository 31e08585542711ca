package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ybiyri/runkit/deploy"
	"github.com/ybiyri/runkit/incident"
	"github.com/ybiyri/runkit/slo"
)

const doraLong = `DORA prints the four keys over a period: deployment frequency, lead time
for changes (median and p90), change failure rate and time to restore, each
with its performance cluster of the 2023 State of DevOps report, as
deploy.MeasureDORA computes them.

--deployments reads the JSON lines deploy.Writer writes (what
runkit deploy mark --sink stdout prints, and what a service announcing
itself prints): lines whose "event" is not "deployment" are skipped, and
markers of one deployment (every replica, every restart) count once, by ID.
--service and --env keep only some of them. Files that hold no deployment
marker, or a --service or --env that matches none of their markers, are
exit 1, naming the services and environments there are; markers that
match but fall outside the period are measured (no deployments) with a
warning on standard error.

--incidents reads JSON lines, one incident a line:
  {"start": "2026-05-01T14:00:00Z", "restored": "2026-05-01T14:40:00Z",
   "cause": "checkout-21fa4e2e454d71f7", "id": "INC-7", "title": "..."}
start is required; restored may be null or left out for an incident still
open (it counts toward change failure rate when it names a cause, and is
listed with its age); cause names the deployment that caused it, by ID,
which then counts as failed. id, title, url, severity, service and
environment are descriptive; with --service or --env, an incident that
names another service or environment is left out. The records runkit
incidents serve writes add slo, labels, alerts and deployment (the id,
version and time of the deployment named as cause). A line with the id
of an earlier line replaces it: the receiver appends an incident's whole
record at each change. Any other field is an error, so that a misspelt
"restored" does not read as an open incident.

Incidents of the period that name a cause are listed after the table,
with the deployment each is attributed to and how long before it started
(in the JSON, "attributions").

Without --incidents there is no incident record: change failure rate and
time to restore are unknown, in no cluster (the failure rate shown counts
only the markers marked failed). An empty file (--incidents /dev/null)
says there were no incidents.

Missing data is never a result: lead time with no commit times, or any
measure with nothing to go on, is "unknown" and in no cluster, in the
table, the JSON (null, "unknown") and the page alike.

Lead time needs the commit time of what each deployment carried: a
marker's commitTime (runkit deploy mark --commit-time), or, with --git DIR,
git log of that repository, which then replaces it: the commits of a
deployment are those reachable from its revision and from no revision
deployed before it to the same service and environment (only its own
commit for the first one), at their committer time. The history is walked
once for all deployments (10,000 of them take under a second), and while
that takes more than half a second, progress shows on standard error when
it is a terminal, and nowhere else.

Every bad line is an error naming file:line and the field: a marker's
field is one deploy.Writer writes, and any other is an error, as in
--incidents.

--html writes the page into what the path names, as slo rules -o does: a
symbolic link's target, a FIFO or a device in place, a regular file
atomically; --html - writes the page alone to standard output, in place
of the table. A path that names one of the --deployments or --incidents
files is exit 1, before anything is read.`

func newDORA() *cobra.Command {
	var (
		out          format
		deployFiles  []string
		incidentFile []string
		since, until string
		gitDir       string
		services     []string
		env          string
		htmlFile     string
	)
	c := &cobra.Command{
		Use:   "dora --deployments FILE [--incidents FILE] [--since 90d] [--git DIR]",
		Short: "The four DORA keys and their performance clusters, from deployment markers",
		Long:  doraLong,
		Example: `  # The last 90 days of production, lead time from the repository
  runkit dora --deployments deployments.jsonl --incidents incidents.jsonl \
      --env production --git .

  # A quarter, as JSON and as a page to share
  runkit dora --deployments deployments.jsonl --since 2026-01-01 --until 2026-04-01 \
      -o json --html dora.html`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(deployFiles) == 0 {
				return argErrorf("%s needs --deployments: the JSON lines of deployment markers", cmd.CommandPath())
			}
			now := time.Now()
			end := now
			if until != "" {
				t, err := parseWhen(until)
				if err != nil {
					return usageErrorf("--until %q: %v", until, err)
				}
				end = t
			}
			start, err := parseSince(since, end)
			if err != nil {
				return usageErrorf("--since %q: %v", since, err)
			}
			if !start.Before(end) {
				return usageErrorf("--since %s is not before --until %s", start.Format(time.RFC3339), end.Format(time.RFC3339))
			}
			if htmlFile == "-" && out == jsonFormat {
				return usageErrorf("--html - and -o json both want standard output: write the page to a file")
			}
			if htmlFile != "" && htmlFile != "-" {
				if err := checkOutputOf("--html", htmlFile, append(slices.Clone(deployFiles), incidentFile...)); err != nil {
					return err
				}
			}
			keep := markerFilter{services: services, env: env}
			markers, all, err := readMarkerFiles(deployFiles, keep, cmd.InOrStdin())
			if err != nil {
				return err
			}
			if err := keep.matched(markers, all, deployFiles); err != nil {
				return err
			}
			var opts []deploy.DORAOption
			records, err := readIncidentRecords(incidentFile, keep, cmd.InOrStdin())
			if err != nil {
				return err
			}
			incidents := deployIncidents(records)
			if len(incidentFile) == 0 {
				opts = append(opts, deploy.IncidentsUnknown())
			}
			deployments := make([]deploy.Deployment, len(markers))
			for i, m := range markers {
				deployments[i] = m.Deployment()
			}
			if gitDir != "" {
				prog := newProgress(cmd.ErrOrStderr())
				err := gitCommits(cmd.Context(), gitDir, markers, deployments, prog)
				prog.done()
				if err != nil {
					return err
				}
			}
			for i, dep := range deployments {
				for _, c := range dep.Commits {
					if c.After(dep.Time) {
						return usageErrorf("%s: deployment %s at %s is before its commit at %s: a clock is wrong, or the revision is not the one deployed", markers[i].pos, dep.ID, dep.Time.Format(time.RFC3339), c.Format(time.RFC3339))
					}
				}
			}
			d, err := deploy.MeasureDORA(start, end, deployments, incidents, opts...)
			if err != nil {
				return usageErrorf("%v", err)
			}
			if d.Deployments == 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "runkit: warning: none of the %s is in the period %s to %s\n",
					plural(len(markers), "matching deployment"), start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339))
			}
			if htmlFile != "" {
				r := deploy.DORAReport{Title: doraTitle(keep), Start: start, End: end, Deployments: deployments,
					Incidents: incidents, IncidentsUnknown: len(incidentFile) == 0}
				if done, err := writeHTMLFlag(cmd, htmlFile, r.WriteHTML); done || err != nil {
					return err
				}
			}
			if out == jsonFormat {
				o := doraJSON(d)
				o.Attributions = attributions(records, start, end)
				return writeJSON(cmd.OutOrStdout(), o)
			}
			if err := doraTable(cmd.OutOrStdout(), d); err != nil {
				return err
			}
			return attributionTable(cmd.OutOrStdout(), attributions(records, start, end))
		},
	}
	addOutputFlag(c, &out)
	f := c.Flags()
	f.StringArrayVar(&deployFiles, "deployments", nil, "JSON lines of deployment markers, - for standard input (repeatable)")
	f.StringArrayVar(&incidentFile, "incidents", nil, "JSON lines of incidents, the whole record: /dev/null for none (repeatable; without it, failure rate and restore are unknown)")
	f.StringVar(&since, "since", "90d", "start of the period: a duration before --until (90d, 12w) or a time (2026-01-01, RFC 3339)")
	f.StringVar(&until, "until", "", "end of the period, excluded: 2026-04-01 or RFC 3339 (default: now)")
	f.StringVar(&gitDir, "git", "", "a clone of the repository, for lead time from git log")
	f.StringSliceVar(&services, "service", nil, "keep only these services' deployments and incidents")
	f.StringVar(&env, "env", "", "keep only this environment's deployments and incidents, such as production")
	f.StringVar(&htmlFile, "html", "", "also write the report as an HTML page with charts to this file (- : the page alone to standard output)")
	c.MarkFlagFilename("deployments", "jsonl", "json")
	c.MarkFlagFilename("incidents", "jsonl", "json")
	c.MarkFlagFilename("html", "html")
	c.MarkFlagDirname("git")
	return c
}

// parseWhen reads a date (2026-01-01, midnight UTC) or an RFC 3339 time.
func parseWhen(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("want a date such as 2026-01-01 or an RFC 3339 time")
}

// parseSince reads --since: a duration before end, or a time.
func parseSince(s string, end time.Time) (time.Time, error) {
	if d, err := slo.ParseDuration(s); err == nil {
		return end.Add(-d), nil
	}
	if t, err := parseWhen(s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("want a duration such as 90d or 12w, or a date such as 2026-01-01")
}

// markerFilter keeps the deployments and incidents of some services in
// one environment; empty keeps everything.
type markerFilter struct {
	services []string
	env      string
}

func (f markerFilter) keeps(service, env string) bool {
	return (len(f.services) == 0 || service == "" || slices.Contains(f.services, service)) &&
		(f.env == "" || env == "" || env == f.env)
}

// matched reports, as a usage error, deployment files that hold no
// marker, and a filter that keeps none of their markers, naming the
// services and environments there are.
func (f markerFilter) matched(kept []marker, all []deploy.Marker, files []string) error {
	if len(all) == 0 {
		return usageErrorf("no deployment markers in %s", strings.Join(files, ", "))
	}
	if len(kept) > 0 {
		return nil
	}
	var flags, have []string
	var services, envs []string
	for _, m := range all {
		if m.Service != "" && !slices.Contains(services, m.Service) {
			services = append(services, m.Service)
		}
		if m.Environment != "" && !slices.Contains(envs, m.Environment) {
			envs = append(envs, m.Environment)
		}
	}
	slices.Sort(services)
	slices.Sort(envs)
	if len(f.services) > 0 {
		flags = append(flags, "--service "+strings.Join(f.services, ","))
		have = append(have, "services: "+strings.Join(services, ", "))
	}
	if f.env != "" {
		flags = append(flags, "--env "+f.env)
		have = append(have, "environments: "+strings.Join(envs, ", "))
	}
	return usageErrorf("%s matches none of the %s in %s (%s)", strings.Join(flags, " "),
		plural(len(all), "deployment marker"), strings.Join(files, ", "), strings.Join(have, "; "))
}

func doraTitle(f markerFilter) string {
	t := "DORA report"
	if len(f.services) > 0 {
		t += ": " + strings.Join(f.services, ", ")
	}
	if f.env != "" {
		t += " (" + f.env + ")"
	}
	return t
}

// marker is a deployment marker and where it was read.
type marker struct {
	deploy.Marker
	pos string // file:line
}

// maxLine bounds one line of a JSON lines file.
const maxLine = 1 << 20

// eachLine calls fn with each non-blank line of the named files ("-" is
// stdin) and its position, file:line.
func eachLine(names []string, stdin io.Reader, fn func(pos string, line []byte) error) error {
	for _, name := range names {
		var r io.Reader = stdin
		if name != "-" {
			f, err := os.Open(name)
			if err != nil {
				return usageErrorf("%v", err)
			}
			defer f.Close()
			r = f
		}
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 4096), maxLine)
		for n := 1; sc.Scan(); n++ {
			line := bytes.TrimSpace(sc.Bytes())
			if len(line) == 0 {
				continue
			}
			if err := fn(fmt.Sprintf("%s:%d", name, n), line); err != nil {
				return err
			}
		}
		if err := sc.Err(); err != nil {
			if errors.Is(err, bufio.ErrTooLong) {
				err = fmt.Errorf("a line is longer than %d bytes", maxLine)
			}
			return usageErrorf("%s: %v", name, err)
		}
	}
	return nil
}

// readMarkerFiles reads deployment markers with deploy.ReadMarkers, one
// line at a time so that an error names file:line. It returns those keep
// keeps, and all of them.
func readMarkerFiles(names []string, keep markerFilter, stdin io.Reader) ([]marker, []deploy.Marker, error) {
	var out []marker
	var all []deploy.Marker
	err := eachLine(names, stdin, func(pos string, line []byte) error {
		ms, err := deploy.ReadMarkers(bytes.NewReader(line))
		if err != nil {
			msg := strings.TrimPrefix(err.Error(), "deploy: marker line 1")
			return usageErrorf("%s%s", pos, msg)
		}
		for _, m := range ms {
			all = append(all, m)
			if keep.keeps(m.Service, m.Environment) {
				out = append(out, marker{m, pos})
			}
		}
		return nil
	})
	return out, all, err
}

// incidentLine is the schema of one line of --incidents: what runkit
// incidents serve writes.
type incidentLine = incident.Record

// deployIncidents returns the incidents of records, for MeasureDORA.
func deployIncidents(records []incidentLine) []deploy.Incident {
	out := make([]deploy.Incident, len(records))
	for i, inc := range records {
		out[i] = deploy.Incident{Start: inc.Start, Restored: restored(inc), Cause: inc.Cause}
	}
	return out
}

// readIncidentRecords reads the incident records of the named files that
// keep keeps; a line with the id of an earlier line replaces it.
func readIncidentRecords(names []string, keep markerFilter, stdin io.Reader) ([]incidentLine, error) {
	out := []incidentLine{}
	index := map[string]int{}
	err := eachLine(names, stdin, func(pos string, line []byte) error {
		inc, err := parseIncident(line)
		if err != nil {
			return usageErrorf("%s: %v", pos, err)
		}
		if i, ok := index[inc.ID]; ok && inc.ID != "" {
			out[i] = inc
			return nil
		}
		index[inc.ID] = len(out)
		out = append(out, inc)
		return nil
	})
	kept := out[:0]
	for _, inc := range out {
		if keep.keeps(inc.Service, inc.Environment) {
			kept = append(kept, inc)
		}
	}
	return kept, err
}

func restored(inc incidentLine) time.Time {
	if inc.Restored == nil {
		return time.Time{}
	}
	return *inc.Restored
}

// parseIncident reads one line of --incidents strictly.
func parseIncident(line []byte) (incidentLine, error) {
	var inc incidentLine
	if len(line) == 0 || line[0] != '{' {
		return inc, fmt.Errorf("not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&inc); err != nil {
		var te *json.UnmarshalTypeError
		var pe *time.ParseError
		switch {
		case errors.As(err, &te):
			return inc, fmt.Errorf("%s: want %s, not a JSON %s", te.Field, te.Type, te.Value)
		case errors.As(err, &pe):
			return inc, fmt.Errorf("time %s: want RFC 3339, such as 2026-05-01T14:00:00Z", pe.Value)
		}
		return inc, fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return inc, fmt.Errorf("more than one JSON value on the line")
	}
	switch {
	case inc.Start.IsZero():
		return inc, fmt.Errorf("start is missing")
	case inc.Restored != nil && inc.Restored.Before(inc.Start):
		return inc, fmt.Errorf("restored %s is before start %s", inc.Restored.Format(time.RFC3339), inc.Start.Format(time.RFC3339))
	}
	return inc, nil
}

// doraOutput is the JSON of runkit dora.
type doraOutput struct {
	Period              period    `json:"period"`
	Deployments         int       `json:"deployments"`
	Duplicates          int       `json:"duplicateMarkers"`
	DeploysPerDay       float64   `json:"deploysPerDay"`
	Changes             int       `json:"changes"`
	LeadTimeMedian      *float64  `json:"leadTimeMedianSeconds"`
	LeadTimeP90         *float64  `json:"leadTimeP90Seconds"`
	FailedDeployments   int       `json:"failedDeployments"`
	ChangeFailureRate   *float64  `json:"changeFailureRate"`
	IncidentRecord      bool      `json:"incidentRecord"`
	Incidents           int       `json:"incidents"`
	TimeToRestoreMedian *float64  `json:"timeToRestoreMedianSeconds"`
	Open                []openOut `json:"openIncidents"`
	Clusters            clusters  `json:"clusters"`
	// Attributions lists the incidents of the period that name the
	// deployment they are attributed to.
	Attributions []attribution `json:"attributions"`
}

type period struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

type openOut struct {
	Start time.Time `json:"start"`
	Cause string    `json:"cause,omitempty"`
	Age   float64   `json:"ageSeconds"`
}

type clusters struct {
	Frequency   string `json:"deploymentFrequency"`
	LeadTime    string `json:"leadTime"`
	FailureRate string `json:"changeFailureRate"`
	Restore     string `json:"timeToRestore"`
}

func doraJSON(d deploy.DORA) doraOutput {
	o := doraOutput{
		Period:      period{d.Start.UTC(), d.End.UTC()},
		Deployments: d.Deployments, Duplicates: d.Duplicates, DeploysPerDay: d.DeploysPerDay,
		Changes: d.Changes, IncidentRecord: !d.IncidentsUnknown,
		FailedDeployments: int(math.Round(d.ChangeFailureRate * float64(d.Deployments))),
		Incidents:         d.Incidents, Open: []openOut{},
		Clusters: clusters{d.Frequency.String(), d.LeadTime.String(), d.FailureRate.String(), d.Restore.String()},
	}
	if d.Changes > 0 {
		o.LeadTimeMedian, o.LeadTimeP90 = seconds(d.LeadTimeMedian), seconds(d.LeadTimeP90)
	}
	if d.FailureRate != deploy.Unknown {
		o.ChangeFailureRate = &d.ChangeFailureRate
	}
	if d.Incidents > len(d.Open) {
		o.TimeToRestoreMedian = seconds(d.TimeToRestoreMedian)
	}
	for _, op := range d.Open {
		o.Open = append(o.Open, openOut{Start: op.Start.UTC(), Cause: op.Cause, Age: op.Age.Seconds()})
	}
	return o
}

func doraTable(w io.Writer, d deploy.DORA) error {
	o := doraJSON(d)
	tw := newTable(w)
	row(tw, "period", fmt.Sprintf("%s to %s (%s)", d.Start.UTC().Format(time.RFC3339), d.End.UTC().Format(time.RFC3339), human(d.End.Sub(d.Start))))
	deps := fmt.Sprint(d.Deployments)
	if d.Duplicates > 0 {
		deps += fmt.Sprintf(", and %s of them folded in", plural(d.Duplicates, "repeated marker"))
	}
	row(tw, "deployments", deps)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = newTable(w)
	row(tw, "KEY", "VALUE", "CLUSTER")
	row(tw, "deployment frequency", fmt.Sprintf("%s a day, %s a week", num(d.DeploysPerDay), num(7*d.DeploysPerDay)), d.Frequency.String())
	lead := "unknown: no deployments"
	switch {
	case d.Changes > 0:
		lead = fmt.Sprintf("%s median, %s p90, over %s", human(d.LeadTimeMedian), human(d.LeadTimeP90), plural(d.Changes, "change"))
	case d.Deployments > 0:
		lead = "unknown: no commit times (see --git)"
	}
	row(tw, "lead time for changes", lead, d.LeadTime.String())
	cfr := fmt.Sprintf("%s (%d of %d)", percent(d.ChangeFailureRate), o.FailedDeployments, d.Deployments)
	switch {
	case d.Deployments == 0:
		cfr = "unknown: no deployments"
	case d.IncidentsUnknown:
		cfr = fmt.Sprintf("unknown: no --incidents (%d of %d marked failed)", o.FailedDeployments, d.Deployments)
	}
	row(tw, "change failure rate", cfr, d.FailureRate.String())
	restore := "no incidents"
	switch restoredN := d.Incidents - len(d.Open); {
	case d.IncidentsUnknown:
		restore = "unknown: no --incidents (an empty file says there were none)"
	case restoredN > 0:
		restore = fmt.Sprintf("%s median, over %s restored", human(d.TimeToRestoreMedian), plural(restoredN, "incident"))
	case len(d.Open) > 0:
		restore = "none restored yet"
	}
	if len(d.Open) > 0 {
		restore += fmt.Sprintf("; %d open", len(d.Open))
	}
	row(tw, "time to restore", restore, d.Restore.String())
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(d.Open) > 0 {
		fmt.Fprintln(w)
		for _, op := range d.Open {
			cause := ""
			if op.Cause != "" {
				cause = ", caused by " + op.Cause
			}
			fmt.Fprintf(w, "open incident since %s (%s%s)\n", op.Start.UTC().Format(time.RFC3339), human(op.Age), cause)
		}
	}
	return nil
}

// writeHTMLFlag writes the page of an --html flag: to standard output for
// "-", which is then the whole output (done), else to the file.
func writeHTMLFlag(cmd *cobra.Command, htmlFile string, write func(io.Writer) error) (done bool, err error) {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return true, usageErrorf("%v", err)
	}
	if htmlFile == "-" {
		_, err := cmd.OutOrStdout().Write(buf.Bytes())
		return true, err
	}
	if err := writeOutput(htmlFile, buf.Bytes()); err != nil {
		return true, usageErrorf("--html %s: %v", htmlFile, err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s\n", htmlFile)
	return false, nil
}
