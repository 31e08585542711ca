// Package sloth reads the SLO specs of sloth (github.com/slok/sloth, as
// of v0.16): its own prometheus/v1 spec and its Kubernetes resource
// PrometheusServiceLevel (apiVersion sloth.slok.dev/v1), which holds the
// same content under spec, with camelCase field names (errorQuery,
// pageAlert). A team moving from sloth keeps its files: [Parse] reads
// them into [SLO] values, and each converts into what package slo and
// its subpackages work with.
//
// # Reading
//
// [Is] tells a sloth file by its version or apiVersion line, as sloth
// does, without parsing it. [Parse] reads every document of a file:
//
//	version: "prometheus/v1"
//	service: "myservice"
//	labels: {owner: "myteam"}            every SLO's, under the SLO's own
//	slos:
//	  - name: "requests-availability"
//	    objective: 99.9                   a percentage in (0, 100]
//	    labels: {category: "availability"}
//	    sli:                              exactly one of
//	      events: {error_query, total_query}   templates over {{.window}}
//	      raw: {error_ratio_query}
//	      plugin: {id, options}
//	    alerting:
//	      name, labels, annotations       both alerts'
//	      page_alert: {disable, labels, annotations}
//	      ticket_alert: {disable, labels, annotations}
//	    plugins: {overridePrevious, chain: [{id, config, priority}]}
//	slo_plugins: {...}                    every SLO's, before its own
//
// Decoding is strict, as sloth's own: an unknown field, a value of the
// wrong type (a label value must be a string: quote "2"; an objective
// must not be: drop the quotes of "99.9"), a name sloth refuses (it
// needs at least 2 characters), an unknown sloth version, an OpenSLO
// document in the same file, an objective outside (0, 100] or under 1 (a
// ratio such as 0.995 where sloth wants the percentage 99.5), in exponent
// notation or with more significant digits than a float64 holds (15), a
// query without {{.window}}
// (spaces inside the braces allowed, as sloth allows them), identical
// error and total queries, or an enabled alert without alerting.name is an
// [*Error] at file:line:column naming the field as the file spells it.
// Every problem found is returned once per place in the file, joined with
// errors.Join: a node that YAML aliases read under several paths has its
// problems once, under the first path. The
// resource's metadata (name, namespace, labels) is each of its SLOs'
// [SLO.Resource], for what a caller writes of the resource.
//
// # Converting
//
// [SLO.AsObjective] gives the slo.Objective: named [SLO.ID]
// (service-name, sloth's id), the objective read from its decimal text
// (99.9 is exactly 0.999), over a rolling 30 days ([DefaultWindow]):
// sloth's default period, which its spec cannot change. An objective of
// 100 is an error: it has no budget to burn.
//
// [SLO.Policy] gives the burn-rate tiers of the alerts sloth would write
// ([Tiers], sloth's 30-day windows, which are slo.DefaultPolicy's): the
// page alert's 14.4 over 1h (short window 5m) and 6 over 6h (30m), the
// ticket alert's 3 over 1d (2h) and 1 over 3d (6h), leaving out the
// alerts with disable: true and the tiers that can never fire at the
// objective. sloth joins an alert's two tiers into one alert rule with
// "or"; slo's tiers are one alert each, which fire at the same times.
//
// The SLI's queries are in [SLO.SLI], with the window variable written
// [WindowVar] whatever its spaces, as package promrules' Ratio reads
// them. A raw SLI (error_ratio_query) and an SLI plugin are read but have
// no events to count; the caller decides what to do with them (runkit slo
// rules refuses both, saying what to write).
//
// [SLO.PageLabels], [SLO.TicketLabels] and their Annotations give each
// alert's labels and annotations merged as sloth merges them, the
// alert's own over the alerting block's.
package sloth
