package main

import (
	"fmt"
	"io"
	"time"
)

// attribution is one incident of the period that names the deployment
// it is attributed to, as runkit dora -o json lists it.
type attribution struct {
	Incident   string     `json:"incident"`
	Start      time.Time  `json:"start"`
	Restored   *time.Time `json:"restored"`
	SLO        string     `json:"slo,omitempty"`
	Deployment string     `json:"deployment"`
	Version    string     `json:"version,omitempty"`
	// Before is how long before the incident's start the deployment
	// started, when the record says when that was.
	Before *float64 `json:"deployedSecondsBefore,omitempty"`
}

// attributions lists the incidents that started in [start, end) and name
// a cause, in the order of the file.
func attributions(recs []incidentLine, start, end time.Time) []attribution {
	out := []attribution{}
	for _, r := range recs {
		if r.Cause == "" || r.Start.Before(start) || !r.Start.Before(end) {
			continue
		}
		a := attribution{Incident: r.ID, Start: r.Start.UTC(), SLO: r.SLO, Deployment: r.Cause}
		if r.Restored != nil {
			t := r.Restored.UTC()
			a.Restored = &t
		}
		if d := r.Deployment; d != nil && d.ID == r.Cause {
			a.Version = d.Version
			before := r.Start.Sub(d.Time).Seconds()
			a.Before = &before
		}
		out = append(out, a)
	}
	return out
}

// attributionTable writes which deployment each incident was attributed
// to, after dora's table; nothing when no incident names one.
func attributionTable(w io.Writer, as []attribution) error {
	if len(as) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	tw := newTable(w)
	row(tw, "INCIDENT", "START", "RESTORED AFTER", "ATTRIBUTED TO")
	for _, a := range as {
		restore := "open"
		if a.Restored != nil {
			restore = human(a.Restored.Sub(a.Start))
		}
		dep := a.Deployment
		if a.Version != "" {
			dep += " (" + a.Version + ")"
		}
		if a.Before != nil {
			dep += ", deployed " + human(time.Duration(*a.Before*float64(time.Second))) + " before"
		}
		id := a.Incident
		if id == "" {
			id = "-"
		}
		row(tw, id, a.Start.Format(time.RFC3339), restore, dep)
	}
	return tw.Flush()
}
