package htmlpage

import (
	"strings"
	"testing"
	"time"
)

func TestFormats(t *testing.T) {
	for f, want := range map[float64]string{0.02: "0.02", 0: "0", 1: "1", 28810.9: "28,810.9", 28810.94: "28,810.9", 1441: "1,441", 1234567.5: "1,234,567.5", -2.5: "-2.5"} {
		if got := Decimal(f); got != want {
			t.Errorf("Decimal(%v) = %q, want %q", f, got, want)
		}
	}
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", -1234567: "-1,234,567"} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
	for d, want := range map[time.Duration]string{
		0: "0s", 1500 * time.Millisecond: "2s", 43*time.Minute + 12*time.Second: "43m 12s",
		26*time.Hour + 29*time.Minute + 40*time.Second: "1d 2h", 49*time.Hour + 59*time.Minute: "2d 2h",
		3 * time.Hour: "3h", 90 * time.Second: "1m 30s", -90 * time.Minute: "-1h 30m",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
	if got := Stamp(time.Date(2026, 11, 1, 14, 5, 59, 0, time.FixedZone("X", 3600))); got != "2026-11-01 13:05 UTC" {
		t.Errorf("Stamp = %q", got)
	}
	if got := Percent(0.41234, 2); got != "41.23%" {
		t.Errorf("Percent = %q", got)
	}
}

func TestParse(t *testing.T) {
	tmpl := Parse("t", `{{define "css"}}.x{color:red}{{end}}{{define "body"}}<p>{{.Title}}</p>{{end}}`)
	var b strings.Builder
	if err := tmpl.Execute(&b, struct {
		Title   string
		Refresh int
	}{"<b>", 30}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{"<title>&lt;b&gt;</title>", "<p>&lt;b&gt;</p>", `content="30"`, ".x{color:red}", `content="` + CSP + `"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s:\n%s", want, page)
		}
	}
}

func TestTicks(t *testing.T) {
	d0 := time.Date(2026, 12, 3, 13, 7, 0, 0, time.UTC)
	got := Ticks(d0, d0.Add(time.Hour))
	var labels []string
	for _, tk := range got {
		labels = append(labels, tk.Label+"@"+tk.X+"/"+tk.Anchor)
	}
	want := "13:15@13.3%/middle 13:30@38.3%/middle 13:45@63.3%/middle 14:00@88.3%/middle"
	if s := strings.Join(labels, " "); s != want {
		t.Errorf("Ticks over an hour = %s, want %s", s, want)
	}
	if len(got) > 1 && (got[0].Minor || !got[1].Minor) {
		t.Errorf("every other tick should be minor: %+v", got)
	}
	if got := Ticks(d0, d0.Add(30*24*time.Hour)); len(got) == 0 || len(got) > 6 || got[0].Label != "Dec 7" {
		t.Errorf("Ticks over 30 days = %+v, want at most six day labels", got)
	}
}
