// Command runkit is runkit's library packages as commands, for the deploy
// pipeline and the on-call laptop:
//
//	runkit slo budget 99.95 30d                  budget, downtime, burn-rate thresholds
//	runkit slo status https://checkout/slo       budget remaining and firing tiers, live
//	runkit deploy mark --service checkout ...    a deployment marker on every tool
//
// Install it with
//
//	go install github.com/ybiyri/runkit/cmd/runkit@latest
//
// and run "runkit --help", or "runkit COMMAND --help" for each command's
// flags and examples. "runkit completion bash" (zsh, fish, powershell)
// writes a shell completion script.
//
// Data goes to standard output, as a table or, with --output json, as
// JSON; errors go to standard error, naming the flag, argument, variable
// or file:line and the bad value. The exit codes:
//
//	0  ok
//	1  usage or configuration error
//	2  a policy said no: the deploy gate froze deploys, a page tier fires
//	3  an external system failed: a service's /slo, a vendor's API, git, promtool
//
// When several apply, the highest wins.
package main
