package render

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cairn-build/cairn/internal/human"
	"github.com/cairn-build/cairn/pkg/bases"
	"github.com/cairn-build/cairn/pkg/cairn"
	"github.com/cairn-build/cairn/pkg/push"
	"github.com/cairn-build/cairn/pkg/tiers"
)

// DryRun prints one line per move: "TAG: CURRENT -> (this build)";
// a cache mount's snapshot moves only if a step runs with the mount, and
// a held final tag does not move: a publish fails for it.
func DryRun(w io.Writer, moves []cairn.PlannedMove) error {
	for _, m := range moves {
		from := m.Current
		if from == "" {
			from = "(new tag)"
		}
		to := "(this build)"
		switch {
		case m.Mount != "":
			to = "(this build, if a step runs with the cache mount)"
		case m.Held != "":
			to = "(held: " + m.Held + " moves only final tags of its own; a publish fails)"
		}
		if _, err := fmt.Fprintf(w, "%s: %s -> %s\n", m.Ref, from, to); err != nil {
			return err
		}
	}
	return nil
}

// Recoveries prints what Recover found, or that there was nothing.
func Recoveries(w io.Writer, found []push.Recovery) error {
	if len(found) == 0 {
		_, err := fmt.Fprintln(w, "no unfinished commit")
		return err
	}
	for _, r := range found {
		if _, err := fmt.Fprintln(w, r); err != nil {
			return err
		}
	}
	return nil
}

// BaseChanges prints one line per change, or a line saying there is none.
func BaseChanges(w io.Writer, c bases.Changes) error {
	if len(c) == 0 {
		_, err := fmt.Fprintln(w, "no base image moved since the stage caches were built")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STAGE\tBASE\tPLATFORM\tBUILT ON\tNOW")
	for _, ch := range c {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", ch.Stage, ch.Base, ch.Platform, shortDigest(ch.Old), shortDigest(ch.New))
	}
	return tw.Flush()
}

// BaseChangesJSON prints the changes as an indented JSON array (empty,
// not null, when there is none).
func BaseChangesJSON(w io.Writer, c bases.Changes) error {
	if c == nil {
		c = bases.Changes{}
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

// Prune prints a table of the tiers, the tags deleted (or that would be),
// and the bytes freed.
func Prune(w io.Writer, r *tiers.Report) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "TIER\tBRANCH\tWRITTEN\tACTION\tNOTE")
	var tags []string
	for _, t := range r.Tiers {
		written, note := "-", t.Reason
		if !t.Written.IsZero() {
			written = t.Written.UTC().Format(time.RFC3339)
		}
		if t.Action != tiers.Kept {
			note = fmt.Sprintf("%d tags", len(t.Tags))
			tags = append(tags, t.Tags...)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Tier, orDash(t.Branch), written, t.Action, note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	verb := "freed"
	if r.DryRun {
		verb = "would free"
	}
	var b strings.Builder
	if len(tags) > 0 {
		b.WriteString("\n")
		for _, t := range tags {
			b.WriteString("  " + t + "\n")
		}
	}
	fmt.Fprintf(&b, "\n%s %s (%d bytes) of blobs no kept tag references, once the registry collects garbage\n", verb, human.Bytes(r.Bytes), r.Bytes)
	_, err := io.WriteString(w, b.String())
	return err
}
