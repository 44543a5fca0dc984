package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/cairn-build/cairn/pkg/build"
)

// writeSummary prints one line per stage: steps, how many came from the
// cache, time, digest and where it was pushed.
func writeSummary(w io.Writer, res *build.Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STAGE\tSTEPS\tCACHED\tTIME\tDIGEST\tPUSHED\tSTATUS")
	for _, s := range res.Stages {
		state := "ok"
		if s.Error != "" {
			state = "failed"
		}
		pushed := strings.Join(s.Tags, ",")
		if pushed == "" {
			pushed = "-"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\n", s.Name, s.Steps, s.Cached, s.Duration, shortDigest(s.Digest), pushed, state)
	}
	tw.Flush()
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
