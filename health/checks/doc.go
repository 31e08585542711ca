// Package checks holds ready-made health checks built on the standard
// library. Each returns a func(context.Context) error, the Func of a
// health.Check:
//
//	ping, err := checks.HTTP("http://payments.internal/livez", checks.HTTPConfig{})
//	if err != nil { ... }
//	checker.Register(health.Check{Name: "payments", Func: ping, Severity: health.NonCritical})
//
// Constructors validate their arguments and return an error naming the bad
// one. Checks reuse their connections: SQL pings through the *sql.DB pool
// the service already has, HTTP keeps one client and drains each body so
// that its connection returns to the pool. Only TCP dials anew on every run,
// since a fresh connection is what it checks.
package checks
