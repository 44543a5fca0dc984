package config

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/agext/levenshtein"
	"gopkg.in/yaml.v3"
)

// decoder decodes a YAML node tree into Go values strictly: unknown and
// duplicate keys and wrong kinds are errors naming the line and field path.
// yaml.v3's KnownFields reports Go type names, which mean nothing to users.
type decoder struct {
	file  string
	lines map[string]int
}

func decodeStrict(d *decoder, node *yaml.Node, path string, out any) error {
	return d.decode(node, path, reflect.ValueOf(out).Elem())
}

var targetsType = reflect.TypeOf(Targets{})

func (d *decoder) decode(node *yaml.Node, path string, v reflect.Value) error {
	if path != "" {
		d.lines[path] = node.Line
	}
	if node.Kind == yaml.AliasNode {
		node = node.Alias
	}
	if node.Tag == "!!null" {
		return nil // "key:" with no value keeps the default
	}
	if v.Type() == targetsType {
		return d.decodeTargets(node, path, v)
	}
	if v.Type() == cacheMountsType {
		return d.decodeCacheMounts(node, path, v)
	}
	switch v.Kind() {
	case reflect.Struct:
		return d.decodeStruct(node, path, v)
	case reflect.Map:
		if err := d.mapping(node, path, "a mapping"); err != nil {
			return err
		}
		for i := 0; i < len(node.Content); i += 2 {
			key, value := node.Content[i], node.Content[i+1]
			d.lines[join(path, key.Value)] = key.Line
			if elem := v.Type().Elem(); elem.Kind() == reflect.Slice || elem.Kind() == reflect.Struct {
				// A map of lists (registryMirrors) or of structs (bake):
				// each value checked as one.
				if err := d.decode(value, join(path, key.Value), reflect.New(elem).Elem()); err != nil {
					return err
				}
			} else if value.Kind != yaml.ScalarNode {
				return d.wrongKind(value, join(path, key.Value), "a string")
			}
		}
	case reflect.Slice:
		if node.Kind != yaml.SequenceNode {
			return d.wrongKind(node, path, "a list")
		}
		if v.Type().Elem().Kind() == reflect.Struct {
			return d.decodeStructs(node, path, v)
		}
		for i, item := range node.Content {
			itemPath := fmt.Sprintf("%s[%d]", path, i)
			d.lines[itemPath] = item.Line
			if item.Kind != yaml.ScalarNode {
				return d.wrongKind(item, itemPath, "a string")
			}
		}
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return d.decode(node, path, v.Elem())
	default:
		if node.Kind != yaml.ScalarNode {
			return d.wrongKind(node, path, "a "+v.Kind().String())
		}
	}
	if err := node.Decode(v.Addr().Interface()); err != nil {
		return &Error{File: d.file, Line: node.Line, Field: path, Msg: fmt.Sprintf("want %s, got %q", kindWord(v.Kind()), node.Value)}
	}
	return nil
}

// mapping checks that node is a mapping (what says of what: "a mapping")
// whose keys are each given once.
func (d *decoder) mapping(node *yaml.Node, path, what string) error {
	if node.Kind != yaml.MappingNode {
		return d.wrongKind(node, path, what)
	}
	return d.checkDuplicates(node, path)
}

func (d *decoder) decodeStruct(node *yaml.Node, path string, v reflect.Value) error {
	if err := d.mapping(node, path, "a mapping"); err != nil {
		return err
	}
	fields := map[string][]int{}
	collectFields(v.Type(), nil, fields)
	for i := 0; i < len(node.Content); i += 2 {
		key, value := node.Content[i], node.Content[i+1]
		idx, ok := fields[key.Value]
		if !ok {
			return &Error{File: d.file, Line: key.Line, Field: join(path, key.Value), Msg: "unknown field" + suggest(key.Value, fields)}
		}
		if err := d.decode(value, join(path, key.Value), v.FieldByIndex(idx)); err != nil {
			return err
		}
	}
	return nil
}

// collectFields maps the YAML keys of a struct to its fields; the fields
// of a struct tagged `yaml:",inline"` are keys of the outer mapping.
func collectFields(t reflect.Type, prefix []int, fields map[string][]int) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		index := append(append([]int(nil), prefix...), i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case opts == "inline" && f.Type.Kind() == reflect.Struct:
			collectFields(f.Type, index, fields)
		case name != "" && name != "-":
			fields[name] = index
		}
	}
}

// decodeStructs decodes a list of mappings, each strictly.
func (d *decoder) decodeStructs(node *yaml.Node, path string, v reflect.Value) error {
	list := reflect.MakeSlice(v.Type(), len(node.Content), len(node.Content))
	for i, item := range node.Content {
		if err := d.decode(item, fmt.Sprintf("%s[%d]", path, i), list.Index(i)); err != nil {
			return err
		}
	}
	v.Set(list)
	return nil
}

func (d *decoder) decodeTargets(node *yaml.Node, path string, v reflect.Value) error {
	if err := d.mapping(node, path, "a mapping of target names"); err != nil {
		return err
	}
	targets := make(Targets, 0, len(node.Content)/2)
	for i := 0; i < len(node.Content); i += 2 {
		t := Target{Name: node.Content[i].Value}
		if err := d.decode(node.Content[i+1], join(path, t.Name), reflect.ValueOf(&t).Elem()); err != nil {
			return err
		}
		d.lines[join(path, t.Name)] = node.Content[i].Line
		targets = append(targets, t)
	}
	v.Set(reflect.ValueOf(targets))
	return nil
}

func (d *decoder) checkDuplicates(node *yaml.Node, path string) error {
	seen := map[string]int{}
	for i := 0; i < len(node.Content); i += 2 {
		key := node.Content[i]
		if first, ok := seen[key.Value]; ok {
			return &Error{File: d.file, Line: key.Line, Field: join(path, key.Value), Msg: fmt.Sprintf("defined twice (first on line %d)", first)}
		}
		seen[key.Value] = key.Line
	}
	return nil
}

func (d *decoder) wrongKind(node *yaml.Node, path, want string) error {
	got := map[yaml.Kind]string{yaml.MappingNode: "a mapping", yaml.SequenceNode: "a list", yaml.ScalarNode: strconv.Quote(node.Value)}[node.Kind]
	return &Error{File: d.file, Line: node.Line, Field: path, Msg: fmt.Sprintf("want %s, got %s", want, got)}
}

func kindWord(k reflect.Kind) string {
	switch k {
	case reflect.Int:
		return "an integer"
	case reflect.Bool:
		return "true or false"
	default:
		return "a " + k.String()
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// suggest names the nearest known key, for typos like "tagz".
func suggest(key string, known map[string][]int) string {
	names := make([]string, 0, len(known))
	for name := range known {
		names = append(names, name)
	}
	sort.Strings(names)
	if near := nearest(key, names); near != "" {
		return fmt.Sprintf(" (did you mean %q?)", near)
	}
	return fmt.Sprintf(" (known: %s)", strings.Join(names, ", "))
}

// nearest returns the candidate s abbreviates, or the one within edit
// distance 2 of s, if any.
func nearest(s string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if len(s) >= 3 && strings.HasPrefix(c, s) {
			return c
		}
		if d := levenshtein.Distance(s, c, nil); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// yamlErrorLine and yamlErrorMsg split yaml.v3's "yaml: line 3: msg".
func yamlErrorLine(err error) int {
	var line int
	if _, scanErr := fmt.Sscanf(err.Error(), "yaml: line %d:", &line); scanErr != nil {
		return 0
	}
	return line
}

func yamlErrorMsg(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if i := strings.Index(msg, ": "); strings.HasPrefix(msg, "line ") && i >= 0 {
		msg = msg[i+2:]
	}
	return "invalid YAML: " + msg
}
