package config

import (
	"fmt"
	"path/filepath"
)

// Builder is a BuildKit daemon builds run on (builders:); the first is the
// default one. With several, cairn build spreads stages and platforms
// over them.
type Builder struct {
	// Address is the daemon's, as --addr takes it: unix://, tcp://, ...
	Address string `yaml:"address"`
	// Name says in reports which daemon built a stage; default: Address.
	Name string `yaml:"name"`
	TLS  *TLS   `yaml:"tls"`
}

// TLS is how cairn reaches a tcp:// daemon over TLS. Paths are relative
// to build.yaml.
type TLS struct {
	CA         string `yaml:"ca"`
	Cert       string `yaml:"cert"`
	Key        string `yaml:"key"`
	ServerName string `yaml:"serverName"`
}

func (f *File) validateBuilders() error {
	names := map[string]int{}
	for i, b := range f.Builders {
		field := fmt.Sprintf("builders[%d]", i)
		if b.Address == "" {
			return &Error{File: f.path, Line: f.lines[field], Field: field + ".address", Msg: "missing: want the daemon's address, e.g. tcp://builder:1234"}
		}
		name := b.Name
		if name == "" {
			name = b.Address
		}
		if first, ok := names[name]; ok {
			return f.errorAt(field, "builder %q is listed twice (first as builders[%d]): give each a name", name, first)
		}
		names[name] = i
		if b.TLS != nil && (b.TLS.Cert == "") != (b.TLS.Key == "") {
			return f.errorAt(field+".tls", "cert and key go together: give both or neither")
		}
	}
	return nil
}

// resolveBuilders names every builder and makes its TLS paths relative to
// the working directory.
func (b *Build) resolveBuilders(f *File, base string) {
	for _, fb := range f.Builders {
		r := Builder{Address: fb.Address, Name: pick(fb.Name, fb.Address)}
		if fb.TLS != nil {
			r.TLS = &TLS{CA: rel(base, fb.TLS.CA), Cert: rel(base, fb.TLS.Cert), Key: rel(base, fb.TLS.Key), ServerName: fb.TLS.ServerName}
		}
		b.Builders = append(b.Builders, r)
	}
}

func rel(base, path string) string {
	if path == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(base, path)
}
