package incident

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The files of a snapshot's directory.
const (
	TraceFile      = "trace.out"      // the execution trace window: go tool trace trace.out
	GoroutinesFile = "goroutines.txt" // every goroutine's stack, as a panic prints them
	HeapFile       = "heap.pprof"     // the heap profile: go tool pprof heap.pprof
	EventsFile     = "events.jsonl"   // the journal's events, one JSON object a line
	ManifestFile   = "manifest.json"  // a Snapshot, as JSON
)

// Snapshot describes one snapshot: it is its manifest.json.
type Snapshot struct {
	// Name is the snapshot's directory in RecorderConfig.Dir: its time
	// and trigger, such as "20261203T031502.118Z-breaker-open".
	Name    string  `json:"name"`
	Trigger Trigger `json:"trigger"`
	Reason  string  `json:"reason"`
	// Time is when the trigger fired; Written how long the snapshot took
	// to write.
	Time    time.Time     `json:"time"`
	Written time.Duration `json:"written"`
	// TraceID is the trigger's trace, when it had one.
	TraceID string `json:"traceId,omitempty"`
	// Service, Instance, DeploymentID, Version and Revision name the
	// process and its build.
	Service      string `json:"service,omitempty"`
	Instance     string `json:"instance,omitempty"`
	DeploymentID string `json:"deploymentId,omitempty"`
	Version      string `json:"version,omitempty"`
	Revision     string `json:"revision,omitempty"`
	GoVersion    string `json:"goVersion"`
	// Suppressed counts, by trigger, the triggers rate-limited since the
	// previous snapshot.
	Suppressed map[Trigger]int `json:"suppressed,omitempty"`
	// Files maps each file of the snapshot to its size in bytes.
	Files map[string]int64 `json:"files"`
	// Bytes is the snapshot's size on disk.
	Bytes int64 `json:"bytes"`
}

// snapshotName is the directory name of a snapshot: sortable by time.
func snapshotName(at time.Time, t Trigger) string {
	return at.UTC().Format("20060102T150405.000Z") + "-" + string(t)
}

// write writes the snapshot of req into a hidden directory, renames it
// into place, records it in the journal and prunes the oldest.
func (r *Recorder) write(req request) (Snapshot, error) {
	s := Snapshot{
		Name: snapshotName(req.at, req.trigger), Trigger: req.trigger, Reason: req.reason, Time: req.at, TraceID: req.traceID,
		Version: r.cfg.Deployment.Version, Revision: r.cfg.Deployment.Revision, GoVersion: runtime.Version(),
		Files: map[string]int64{},
	}
	if m := r.cfg.Deployment; m.ID != "" || m.Service != "" {
		s.DeploymentID = deploymentID(m)
	}
	if j := r.cfg.Journal; j != nil {
		s.Service, s.Instance = j.cfg.Service, j.cfg.Instance
	}
	r.mu.Lock()
	if len(r.suppressed) > 0 {
		s.Suppressed = r.suppressed
		r.suppressed = map[Trigger]int{}
	}
	r.mu.Unlock()

	// Two snapshots in one millisecond get a count after the first.
	base := s.Name
	final := filepath.Join(r.cfg.Dir, s.Name)
	for i := 2; ; i++ {
		if _, err := os.Lstat(final); errors.Is(err, fs.ErrNotExist) {
			break
		}
		s.Name = base + "-" + strconv.Itoa(i)
		final = filepath.Join(r.cfg.Dir, s.Name)
	}
	tmp := filepath.Join(r.cfg.Dir, "."+s.Name+".tmp")
	if err := r.writeFiles(tmp, &s); err != nil {
		os.RemoveAll(tmp)
		return Snapshot{}, fmt.Errorf("incident: write snapshot %s: %w", s.Name, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		os.RemoveAll(tmp)
		return Snapshot{}, fmt.Errorf("incident: write snapshot %s: %w", s.Name, err)
	}
	if j := r.cfg.Journal; j != nil {
		j.Record(contextWithTrace(req.traceID), Event{Name: ProcessSnapshot, Subject: s.Name, To: "written", Cause: string(req.trigger) + ": " + req.reason})
	}
	r.prune(s.Name)
	return s, nil
}

func (r *Recorder) writeFiles(dir string, s *Snapshot) error {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return err
	}
	start := time.Now()
	files := []struct {
		name  string
		write func(io.Writer) error
	}{
		{TraceFile, func(w io.Writer) error { _, err := r.fr.WriteTo(w); return err }},
		{GoroutinesFile, func(w io.Writer) error { return pprof.Lookup("goroutine").WriteTo(w, 2) }},
		{HeapFile, func(w io.Writer) error { return pprof.Lookup("heap").WriteTo(w, 0) }},
		{EventsFile, r.writeEvents(s.Time)},
	}
	for _, f := range files {
		n, err := writeFile(filepath.Join(dir, f.name), f.write)
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		s.Files[f.name] = n
		s.Bytes += n
	}
	s.Written = time.Since(start)
	// The manifest counts its own size: marshal until the size it states
	// is its size (a digit more changes it at most twice).
	data := s.Bytes
	var b []byte
	for range 4 {
		var err error
		if b, err = json.MarshalIndent(s, "", "  "); err != nil {
			return err
		}
		b = append(b, '\n')
		if s.Files[ManifestFile] == int64(len(b)) {
			break
		}
		s.Files[ManifestFile] = int64(len(b))
		s.Bytes = data + int64(len(b))
	}
	_, err := writeFile(filepath.Join(dir, ManifestFile), func(w io.Writer) error { _, err := w.Write(b); return err })
	return err
}

// writeEvents returns the writer of the journal's events from EventSpan
// before at to now.
func (r *Recorder) writeEvents(at time.Time) func(io.Writer) error {
	return func(w io.Writer) error {
		if r.cfg.Journal == nil {
			return nil
		}
		enc := json.NewEncoder(w)
		for _, e := range r.cfg.Journal.Events(Filter{Since: at.Add(-r.cfg.EventSpan)}) {
			if err := enc.Encode(e); err != nil {
				return err
			}
		}
		return nil
	}
}

// writeFile writes a file through a buffer, syncs it and returns its
// size.
func writeFile(path string, write func(io.Writer) error) (int64, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	err = write(bw)
	err = errors.Join(err, bw.Flush(), f.Sync())
	info, statErr := f.Stat()
	err = errors.Join(err, statErr, f.Close())
	if err != nil {
		return 0, err
	}
	return info.Size(), nil
}

// Snapshots lists the snapshots in place in Dir, oldest first, from their
// manifests. A directory without a readable manifest is left out.
func (r *Recorder) Snapshots() ([]Snapshot, error) { return listSnapshots(r.cfg.Dir) }

func listSnapshots(dir string) ([]Snapshot, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("incident: list snapshots: %w", err)
	}
	var out []Snapshot
	for _, e := range ents {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name(), ManifestFile))
		if err != nil {
			continue
		}
		var s Snapshot
		if json.Unmarshal(b, &s) != nil || s.Name != e.Name() {
			continue
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Snapshot) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// prune removes the oldest snapshots until Dir holds at most MaxSnapshots
// and MaxDiskBytes, keeping the one named keep.
func (r *Recorder) prune(keep string) {
	list, err := listSnapshots(r.cfg.Dir)
	if err != nil {
		return
	}
	var total int64
	for _, s := range list {
		total += s.Bytes
	}
	for len(list) > 0 && (len(list) > r.cfg.MaxSnapshots || total > r.cfg.MaxDiskBytes) {
		s := list[0]
		if s.Name == keep {
			break
		}
		// Renamed first, so that a listing never sees it half removed.
		hidden := filepath.Join(r.cfg.Dir, "."+s.Name+".tmp")
		if os.Rename(filepath.Join(r.cfg.Dir, s.Name), hidden) == nil {
			os.RemoveAll(hidden)
		}
		total -= s.Bytes
		list = list[1:]
	}
}
