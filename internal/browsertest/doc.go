// Package browsertest loads runkit's pages in a real browser for tests:
// Debian's chromium, headless, driven through chromedp. Only tests import
// it, so no service compiles chromedp.
//
// A test that needs the browser skips when chromium is missing, unless the
// environment variable CI is set: then it fails, so that CI cannot pass by
// skipping.
package browsertest
