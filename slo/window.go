package slo

import (
	"fmt"
	"time"
)

// Calendar is the unit of a calendar window.
type Calendar uint8

const (
	// NotCalendar marks a rolling window. It is the zero value.
	NotCalendar Calendar = iota
	// Month windows run from the first of a month to the first of the next.
	Month
	// Quarter windows start on 1 January, April, July and October.
	Quarter
	// Year windows start on 1 January.
	Year
)

func (c Calendar) String() string {
	switch c {
	case NotCalendar:
		return "rolling"
	case Month:
		return "month"
	case Quarter:
		return "quarter"
	case Year:
		return "year"
	}
	return fmt.Sprintf("Calendar(%d)", uint8(c))
}

// Window is the period an objective covers: either a rolling duration
// ("the last 30 days") or a calendar period in a time zone ("this month, in
// Europe/Berlin"), whose length follows the calendar: 28 to 31 days for a
// month, and a day of 23 or 25 hours across a daylight-saving change.
type Window struct {
	// Rolling is the length of a rolling window. It is zero for a calendar
	// window.
	Rolling time.Duration
	// Calendar is the unit of a calendar window.
	Calendar Calendar
	// Location is the time zone of a calendar window. Nil means UTC.
	Location *time.Location
}

// Rolling returns a rolling window of length d.
func Rolling(d time.Duration) Window { return Window{Rolling: d} }

// CalendarWindow returns a calendar window of unit c in loc (nil for UTC).
func CalendarWindow(c Calendar, loc *time.Location) Window {
	return Window{Calendar: c, Location: loc}
}

// Validate reports whether w is a usable window.
func (w Window) Validate() error {
	switch {
	case w.Calendar == NotCalendar && w.Rolling <= 0:
		return fmt.Errorf("Window %v is not positive", w.Rolling)
	case w.Calendar > Year:
		return fmt.Errorf("Window calendar unit %v is unknown", w.Calendar)
	case w.Calendar != NotCalendar && w.Rolling != 0:
		return fmt.Errorf("Window sets both Rolling %v and Calendar %v", w.Rolling, w.Calendar)
	}
	return nil
}

func (w Window) String() string {
	if w.Calendar == NotCalendar {
		return FormatDuration(w.Rolling)
	}
	return fmt.Sprintf("calendar %v in %v", w.Calendar, w.loc())
}

// text writes w as ParseWindow reads it: "30d" or "month". A calendar
// window's zone is not part of it.
func (w Window) text() string {
	if w.Calendar == NotCalendar {
		return FormatDuration(w.Rolling)
	}
	return w.Calendar.String()
}

func (w Window) loc() *time.Location {
	if w.Location == nil {
		return time.UTC
	}
	return w.Location
}

// Bounds returns the window that holds t: [t-Rolling, t) for a rolling
// window, the calendar period that contains t otherwise.
func (w Window) Bounds(t time.Time) (start, end time.Time) {
	if w.Calendar == NotCalendar {
		return t.Add(-w.Rolling), t
	}
	t = t.In(w.loc())
	y, m, _ := t.Date()
	switch w.Calendar {
	case Month:
		start = time.Date(y, m, 1, 0, 0, 0, 0, w.loc())
		end = start.AddDate(0, 1, 0)
	case Quarter:
		start = time.Date(y, m-(m-1)%3, 1, 0, 0, 0, 0, w.loc())
		end = start.AddDate(0, 3, 0)
	default:
		start = time.Date(y, 1, 1, 0, 0, 0, 0, w.loc())
		end = start.AddDate(1, 0, 0)
	}
	return start, end
}

// Length returns the length of the window that holds t.
func (w Window) Length(t time.Time) time.Duration {
	if w.Calendar == NotCalendar {
		return w.Rolling
	}
	start, end := w.Bounds(t)
	return end.Sub(start)
}

// maxLength is the longest the window can be.
func (w Window) maxLength() time.Duration {
	switch w.Calendar {
	case Month:
		return 31*24*time.Hour + time.Hour
	case Quarter:
		return 92*24*time.Hour + time.Hour
	case Year:
		return 366*24*time.Hour + time.Hour
	}
	return w.Rolling
}

// minLength is the shortest the window can be: a February, a first
// quarter or a year of 365 days, less the hour a daylight-saving change
// may take out of it.
func (w Window) minLength() time.Duration {
	const day = 24 * time.Hour
	switch w.Calendar {
	case Month:
		return 28*day - time.Hour
	case Quarter:
		return 90*day - time.Hour
	case Year:
		return 365*day - time.Hour
	}
	return w.Rolling
}
