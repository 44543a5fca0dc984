package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/tonistiigi/go-csvvalue"
)

// Output is a local export of a target's image (-o), beside the image
// cairn builds.
type Output struct {
	Type  string            // oci, docker, tar or local
	Dest  string            // a file, or a directory for local (and for oci/docker with tar=false)
	Attrs map[string]string // the exporter's other attributes
}

// Output types -o accepts.
var outputTypes = []string{"oci", "docker", "tar", "local"}

// local are the flags that write to this machine, per target.
type local struct {
	outputs []outputTemplate
	iidFile *template
}

type outputTemplate struct {
	Output
	dest template
}

// Outputs are the target's local exports, {target} in Dest filled in.
func (b *Build) Outputs(target string) []Output {
	outs := make([]Output, len(b.local.outputs))
	for i, o := range b.local.outputs {
		outs[i] = o.Output
		outs[i].Attrs = maps.Clone(o.Attrs)
		outs[i].Dest = b.expandLocal(o.dest, target)
	}
	return outs
}

// IIDFile is the file the target's image ID goes to (--iidfile); "" for none.
func (b *Build) IIDFile(target string) string {
	if b.local.iidFile == nil {
		return ""
	}
	return b.expandLocal(*b.local.iidFile, target)
}

func (b *Build) expandLocal(t template, target string) string {
	s, err := t.expand(map[string]string{"target": target}, b.env)
	if err != nil {
		return "" // unreachable: resolveLocal expanded it once
	}
	return s
}

// resolveLocal checks -o and --iidfile: with several targets, each file
// must be told apart by {target}.
func (b *Build) resolveLocal(fl DockerFlags) error {
	several := len(b.Targets) > 1
	for _, v := range fl.Outputs {
		o, err := parseOutput(v)
		if err != nil {
			return overrideError("Docker.Outputs", v, err)
		}
		t, err := b.localTemplate(o.Dest, several)
		if err != nil {
			return overrideError("Docker.Outputs", v, fmt.Errorf("dest %w", err))
		}
		b.local.outputs = append(b.local.outputs, outputTemplate{Output: o, dest: t})
	}
	if fl.IIDFile != "" {
		t, err := b.localTemplate(fl.IIDFile, several)
		if err != nil {
			return overrideError("Docker.IIDFile", "", err)
		}
		b.local.iidFile = &t
	}
	return nil
}

func (b *Build) localTemplate(path string, several bool) (template, error) {
	t, err := parseTemplate(path, "target")
	if err != nil {
		return t, err
	}
	if several && !t.uses("target") {
		return t, fmt.Errorf("%q must contain {target}: %d targets are built and each needs its own file", path, len(b.Targets))
	}
	if _, err := t.expand(map[string]string{"target": "x"}, b.env); err != nil {
		return t, err
	}
	return t, nil
}

// parseOutput reads -o as docker build does: CSV fields type=, dest= and
// the exporter's attributes, or a bare PATH for type=local.
func parseOutput(v string) (Output, error) {
	fields, err := csvvalue.Fields(v, nil)
	if err != nil {
		return Output{}, err
	}
	o := Output{Attrs: map[string]string{}}
	if len(fields) == 1 && !strings.Contains(v, "=") {
		if v == "-" {
			return o, fmt.Errorf("writing to stdout is not supported: give dest=FILE")
		}
		o.Type, o.Dest = "local", v
		return o, nil
	}
	for _, field := range fields {
		key, value, ok := strings.Cut(field, "=")
		if !ok {
			return o, fmt.Errorf("%q: want KEY=VALUE", field)
		}
		switch key = strings.ToLower(strings.TrimSpace(key)); key {
		case "type":
			o.Type = value
		case "dest":
			o.Dest = value
		default:
			o.Attrs[key] = value
		}
	}
	switch {
	case o.Type == "image" || o.Type == "registry":
		return o, fmt.Errorf("type=%s: cairn builds and stages the image itself, and pushes it when it publishes", o.Type)
	case !slices.Contains(outputTypes, o.Type):
		return o, fmt.Errorf("type %q: want one of %s", o.Type, strings.Join(outputTypes, ", "))
	case o.Type == "docker" && o.Attrs["tar"] == "false":
		return o, fmt.Errorf("type=docker with tar=false is not supported: use type=oci,tar=false for a layout directory")
	case o.Dest == "" || o.Dest == "-":
		return o, fmt.Errorf("want dest=PATH (a file for oci, docker and tar, a directory for local)")
	}
	return o, nil
}
