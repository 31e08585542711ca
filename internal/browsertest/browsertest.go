package browsertest

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ShotsDir is where Screenshot saves a copy of every screenshot, for a
// person to look at.
const ShotsDir = "/tmp/runkit-shots"

// Viewport is the size of the window a page is shown in, in CSS pixels.
type Viewport struct {
	Width, Height int64
	// Mobile emulates a phone: the page's viewport meta tag applies.
	Mobile bool
}

// The two viewports every page is checked at: a laptop window and a phone.
var (
	Desktop = Viewport{Width: 1280, Height: 800}
	Phone   = Viewport{Width: 390, Height: 844, Mobile: true}
)

// ExecPath returns the chromium binary, or "" when there is none.
func ExecPath() string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	return ""
}

// Start starts a headless chromium with a fresh profile for the test and
// returns its context; the browser stops when the test ends. Without
// chromium it skips the test, or fails it when CI is set.
func Start(t testing.TB) context.Context {
	t.Helper()
	path := ExecPath()
	requireBrowser(t, path)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	// Starting the browser binds it to ctx; a loaded 2-core machine can
	// take a while.
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		t.Fatalf("start chromium %s: %v", path, err)
	}
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	return ctx
}

// requireBrowser skips t when path is empty, or fails it when CI is set.
func requireBrowser(t testing.TB, path string) {
	t.Helper()
	if path != "" {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed and CI is set: install Debian's chromium (apt-get install -y chromium)")
	}
	t.Skip("chromium is not installed; apt-get install -y chromium")
}

// Tab is one page loaded in the browser, with what it logged and
// requested.
type Tab struct {
	ctx context.Context

	mu       sync.Mutex // guards the fields below
	errors   []string
	requests []string
}

// Open opens u in a new tab of the browser shown at v, waits for it to
// load, and records every console error, uncaught exception, error entry
// of the browser log and request of the tab from the start.
func Open(t testing.TB, browser context.Context, u string, v Viewport) *Tab {
	t.Helper()
	tab := &Tab{}
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithListener(tab.listen))
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancelTimeout)
	tab.ctx = ctx
	emulate := []chromedp.EmulateViewportOption{chromedp.EmulatePortrait}
	if v.Mobile {
		emulate = append(emulate, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(v.Width, v.Height, emulate...),
		chromedp.Navigate(u),
	); err != nil {
		t.Fatalf("open %s: %v", u, err)
	}
	return tab
}

func (tab *Tab) listen(ev any) {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var args []string
			for _, a := range ev.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			tab.errors = append(tab.errors, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil {
			text += " " + d.Exception.Description
		}
		tab.errors = append(tab.errors, "exception: "+text)
	case *log.EventEntryAdded:
		if ev.Entry.Level == log.EntryLevelError {
			tab.errors = append(tab.errors, fmt.Sprintf("log %s: %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
		}
	case *network.EventRequestWillBeSent:
		tab.requests = append(tab.requests, ev.Request.URL)
	}
}

// Context returns the tab's chromedp context, for actions of the test's
// own.
func (tab *Tab) Context() context.Context { return tab.ctx }

// Requests returns the URL of every request the tab made so far.
func (tab *Tab) Requests() []string {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	return append([]string(nil), tab.requests...)
}

// RequireClean fails t when the page logged an error or threw, or when it
// requested anything from a host other than origin's (data: URLs, which
// never leave the browser, are allowed). It also fails when the page made
// no request at all, which would mean the recording saw nothing.
func (tab *Tab) RequireClean(t testing.TB, origin string) {
	t.Helper()
	// Let late events (a favicon, a CSP report) arrive.
	Eval[int](t, tab, `new Promise(r => requestAnimationFrame(() => setTimeout(() => r(1), 200)))`)
	o, err := url.Parse(origin)
	if err != nil {
		t.Fatalf("origin %q: %v", origin, err)
	}
	tab.mu.Lock()
	defer tab.mu.Unlock()
	for _, e := range tab.errors {
		t.Errorf("page logged an error: %s", e)
	}
	if len(tab.requests) == 0 {
		t.Error("the tab recorded no request at all")
	}
	for _, r := range tab.requests {
		u, err := url.Parse(r)
		switch {
		case err != nil:
			t.Errorf("request to an unreadable URL %q: %v", r, err)
		case u.Scheme == "data":
		case u.Host != o.Host || u.Scheme != o.Scheme:
			t.Errorf("request left the test server: %s", r)
		}
	}
}

// Eval evaluates a JavaScript expression in the tab (awaiting a promise)
// and decodes its value.
func Eval[T any](t testing.TB, tab *Tab, js string) T {
	t.Helper()
	v, err := chromedp.Run(tab.ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// Screenshot captures the viewport, saves a copy as ShotsDir/name.png and
// fails t when the image is blank: nearly one colour, or too few colours
// to be text and charts.
func (tab *Tab) Screenshot(t testing.TB, name string) image.Image {
	t.Helper()
	return tab.shot(t, name, chromedp.CaptureScreenshot())
}

// FullPage is Screenshot of the whole page, as long as it is.
func (tab *Tab) FullPage(t testing.TB, name string) image.Image {
	t.Helper()
	return tab.shot(t, name, chromedp.FullScreenshot(100))
}

func (tab *Tab) shot(t testing.TB, name string, capture chromedp.Action[[]byte]) image.Image {
	t.Helper()
	buf, err := chromedp.Run(tab.ctx, capture)
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(ShotsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(ShotsDir, name+".png")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(buf))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	b := img.Bounds()
	t.Logf("screenshot %s: %dx%d, saved as %s", name, b.Dx(), b.Dy(), path)
	if share, colours := Ink(img); share < 0.03 || colours < 8 {
		t.Errorf("screenshot %s looks blank: %.1f%% of pixels differ from the background, %d colours", name, 100*share, colours)
	}
	return img
}

// Ink returns the share of img's pixels that differ from its most common
// colour, the background, and how many distinct colours it has.
func Ink(img image.Image) (share float64, colours int) {
	counts := map[color.RGBA]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			c := color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), uint8(a >> 8)}
			counts[c]++
		}
	}
	most := 0
	for _, n := range counts {
		most = max(most, n)
	}
	total := b.Dx() * b.Dy()
	if total == 0 {
		return 0, 0
	}
	return 1 - float64(most)/float64(total), len(counts)
}
