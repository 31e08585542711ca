// Package htmltest checks runkit's HTML pages in tests: that they are well
// formed, and what their elements hold. Only tests import it.
package htmltest
