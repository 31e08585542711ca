package deploy

import (
	"fmt"
	"hash/maphash"
	"slices"
	"time"

	"github.com/ybiyri/runkit/slo"
)

// Deployment is one deployment to production, for the DORA measures.
type Deployment struct {
	// ID identifies the deployment: MeasureDORA counts entries that share
	// an ID once (see ID, and Marker.Deployment). Entries with no ID are
	// each counted.
	ID string
	// Time is when the deployment happened. Required.
	Time time.Time
	// Commits holds the commit time of every change the deployment
	// carried to production for the first time.
	Commits []time.Time
	// Failed is true when the deployment caused a failure in production
	// (an incident, a rollback, a hotfix).
	Failed bool
}

// Incident is a period of degraded service.
type Incident struct {
	// Start is required.
	Start time.Time
	// Restored is when service was restored; zero means the incident is
	// still open.
	Restored time.Time
	// Cause optionally names the deployment that caused it, by ID: that
	// deployment then counts as failed, whether or not the incident is
	// restored.
	Cause string
}

// OpenIncident is an incident with no restore time yet, and its age at the
// end of the period measured.
type OpenIncident struct {
	Incident
	Age time.Duration
}

// Performance is a DORA performance cluster. Its zero value is Unknown.
type Performance uint8

const (
	// Unknown is no cluster: the measure has nothing to go on (no commit
	// times for lead time, no deployment for change failure rate, no
	// incident record for either of the last two).
	Unknown Performance = iota
	Low
	Medium
	High
	Elite
)

func (p Performance) String() string {
	switch p {
	case Unknown:
		return "unknown"
	case Low:
		return "low"
	case Medium:
		return "medium"
	case High:
		return "high"
	case Elite:
		return "elite"
	}
	return fmt.Sprintf("Performance(%d)", uint8(p))
}

// DORA holds the four DORA measures over a period and their clusters.
//
// The clusters follow the 2023 Accelerate State of DevOps report:
//
//	                      elite           high            medium           low
//	deployment frequency  ≥ 1 a day       ≥ 1 a week      ≥ 1 a month      less
//	lead time (median)    < 1 day         < 1 week        < 1 month        longer
//	change failure rate   ≤ 5%            ≤ 10%           ≤ 15%            more
//	time to restore       < 1 hour        < 1 day         < 1 week         longer
//
// The report describes ranges with gaps and overlaps between clusters; the
// thresholds above close them at the boundary of the better cluster. A
// month is 30 days.
type DORA struct {
	Start, End time.Time
	// Deployments counts deployments in the period, once per ID: entries
	// that share an ID (the markers of every replica and restart) are one
	// deployment, at the earliest of their times, failed when any of them
	// is, carrying every commit any of them carries. Duplicates counts the
	// entries folded so into a deployment of the period.
	Deployments, Duplicates int
	// DeploysPerDay is Deployments over the period's length in days.
	DeploysPerDay float64
	// LeadTimeMedian and LeadTimeP90 are over every commit deployed in
	// the period: deployment time minus commit time. LeadTimes holds
	// each of them, sorted, and Changes counts them.
	LeadTimeMedian, LeadTimeP90 time.Duration
	LeadTimes                   []time.Duration
	Changes                     int
	// ChangeFailureRate is failed deployments over deployments, zero with
	// no deployments. A deployment failed when its Failed is set or when
	// an incident, open or restored, names it as its Cause. With
	// IncidentsUnknown it counts only the deployments marked Failed: a
	// floor, not the rate.
	ChangeFailureRate float64
	// IncidentsUnknown is true when MeasureDORA was told, with the
	// IncidentsUnknown option, that there is no incident record.
	IncidentsUnknown bool
	// Incidents counts incidents that started in the period, open or
	// restored. TimeToRestoreMedian is the median restore time of those
	// restored; open ones are left out of it and listed in Open, oldest
	// first, with their age at End (measure up to now for their current
	// age).
	Incidents           int
	TimeToRestoreMedian time.Duration
	Open                []OpenIncident

	// Frequency, LeadTime, FailureRate and Restore place each measure in
	// its cluster; missing data is Unknown, never a cluster. With no
	// change deployed with its commit time LeadTime is Unknown, and so is
	// FailureRate with no deployment. With IncidentsUnknown FailureRate
	// and Restore are Unknown. With an incident record holding no
	// incident in the period Restore is Elite: nothing needed restoring;
	// with only open ones it is the cluster of the oldest one's age, a
	// time to restore it already needs.
	Frequency, LeadTime, FailureRate, Restore Performance
}

// DORAOption changes how MeasureDORA reads its input.
type DORAOption interface {
	apply(*doraConfig)
}

type doraConfig struct {
	incidentsUnknown bool
}

type incidentsUnknown struct{}

func (incidentsUnknown) apply(c *doraConfig) { c.incidentsUnknown = true }

// IncidentsUnknown says that no incident record was kept for the period:
// MeasureDORA then places change failure rate and time to restore in no
// cluster (Unknown) rather than reading no incident as none. Without it,
// the incidents given are the whole record, and an empty one says there
// were none.
func IncidentsUnknown() DORAOption { return incidentsUnknown{} }

// MeasureDORA computes the DORA measures of the deployments and incidents
// that fall in [start, end). incidents is the incident record: every
// incident, and none when there were none; pass IncidentsUnknown when
// there is no record. It returns an error for an empty period, a
// deployment with no Time or before one of its commits, an incident with
// no Start, or one restored before it started, and for incidents given
// with IncidentsUnknown.
func MeasureDORA(start, end time.Time, deployments []Deployment, incidents []Incident, opts ...DORAOption) (DORA, error) {
	if !end.After(start) {
		return DORA{}, fmt.Errorf("deploy: DORA period from %s to %s is empty", start.Format(time.RFC3339), end.Format(time.RFC3339))
	}
	var cfg doraConfig
	for _, o := range opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	if cfg.incidentsUnknown && len(incidents) > 0 {
		return DORA{}, fmt.Errorf("deploy: IncidentsUnknown with %d incident(s) given: there is an incident record, or there is none", len(incidents))
	}
	d := DORA{Start: start, End: end, IncidentsUnknown: cfg.incidentsUnknown}
	var restores []time.Duration
	var caused map[string]bool // deployment IDs that caused an incident
	for i, inc := range incidents {
		switch {
		case inc.Start.IsZero():
			return DORA{}, fmt.Errorf("deploy: incident %d has no Start", i)
		case !inc.Restored.IsZero() && inc.Restored.Before(inc.Start):
			return DORA{}, fmt.Errorf("deploy: incident %d restored at %s, before it started at %s", i, inc.Restored.Format(time.RFC3339), inc.Start.Format(time.RFC3339))
		}
		if inc.Cause != "" {
			if caused == nil {
				caused = map[string]bool{}
			}
			caused[inc.Cause] = true
		}
		if inc.Start.Before(start) || !inc.Start.Before(end) {
			continue
		}
		d.Incidents++
		if inc.Restored.IsZero() {
			d.Open = append(d.Open, OpenIncident{Incident: inc, Age: end.Sub(inc.Start)})
		} else {
			restores = append(restores, inc.Restored.Sub(inc.Start))
		}
	}
	slices.SortStableFunc(d.Open, func(a, b OpenIncident) int { return a.Start.Compare(b.Start) })

	// One deployment per ID. ids maps an ID to its first entry. Once an
	// ID is seen again, fold marks its first entry with k > 0, whose
	// merge is folded[k-1], and each later entry with -1.
	var ids idIndex
	var fold []int
	var folded []deployment
	changes := 0
	for i := range deployments {
		dep := &deployments[i]
		if dep.Time.IsZero() {
			return DORA{}, fmt.Errorf("deploy: deployment %d (%q) has no Time", i, dep.ID)
		}
		changes += len(dep.Commits)
		if dep.ID == "" {
			continue
		}
		j, seen := ids.first(deployments, i, len(deployments)-i)
		if !seen {
			continue
		}
		if fold == nil {
			fold = make([]int, len(deployments))
		}
		if fold[j] == 0 {
			folded = append(folded, deployment{Deployment: deployments[j], index: j})
			fold[j] = len(folded)
		}
		u := &folded[fold[j]-1]
		u.dups++
		if dep.Time.Before(u.Time) {
			u.Time = dep.Time
		}
		u.Failed = u.Failed || dep.Failed
		u.Commits = mergeTimes(u.Commits, dep.Commits)
		fold[i] = -1
	}

	leads := make([]time.Duration, 0, changes)
	failed := 0
	for i := range deployments {
		dep, index, dups := &deployments[i], i, 0
		if fold != nil {
			if k := fold[i]; k < 0 {
				continue
			} else if k > 0 {
				dep, index, dups = &folded[k-1].Deployment, folded[k-1].index, folded[k-1].dups
			}
		}
		for _, c := range dep.Commits {
			if c.After(dep.Time) {
				return DORA{}, fmt.Errorf("deploy: deployment %d (%q) at %s is before its commit at %s", index, dep.ID, dep.Time.Format(time.RFC3339), c.Format(time.RFC3339))
			}
		}
		if dep.Time.Before(start) || !dep.Time.Before(end) {
			continue
		}
		d.Deployments++
		d.Duplicates += dups
		if dep.Failed || (caused != nil && dep.ID != "" && caused[dep.ID]) {
			failed++
		}
		for _, c := range dep.Commits {
			leads = append(leads, dep.Time.Sub(c))
		}
	}
	days := end.Sub(start).Hours() / 24
	d.DeploysPerDay = float64(d.Deployments) / days
	d.Changes = len(leads)
	if len(leads) > 0 {
		slices.Sort(leads)
		d.LeadTimes = leads
		d.LeadTimeMedian = quantile(leads, 0.5)
		d.LeadTimeP90 = quantile(leads, 0.9)
	}
	if d.Deployments > 0 {
		d.ChangeFailureRate = float64(failed) / float64(d.Deployments)
	}
	if len(restores) > 0 {
		slices.Sort(restores)
		d.TimeToRestoreMedian = quantile(restores, 0.5)
	}

	const day, week, month = 24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour
	switch {
	case d.DeploysPerDay >= 1:
		d.Frequency = Elite
	case d.DeploysPerDay >= 1.0/7:
		d.Frequency = High
	case d.DeploysPerDay >= 1.0/30:
		d.Frequency = Medium
	default:
		d.Frequency = Low
	}
	d.LeadTime = byDuration(d.LeadTimeMedian, len(leads) > 0, day, week, month)
	if cfg.incidentsUnknown {
		return d, nil
	}
	restore := d.TimeToRestoreMedian
	if len(restores) == 0 && len(d.Open) > 0 {
		restore = d.Open[0].Age
	}
	d.Restore = byDuration(restore, true, time.Hour, day, week)
	switch {
	case d.Deployments == 0:
		// Unknown: nothing shipped, so no rate.
	case d.ChangeFailureRate <= 0.05:
		d.FailureRate = Elite
	case d.ChangeFailureRate <= 0.10:
		d.FailureRate = High
	case d.ChangeFailureRate <= 0.15:
		d.FailureRate = Medium
	default:
		d.FailureRate = Low
	}
	return d, nil
}

// idIndex finds the first entry of each deployment ID. It maps a hash of
// the ID to the entry, which is faster than a map keyed by the strings
// themselves; the rare ID whose hash another ID already took goes to a map
// of strings.
type idIndex struct {
	seed      maphash.Seed
	byHash    map[uint64]int
	collision map[string]int
	// hash, when set, replaces maphash: a test makes every ID collide.
	hash func(string) uint64
}

// first returns the index of the first entry of deps with the ID of
// deps[i], and whether it came before i; when not, it records i as the
// first. n hints how many IDs are left to see.
func (x *idIndex) first(deps []Deployment, i, n int) (int, bool) {
	id := deps[i].ID
	if x.byHash == nil {
		x.seed = maphash.MakeSeed()
		x.byHash = make(map[uint64]int, n)
	}
	var h uint64
	if x.hash != nil {
		h = x.hash(id)
	} else {
		h = maphash.String(x.seed, id)
	}
	j, ok := x.byHash[h]
	switch {
	case !ok:
		x.byHash[h] = i
		return i, false
	case deps[j].ID == id:
		return j, true
	}
	if j, ok := x.collision[id]; ok {
		return j, true
	}
	if x.collision == nil {
		x.collision = map[string]int{}
	}
	x.collision[id] = i
	return i, false
}

// deployment is the entries of one ID folded into one.
type deployment struct {
	Deployment
	index int // of the first entry, for errors
	dups  int // entries folded into it
}

// mergeTimes returns a with the times of b it lacks, never changing a's
// array, which the caller owns.
func mergeTimes(a, b []time.Time) []time.Time {
	var out []time.Time
	for _, t := range b {
		if !slices.ContainsFunc(a, t.Equal) && !slices.ContainsFunc(out, t.Equal) {
			out = append(out, t)
		}
	}
	if out == nil {
		return a
	}
	return slices.Concat(a, out)
}

func byDuration(v time.Duration, known bool, elite, high, medium time.Duration) Performance {
	switch {
	case !known:
		return Unknown
	case v < elite:
		return Elite
	case v < high:
		return High
	case v < medium:
		return Medium
	}
	return Low
}

// quantile returns the q-quantile of sorted values, interpolating between
// the two nearest ranks.
func quantile(sorted []time.Duration, q float64) time.Duration {
	pos := q * float64(len(sorted)-1)
	lo := int(pos)
	if lo+1 >= len(sorted) {
		return sorted[lo]
	}
	frac := pos - float64(lo)
	return sorted[lo] + time.Duration(frac*float64(sorted[lo+1]-sorted[lo]))
}

// BreachIncidents turns the periods in which an objective was over budget
// (Remaining below zero) into incidents, from statuses taken in time order
// (a tracker's StatusAt at a regular step, say): an incident starts at the
// first status over budget and is restored at the first one back within
// it. A breach still going on at the last status is an open incident, with
// no Restored time.
func BreachIncidents(statuses []slo.TrackerStatus) []Incident {
	var out []Incident
	var open *Incident
	for _, s := range statuses {
		over := !s.NoData && s.Remaining < 0
		switch {
		case over && open == nil:
			out = append(out, Incident{Start: s.At, Cause: s.Objective})
			open = &out[len(out)-1]
		case !over && open != nil:
			open.Restored = s.At
			open = nil
		}
	}
	return out
}
