package main

import (
	"fmt"
	"io"
	"os"
	"time"
)

// progress reports long work on a terminal: one line, rewritten in place
// at most every progressEvery from progressAfter into the work on, and
// erased when the work is done. Anywhere else (a pipe, a file, a CI log)
// it writes nothing, so that standard error keeps only what matters. A
// nil *progress reports nothing.
type progress struct {
	w     io.Writer
	now   func() time.Time
	start time.Time
	last  time.Time // of the line shown; zero: none shown
	width int       // of the line shown
}

const (
	progressAfter = 500 * time.Millisecond
	progressEvery = 250 * time.Millisecond
)

// newProgress returns a progress that writes to w when w is a terminal,
// and nil otherwise. A terminal is a character device: so is /dev/null,
// where the lines go nowhere.
func newProgress(w io.Writer) *progress {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return &progress{w: w, now: time.Now, start: time.Now()}
}

// report shows the line, unless the work is younger than progressAfter or
// the last line is younger than progressEvery.
func (p *progress) report(format string, args ...any) {
	if p == nil {
		return
	}
	now := p.now()
	if now.Sub(p.start) < progressAfter || (!p.last.IsZero() && now.Sub(p.last) < progressEvery) {
		return
	}
	line := "runkit: " + fmt.Sprintf(format, args...)
	pad := max(0, p.width-len(line))
	fmt.Fprintf(p.w, "\r%s%*s", line, pad, "")
	p.last, p.width = now, len(line)
}

// done erases the line, if one is shown.
func (p *progress) done() {
	if p == nil || p.last.IsZero() {
		return
	}
	fmt.Fprintf(p.w, "\r%*s\r", p.width, "")
	p.last, p.width = time.Time{}, 0
}
