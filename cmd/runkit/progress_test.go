package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

// TestProgress: nothing in the first half second, then one line rewritten
// in place at most every quarter second, erased at the end.
func TestProgress(t *testing.T) {
	var buf bytes.Buffer
	start := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	now := start
	p := &progress{w: &buf, now: func() time.Time { return now }, start: start}
	p.report("walking: %d commits", 1)
	if buf.Len() != 0 {
		t.Fatalf("at once: %q, want nothing", buf.String())
	}
	now = start.Add(600 * time.Millisecond)
	p.report("walking: %d commits", 40000)
	now = start.Add(700 * time.Millisecond)
	p.report("walking: %d commits", 50000) // too soon after the last
	now = start.Add(900 * time.Millisecond)
	p.report("deployments: %d of %d", 5, 10)
	p.done()
	want := "\rrunkit: walking: 40000 commits" +
		"\rrunkit: deployments: 5 of 10  " + // padded over the longer line
		"\r" + strings.Repeat(" ", 28) + "\r"
	if buf.String() != want {
		t.Errorf("progress wrote %q, want %q", buf.String(), want)
	}
	// A nil progress, as elsewhere than a terminal, reports nothing.
	var none *progress
	none.report("x")
	none.done()
}

// Progress goes only to a terminal: not to a pipe or a file, nor to a
// writer that is not a file.
func TestNewProgressOnlyOnTerminal(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	f, err := os.Create(t.TempDir() + "/log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for name, out := range map[string]any{"pipe": w, "file": f, "buffer": &bytes.Buffer{}} {
		var p *progress
		switch o := out.(type) {
		case *os.File:
			p = newProgress(o)
		case *bytes.Buffer:
			p = newProgress(o)
		}
		if p != nil {
			t.Errorf("newProgress(%s) reports; want nil", name)
		}
	}
}
