package incident

import (
	"net/http"
	"time"
)

func (j *Journal) serveHTML(w http.ResponseWriter, r *http.Request, f Filter, now time.Time) {
	http.Error(w, "not yet", http.StatusNotAcceptable)
}
