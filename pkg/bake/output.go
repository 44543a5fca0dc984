package bake

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// WriteText writes each target's header and stage table (the planner's
// Write writes the plan in format: "json", "dot", else text.
func (p *Plan) Write(w io.Writer, format string) error {
	switch format {
	case "json":
		return p.WriteJSON(w)
	case "dot":
		return p.WriteDOT(w)
	}
	return p.WriteText(w)
}

// text), then the stages targets share.
func (p *Plan) WriteText(w io.Writer) error {
	for i, tp := range p.Targets {
		if i > 0 {
			if _, err := fmt.Fprintln(w); err != nil {
				return fmt.Errorf("write bake plan: %w", err)
			}
		}
		if _, err := io.WriteString(w, header(tp)); err != nil {
			return fmt.Errorf("write bake plan: %w", err)
		}
		if err := tp.Plan.WriteText(w); err != nil {
			return err
		}
	}
	var b strings.Builder
	if len(p.Shared) > 0 {
		b.WriteString("\nshared stages (solved once for all their targets):\n")
	}
	for _, s := range p.Shared {
		fmt.Fprintf(&b, "  %s of %s (%s): %s\n", s.Stage, s.Dockerfile, strings.Join(s.Platforms, ","), strings.Join(s.Targets, ", "))
	}
	for _, l := range p.Links {
		fmt.Fprintf(&b, "\ntarget %s is a build context of %s: solved once, for all of them\n", l.Target, strings.Join(l.UsedBy, ", "))
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write bake plan: %w", err)
	}
	return nil
}

func header(tp TargetPlan) string {
	t := tp.Target
	var b strings.Builder
	fmt.Fprintf(&b, "== target %s: context %s, Dockerfile %s", t.Name, t.Context, dockerfileName(t))
	if t.Stage != "" {
		fmt.Fprintf(&b, ", stage %s", t.Stage)
	}
	switch {
	case len(t.Platforms) > 0:
		fmt.Fprintf(&b, ", platforms %s", strings.Join(tp.Plan.Platforms, ","))
	case len(tp.Plan.Platforms) > 0:
		fmt.Fprintf(&b, ", platform %s (this machine's; a build uses the daemon's)", tp.Plan.Platforms[0])
	}
	b.WriteByte('\n')
	repo := t.Repository
	if repo == "" {
		repo = "- (no tags: no per-stage cache refs)"
	}
	fmt.Fprintf(&b, "   repository %s\n", repo)
	for _, n := range sortedKeys(t.Contexts) {
		fmt.Fprintf(&b, "   context %s=%s\n", n, t.Contexts[n])
	}
	for _, c := range t.CacheFrom {
		fmt.Fprintf(&b, "   cache-from %s\n", c)
	}
	for _, c := range t.CacheTo {
		fmt.Fprintf(&b, "   cache-to %s\n", c)
	}
	for _, note := range tp.Build.Notes {
		fmt.Fprintf(&b, "   note: %s\n", note)
	}
	return b.String()
}

// WriteJSON writes the plan as indented JSON: every target's description
// and planner plan, and the shared stages.
func (p *Plan) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		return fmt.Errorf("write bake plan JSON: %w", err)
	}
	return nil
}

// WriteDOT writes one Graphviz digraph: a cluster per target with its
// stages; a stage targets share is one bold node outside the clusters,
// with edges into each.
func (p *Plan) WriteDOT(w io.Writer) error {
	ids, shared := p.dotNodes()
	var b strings.Builder
	b.WriteString("digraph bake {\n  rankdir=LR;\n  node [shape=box];\n")
	for _, tp := range p.Targets {
		fmt.Fprintf(&b, "  subgraph %s {\n    label=%s;\n", dotID("cluster_"+tp.Target.Name), dotID("target "+tp.Target.Name))
		for _, s := range tp.Plan.Stages {
			if k := tp.key[s.Name]; !slices.Contains(shared, k) {
				fmt.Fprintf(&b, "    %s [label=%s];\n", dotID(ids[k]), dotID(s.Name+"\n"+s.Base))
			}
		}
		b.WriteString("  }\n")
	}
	for _, k := range shared {
		fmt.Fprintf(&b, "  %s [style=bold, label=%s];\n", dotID(ids[k]), dotID(k.stage+" (shared)"))
	}
	seen := map[string]bool{}
	edge := func(from, to string) {
		if e := fmt.Sprintf("  %s -> %s;\n", dotID(from), dotID(to)); !seen[e] {
			seen[e] = true
			b.WriteString(e)
		}
	}
	for _, tp := range p.Targets {
		for _, s := range tp.Plan.Stages {
			for _, d := range s.DependsOn {
				edge(ids[tp.key[d]], ids[tp.key[s.Name]])
			}
		}
		id := "target:" + tp.Target.Name
		fmt.Fprintf(&b, "  %s [shape=doubleoctagon, label=%s];\n", dotID(id), dotID(targetLabel(tp.Target)))
		for _, t := range tp.Plan.Targets {
			edge(ids[tp.key[t.Name]], id)
		}
	}
	b.WriteString("}\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write bake plan DOT: %w", err)
	}
	return nil
}

// dotNodes names each distinct stage by the first target that needs it,
// and lists the keys several targets need, in order.
func (p *Plan) dotNodes() (map[key]string, []key) {
	ids := map[key]string{}
	var shared []key
	for _, tp := range p.Targets {
		for _, s := range tp.Plan.Stages {
			k := tp.key[s.Name]
			id, ok := ids[k]
			switch {
			case !ok:
				ids[k] = tp.Target.Name + "/" + s.Name
			case !strings.HasPrefix(id, tp.Target.Name+"/") && !slices.Contains(shared, k):
				shared = append(shared, k)
			}
		}
	}
	return ids, shared
}

func targetLabel(t *Target) string {
	return strings.Join(append([]string{"target " + t.Name}, t.Tags...), "\n")
}

// dotID quotes s for DOT, which knows only the \" and \\ escapes.
func dotID(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", "")
	return `"` + r.Replace(s) + `"`
}
