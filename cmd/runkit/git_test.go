package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ybiyri/runkit/deploy"
)

// requireGit skips a test without git, unless CI is set: then it fails.
func requireGit(tb testing.TB) string {
	tb.Helper()
	path, err := exec.LookPath("git")
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("CI is set and git is not on PATH: .ci/run installs it")
		}
		tb.Skip("git is not on PATH (under CI the test fails instead)")
	}
	return path
}

// fastRepo makes a repository at dir with git fast-import: a main line of
// n commits a minute apart from base, every tenth of them (after the
// first) a merge of a side branch of two commits made in between. It
// returns the main line's hashes, oldest first.
func fastRepo(tb testing.TB, dir string, n int, base time.Time) []string {
	tb.Helper()
	git := requireGit(tb)
	var in bytes.Buffer
	mark := 0
	main := make([]int, n)
	at := base.Unix()
	commit := func(ref string, from int, merge int, msg string) int {
		mark++
		fmt.Fprintf(&in, "commit %s\nmark :%d\ncommitter t <t@example.com> %d +0000\ndata %d\n%s\n", ref, mark, at, len(msg), msg)
		if from > 0 {
			fmt.Fprintf(&in, "from :%d\n", from)
		}
		if merge > 0 {
			fmt.Fprintf(&in, "merge :%d\n", merge)
		}
		return mark
	}
	for i := range n {
		at = base.Add(time.Duration(i) * time.Minute).Unix()
		prev := 0
		if i > 0 {
			prev = main[i-1]
		}
		side := 0
		if i > 0 && i%10 == 0 {
			// Two commits on a side branch from the commit before last,
			// made half a minute before the merge.
			at -= 30
			s1 := commit("refs/heads/side", main[max(0, i-2)], 0, "side "+strconv.Itoa(i)+"a")
			side = commit("refs/heads/side", s1, 0, "side "+strconv.Itoa(i)+"b")
			at += 30
		}
		main[i] = commit("refs/heads/main", prev, side, "main "+strconv.Itoa(i))
	}
	marks := filepath.Join(tb.TempDir(), "marks")
	for _, args := range [][]string{{"init", "-q", dir}, {"-C", dir, "fast-import", "--quiet", "--export-marks=" + marks}} {
		cmd := exec.Command(git, args...)
		if args[0] == "-C" {
			cmd.Stdin = &in
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			tb.Fatalf("git %s: %v: %s", args[0], err, out)
		}
	}
	b, err := os.ReadFile(marks)
	if err != nil {
		tb.Fatal(err)
	}
	sha := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		m, h, _ := strings.Cut(l, " ")
		sha[m] = h
	}
	out := make([]string, n)
	for i, m := range main {
		out[i] = sha[":"+strconv.Itoa(m)]
	}
	return out
}

// doraMarkers writes n deployment markers to a file, as deploy mark
// writes them: deployment j of revs[j×len(revs)/n], an hour after that
// commit, to service a or b in turn; every seventh is a rollback to the
// revision two deployments back of its service.
func doraMarkers(tb testing.TB, revs []string, n int, base time.Time) string {
	tb.Helper()
	var b bytes.Buffer
	w := deploy.Writer(&b)
	for j := range n {
		i := j * len(revs) / n
		rev := revs[i]
		if j%7 == 6 && j >= 4 {
			rev = revs[(j-4)*len(revs)/n]
		}
		at := base.Add(time.Duration(i)*time.Minute + time.Hour)
		m := deploy.Marker{ID: "d" + strconv.Itoa(j), Service: []string{"a", "b"}[j%2], Environment: "production",
			Version: strconv.Itoa(j), Revision: rev, Start: at, End: at}
		if err := w.Send(context.Background(), m); err != nil {
			tb.Fatal(err)
		}
	}
	path := filepath.Join(tb.TempDir(), "deployments.jsonl")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// readTestMarkers reads the markers and their deployments as dora does.
func readTestMarkers(tb testing.TB, path string) ([]marker, []deploy.Deployment) {
	tb.Helper()
	markers, _, err := readMarkerFiles([]string{path}, markerFilter{}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	deps := make([]deploy.Deployment, len(markers))
	for i, m := range markers {
		deps[i] = m.Deployment()
	}
	return markers, deps
}

// TestGitCommitsWalksOnce: dora --git runs git three times, whatever the
// number of deployments (it ran git log once per deployment, about 2 ms
// each), and finds each deployment's commits as git log REV ^EARLIER...
// does, merges, rollbacks and redeploys included.
func TestGitCommitsWalksOnce(t *testing.T) {
	git := requireGit(t)
	base := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	repo := filepath.Join(t.TempDir(), "repo")
	revs := fastRepo(t, repo, 600, base)
	path := doraMarkers(t, revs, 300, base)

	// A git that logs each run.
	bin := t.TempDir()
	runs := filepath.Join(bin, "runs")
	script := "#!/bin/sh\necho \"$1 $2 $3\" >> " + runs + "\nexec " + git + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "git"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	markers, got := readTestMarkers(t, path)
	if err := gitCommits(t.Context(), repo, markers, got, nil); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(runs)
	if n := strings.Count(string(b), "\n"); n != 3 {
		t.Errorf("git ran %d times for %d deployments, want 3:\n%s", n, len(markers), b)
	}

	_, want := readTestMarkers(t, path)
	if err := gitCommitsPerDeployment(t.Context(), repo, markers, want); err != nil {
		t.Fatal(err)
	}
	changes := 0
	for i := range got {
		changes += len(got[i].Commits)
		if !reflect.DeepEqual(got[i].Commits, want[i].Commits) {
			t.Errorf("deployment %s: commits %v, want %v", got[i].ID, got[i].Commits, want[i].Commits)
		}
	}
	// 600 main-line commits and 59 merged side branches of two, less
	// what reached each service before its first deployment.
	if changes < 1000 {
		t.Errorf("%d changes in all, want the history's", changes)
	}
}

// BenchmarkDORAGit runs runkit dora --git over a generated repository of
// 20,000 main-line commits: its deployments (10,000 takes at most 2 s), and
// with the per-deployment baseline, git log once per deployment, which
// ran before.
func BenchmarkDORAGit(b *testing.B) {
	base := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	repo := filepath.Join(b.TempDir(), "repo")
	revs := fastRepo(b, repo, 20000, base)
	for _, n := range []int{1000, 10000} {
		path := doraMarkers(b, revs, n, base)
		args := []string{"dora", "--deployments", path, "--since", "2026-03-01", "--until", "2027-01-01", "--git", repo, "-o", "json"}
		b.Run(fmt.Sprintf("deployments=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var stdout, stderr bytes.Buffer
				if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
					b.Fatalf("exit %d: %s", code, stderr.String())
				}
			}
		})
	}
	// The baseline, on the smaller set only: 10,000 takes about 20 s.
	path := doraMarkers(b, revs, 1000, base)
	b.Run("baseline=per-deployment/deployments=1000", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			markers, deps := readTestMarkers(b, path)
			if err := gitCommitsPerDeployment(context.Background(), repo, markers, deps); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// gitCommitsPerDeployment is gitCommits as it was, running git log once
// per deployment: the baseline of BenchmarkDORAGit and the reference of
// TestGitCommitsWalksOnce.
func gitCommitsPerDeployment(ctx context.Context, dir string, markers []marker, deps []deploy.Deployment) error {
	g, entries, err := gitEntries(ctx, dir, markers, deps)
	if err != nil {
		return err
	}
	commits := map[string][]time.Time{}
	deployed := map[string][]string{} // group → the shas deployed so far
	for _, e := range entries {
		// Not reachable from anything deployed before: what reached
		// production for the first time.
		args, in := []string{"log", "-1", "--format=%ct", e.sha, "--"}, ""
		if before := deployed[e.group]; len(before) > 0 {
			args = []string{"log", "--format=%ct", "--stdin", "--"}
			in = e.sha + "\n^" + strings.Join(before, "\n^") + "\n"
		}
		if !slices.Contains(deployed[e.group], e.sha) {
			deployed[e.group] = append(deployed[e.group], e.sha)
		}
		out, err := g.run(in, args...)
		if err != nil {
			return externalErrorf("--git %s: %v", dir, err)
		}
		var times []time.Time
		for _, l := range strings.Fields(out) {
			sec, err := strconv.ParseInt(l, 10, 64)
			if err != nil {
				return externalErrorf("--git %s: git log answered %q", dir, l)
			}
			times = append(times, time.Unix(sec, 0).UTC())
		}
		commits[e.id] = times
	}
	for i, m := range markers {
		if m.Revision != "" {
			deps[i].Commits = commits[deps[i].ID]
		}
	}
	return nil
}
