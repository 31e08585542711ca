// Package readonly holds the method check shared by runkit's read-only
// HTTP endpoints (probes, /version, SLO status).
package readonly
