// Package buildinfo reads what a binary knows about its own build, for the
// telemetry resource and for deploy's build info, so that both report the
// same version and revision.
package buildinfo
