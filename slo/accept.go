package slo

import (
	"net/http"

	"github.com/ybiyri/runkit/internal/htmlpage"
)

// wantsHTML reports whether the request prefers the page to JSON: see
// htmlpage.WantsHTML.
func wantsHTML(r *http.Request) bool { return htmlpage.WantsHTML(r) }
