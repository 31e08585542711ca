package readonly

import "net/http"

// Allow reports whether r is a GET or HEAD. Otherwise it answers 405 with
// an Allow header and reports false.
func Allow(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}
