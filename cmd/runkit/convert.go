package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ybiyri/runkit/slo/openslo"
	"github.com/ybiyri/runkit/slo/sloth"
)

const convertLong = `Convert writes the OpenSLO v1 equivalent of sloth specs: sloth's
prometheus/v1 files and its Kubernetes PrometheusServiceLevel resources
(apiVersion sloth.slok.dev/v1). slo rules and slo validate read those
files as they are; convert is for moving the SLOs to OpenSLO for good.
slo rules then writes the same rules from the OpenSLO file as from the
sloth file (given --severity as the note on standard error says).

Each sloth SLO becomes one SLO document named service-name, sloth's id:
  objective 99.9       target 0.999 over a rolling 30d window (sloth's
                       default period; its spec has no field for it)
  sli.events           ratioMetric: bad is error_query, total is
                       total_query, both Prometheus templates over
                       {{.window}}
  sli.raw              ratioMetric raw, rawType failure: valid OpenSLO,
                       but slo rules refuses it, since a ratio already
                       divided cannot be weighted by traffic
  page_alert           two alert policies, severity page: burn rate 14.4
                       over 1h and 6 over 6h (short windows 5m and 30m)
  ticket_alert         two, severity ticket: 3 over 1d and 1 over 3d
                       (short windows 2h and 6h); disable: true leaves
                       an alert's policies out
  labels               the SLO's labels, with the labels both alerts
                       share; runbook_url the SLO's annotation
  counter              true beside bad and total (false for sli.raw),
                       as OpenSLO requires
  metadata             a PrometheusServiceLevel's name, namespace and
                       labels are not OpenSLO's: a note gives the slo
                       rules flags that carry them to a PrometheusRule
What OpenSLO or runkit's rules cannot carry gets a note on standard
error naming the field: the alert's name, annotations other than
runbook_url, labels only one alert has, and the severity labels of the
alerts (give slo rules --severity page=...,ticket=... instead). An SLO
with plugins, an SLI plugin, an objective of 100 or both alerts disabled
is a problem, and nothing is written (exit 1).

-o writes the file as slo rules -o does (atomically, never half); - or no
-o is standard output.`

func newConvert() *cobra.Command {
	var to, outFile string
	c := &cobra.Command{
		Use:   "convert --to openslo FILE... [-o slos.yaml]",
		Short: "Write sloth specs as OpenSLO v1",
		Long:  convertLong,
		Example: `  # Move a sloth spec to OpenSLO, and write the same rules from it
  runkit slo convert --to openslo sloth/myservice.yaml -o slos/myservice.yaml
  runkit slo rules slos/myservice.yaml --severity page=critical,ticket=warning`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return argErrorf("%s needs at least one sloth file", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if to != "openslo" {
				return usageErrorf("--to %q: want openslo, the only format convert writes", to)
			}
			toFile, err := outputFile(outFile, args)
			if err != nil {
				return err
			}
			in, err := readInput(args, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			var notSloth []string
			for _, s := range in.slos {
				if _, ok := in.sloth[s.Name]; !ok {
					notSloth = append(notSloth, fmt.Sprintf("%v: SLO %s", s.Position, s.Name))
				}
			}
			if len(notSloth) > 0 {
				return usageErrorf("%s: already OpenSLO; convert reads sloth specs (version: prometheus/v1, or kind PrometheusServiceLevel)", strings.Join(notSloth, ", "))
			}
			for _, n := range in.notes {
				fmt.Fprintln(cmd.ErrOrStderr(), n)
			}
			var resources []sloth.SLO
			for _, s := range in.slos {
				resources = append(resources, in.sloth[s.Name].SLO)
			}
			resourceNotes(cmd.ErrOrStderr(), resources)
			problems := in.refused
			for _, s := range in.slos {
				if s.Indicator.Ratio != nil && s.Indicator.Ratio.Raw != nil {
					pos, field := in.locate(s, "spec.indicator.spec.ratioMetric.raw")
					fmt.Fprintf(cmd.ErrOrStderr(), "note: %v: SLO %s: %s: written as a raw ratioMetric, which slo rules refuses: a ratio already divided cannot be weighted by traffic; give sli.events instead\n", pos, s.Name, field)
				}
			}
			if len(problems) > 0 {
				for _, p := range problems {
					fmt.Fprintln(cmd.ErrOrStderr(), p)
				}
				return usageErrorf("%s in %s: nothing written", plural(len(problems), "problem"), strings.Join(args, ", "))
			}
			if len(in.slos) == 0 {
				return usageErrorf("no SLOs in %s: nothing to write", strings.Join(args, ", "))
			}
			for _, c := range in.severityProblems(nil) {
				fmt.Fprintf(cmd.ErrOrStderr(), "note: %s\n", c)
			}
			if len(in.severity) > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "note: the sloth alerts' severity labels are not part of OpenSLO: give slo rules --severity %s\n", severityText(in.severity))
			}
			var buf bytes.Buffer
			if err := openslo.Write(&buf, in.slos...); err != nil {
				return usageErrorf("%v", err)
			}
			write := func(w io.Writer) error {
				_, err := w.Write(buf.Bytes())
				return err
			}
			if !toFile {
				return write(cmd.OutOrStdout())
			}
			if err := writeOutputFunc(outFile, write); err != nil {
				return usageErrorf("-o %s: %v", outFile, err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s for %s\n", outFile, plural(len(in.slos), "SLO"))
			return nil
		},
	}
	c.Flags().StringVar(&to, "to", "", "the format to write: openslo")
	c.Flags().StringVarP(&outFile, "out", "o", "", "write to this file rather than standard output")
	c.MarkFlagRequired("to")
	c.MarkFlagFilename("out", "yaml", "yml")
	return c
}
