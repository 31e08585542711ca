package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ybiyri/runkit/incident"
)

// journal VAR SERVICE FILE [SKEW] serves a real incident.Journal of
// SERVICE at $VAR (its /events URL), holding the events of FILE, JSON
// lines of incident.Event as /events serves them. With SKEW, a duration,
// the server's Date header is that far from the real clock, as a
// service whose clock is off would send it.
func cmdJournal(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 || len(args) > 4 {
		ts.Fatalf("usage: journal VAR SERVICE FILE [SKEW]")
	}
	var skew time.Duration
	if len(args) == 4 {
		var err error
		skew, err = time.ParseDuration(args[3])
		ts.Check(err)
	}
	j, err := incident.New(incident.Config{Service: args[1], Instance: args[1] + "-1"})
	ts.Check(err)
	ts.Defer(func() { j.Close() })
	for line := range strings.Lines(ts.ReadFile(args[2])) {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var e incident.Event
		ts.Check(json.Unmarshal([]byte(line), &e))
		e.Seq, e.Service, e.Instance = 0, "", ""
		j.Record(context.Background(), e)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /events", j)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", time.Now().Add(skew).UTC().Format(http.TimeFormat))
		mux.ServeHTTP(w, r)
	}))
	ts.Defer(srv.Close)
	ts.Setenv(args[0], srv.URL+"/events")
}
