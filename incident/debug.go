package incident

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/ybiyri/runkit/internal/readonly"
)

// SnapshotsPath is where Handler expects to be mounted.
const SnapshotsPath = "/debug/snapshots"

// Handler serves the snapshots at SnapshotsPath: GET /debug/snapshots
// lists them as a JSON array of Snapshot, oldest first, and GET
// /debug/snapshots/NAME/FILE downloads one file of one (FILE being one
// of TraceFile, GoroutinesFile, HeapFile, EventsFile, ManifestFile).
// Mount it on both paths:
//
//	mux.Handle("/debug/snapshots", rec.Handler())
//	mux.Handle("/debug/snapshots/", rec.Handler())
//
// It is off (404 for every request) unless RecorderConfig.Authorize is
// set, and answers 403 to a request Authorize refuses: traces and heap
// profiles can hold user data. It answers GET and HEAD only.
func (r *Recorder) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if r.cfg.Authorize == nil {
			http.Error(w, "snapshots are not served: the service set no RecorderConfig.Authorize", http.StatusNotFound)
			return
		}
		if !readonly.Allow(w, req) {
			return
		}
		if !r.cfg.Authorize(req) {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		_, rest, _ := strings.Cut(req.URL.Path, SnapshotsPath)
		rest = strings.Trim(rest, "/")
		list, err := r.Snapshots()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if rest == "" {
			w.Header().Set("Content-Type", "application/json")
			if list == nil {
				list = []Snapshot{}
			}
			if req.Method == http.MethodHead {
				return
			}
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			enc.Encode(list)
			return
		}
		name, file, _ := strings.Cut(rest, "/")
		found := false
		for _, s := range list {
			if s.Name == name {
				_, found = s.Files[file]
			}
		}
		if !found {
			http.Error(w, fmt.Sprintf("no snapshot file %q", rest), http.StatusNotFound)
			return
		}
		f, err := os.Open(filepath.Join(r.cfg.Dir, name, file))
		if err != nil {
			http.Error(w, "snapshot removed", http.StatusNotFound)
			return
		}
		defer f.Close()
		info, err := f.Stat()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name+"-"+file))
		http.ServeContent(w, req, "", info.ModTime(), f)
	})
}

// Middleware recovers a panic of next, records it in the journal (as
// ProcessPanic, with the request's trace, under its route's pattern as an
// http.ServeMux inside next set it, never its path, which may hold a
// secret) and fires TriggerPanic, then
// panics again with the same value, so that net/http logs it and aborts
// the response as it would have. http.ErrAbortHandler passes through
// untouched.
func (r *Recorder) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p != http.ErrAbortHandler {
				// The route's pattern, never the path, which may hold a
				// token: /events is served to whoever may read it.
				subject := req.Pattern
				if subject == "" {
					subject = req.Method + " /[redacted]"
				} else if !strings.Contains(subject, " ") {
					subject = req.Method + " " + subject
				}
				cause := fmt.Sprint(p)
				if j := r.cfg.Journal; j != nil {
					// The journal's event fires the trigger.
					j.Record(req.Context(), Event{Name: ProcessPanic, Subject: subject, Cause: cause})
				} else {
					r.Trigger(req.Context(), TriggerPanic, subject+": "+cause)
				}
			}
			panic(p)
		}()
		next.ServeHTTP(w, req)
	})
}
