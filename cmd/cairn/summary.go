package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// writeSummary prints one line per stage (steps, how many came from the
// cache, time, digest, tags) and then one per tag the commit touched.
func writeSummary(w io.Writer, report *buildReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STAGE\tSTEPS\tCACHED\tTIME\tDIGEST\tTAGS\tSTATUS")
	for _, s := range report.Stages {
		state := "ok"
		if s.Error != "" {
			state = "failed"
		}
		pushed := strings.Join(append(nonEmpty(s.CacheExport), s.Tags...), ",")
		if pushed == "" {
			pushed = "-"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\n", s.Name, s.Steps, s.Cached, s.Duration, shortDigest(s.Digest), pushed, state)
	}
	tw.Flush()
	if len(report.Tags) == 0 {
		return
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TAG\tKIND\tFROM\tTO\tSTATE")
	for _, t := range report.Tags {
		from := shortDigest(t.Previous)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Tag, t.Kind, from, shortDigest(t.Digest), t.State)
	}
	tw.Flush()
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func shortDigest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	if d == "" {
		return "-"
	}
	return d
}
