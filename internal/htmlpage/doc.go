// Package htmlpage holds what runkit's HTML pages share: the layout (a
// page that loads nothing, its Content-Security-Policy saying so, readable
// from a phone's width up) and the formats of their numbers.
package htmlpage
