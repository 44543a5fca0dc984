package planner

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteJSON writes the plan as indented JSON, the stable contract of the
// Plan, TargetPlan and StagePlan field tags.
func (p *Plan) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		return fmt.Errorf("write plan JSON: %w", err)
	}
	return nil
}

// WriteText writes a table of the stages, a table of their cache mounts
// when there are any, then one line per target with the stages it needs in
// build order.
func (p *Plan) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "STAGE\tLEVEL\tDEPENDS ON\tBASE\tCACHE WRITE\tCACHE READS\tTAGS")
	for _, s := range p.Stages {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", s.Name, s.Level,
			list(s.DependsOn), s.Base, orDash(s.CacheExport), list(s.CacheImports), list(s.Tags))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write plan table: %w", err)
	}
	if err := p.writeCacheMounts(w); err != nil {
		return err
	}
	var b strings.Builder
	for _, t := range p.Targets {
		b.WriteString("\ntarget " + t.Name + ": " + strings.Join(t.Stages, " → "))
	}
	b.WriteByte('\n')
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write plan targets: %w", err)
	}
	return nil
}

// WriteDOT writes the plan as a Graphviz digraph: a node per stage labelled
// with its name and base, an edge from each dependency to its dependent,
// and a node per target pointing to its stage.
func (p *Plan) WriteDOT(w io.Writer) error {
	var b strings.Builder
	b.WriteString("digraph plan {\n  rankdir=LR;\n  node [shape=box];\n")
	for _, s := range p.Stages {
		fmt.Fprintf(&b, "  %s [label=%s];\n", dotID("stage:"+s.Name), dotID(s.Name+"\n"+s.Base))
	}
	for _, s := range p.Stages {
		for _, d := range s.DependsOn {
			fmt.Fprintf(&b, "  %s -> %s;\n", dotID("stage:"+d), dotID("stage:"+s.Name))
		}
	}
	for i, t := range p.Targets {
		id := dotID("target:" + strconv.Itoa(i) + ":" + t.Name)
		fmt.Fprintf(&b, "  %s [shape=doubleoctagon, label=%s];\n", id, dotID(targetLabel(t)))
		fmt.Fprintf(&b, "  %s -> %s;\n", id, dotID("stage:"+t.Name))
	}
	b.WriteString("}\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write plan DOT: %w", err)
	}
	return nil
}

// dotID quotes s for DOT, which knows only the \" and \\ escapes and
// line breaks.
func dotID(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func targetLabel(t TargetPlan) string {
	label := "target " + t.Name
	for _, tag := range t.Tags {
		label += "\n" + tag
	}
	return label
}

func list(s []string) string { return orDash(strings.Join(s, ",")) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
