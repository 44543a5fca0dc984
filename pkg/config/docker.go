package config

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/docker/go-units"
)

// Docker are the options of docker build that build.yaml may set, at its
// top level. Each has a flag, which adds to it or overrides it. Paths are
// relative to build.yaml.
type Docker struct {
	// Labels go into the image config of every target.
	Labels map[string]string `yaml:"labels"`
	// Annotations go onto every target's manifest; a key may name where,
	// as docker build --annotation does: "index:KEY", "manifest[linux/amd64]:KEY".
	Annotations map[string]string `yaml:"annotations"`
	// Network is the network of RUN steps: default, none or host (host
	// needs the daemon to allow the network.host entitlement).
	Network string `yaml:"network"`
	// AddHosts are host → IP lines added to /etc/hosts in RUN steps.
	AddHosts map[string]string `yaml:"addHosts"`
	// ShmSize is the size of /dev/shm in RUN steps, e.g. 64m.
	ShmSize string `yaml:"shmSize"`
	// Ulimits are name → SOFT[:HARD] limits of RUN steps, e.g. nofile: 1024:2048.
	Ulimits map[string]string `yaml:"ulimits"`
	// BuildContexts are named contexts, read by FROM NAME and COPY
	// --from=NAME: a directory, or docker-image://REF.
	BuildContexts map[string]string `yaml:"buildContexts"`
	// Secrets say where each build secret's value comes from (never the
	// value itself), for RUN --mount=type=secret.
	Secrets []Secret `yaml:"secrets"`
	// SSH are the SSH agents or keys RUN --mount=type=ssh can use.
	SSH []SSH `yaml:"ssh"`
}

// Secret is where a build secret's value is read from when a step asks
// for it: a file or an environment variable. With neither, the variable
// named ID when it is set, else the file named ID (as BuildKit does).
type Secret struct {
	ID  string `yaml:"id"`
	Src string `yaml:"src"` // a file
	Env string `yaml:"env"` // an environment variable
}

// SSH is an SSH agent socket or private keys forwarded under an ID.
type SSH struct {
	ID    string   `yaml:"id"`    // "" is "default"
	Paths []string `yaml:"paths"` // agent sockets or key files; none: $SSH_AUTH_SOCK
}

// DockerFlags are the values of docker build's flags as given, parsed by
// Resolve: KEY=VALUE lists, CSV entries (--secret, --output) and sizes.
type DockerFlags struct {
	Secrets       []string // id=ID[,src=FILE|,env=VAR]
	SSH           []string // default|ID[=PATH[,PATH…]]
	Labels        []string // KEY=VALUE
	Annotations   []string // [TYPE[,TYPE…]:]KEY=VALUE
	BuildContexts []string // NAME=PATH|NAME=docker-image://REF
	AddHosts      []string // HOST:IP
	Ulimits       []string // NAME=SOFT[:HARD]
	Network       string   // default, none or host
	ShmSize       string   // e.g. 64m
	NoCache       bool
	NoCacheFilter []string // stage names
	Pull          bool
	Outputs       []string // type=oci|docker|tar|local,dest=PATH[,KEY=VALUE…]
	Load          bool
	IIDFile       string
}

// Solve is how every stage is solved beyond its Dockerfile and args:
// build.yaml's Docker options with the flags applied, checked.
type Solve struct {
	SolveOptions
	Labels map[string]string
	// Annotations are keyed as BuildKit's image exporter takes them
	// ("annotation.KEY", "annotation-index.KEY", …).
	Annotations map[string]string
	Secrets     []Secret
	SSH         []SSH
	// Load loads each target's image into the Docker engine.
	Load bool
}

// SolveOptions are docker build's options for every solve of a build,
// as pkg/build gives them to BuildKit.
type SolveOptions struct {
	// NoCache rebuilds every step; NoCacheFilter the steps of the stages
	// it names.
	NoCache       bool
	NoCacheFilter []string
	// Pull asks the registry for every base image, even one the daemon has
	// (image-resolve-mode=pull).
	Pull bool
	// Network of RUN steps: "" (the daemon's default), "none" or "host";
	// host needs a daemon that allows the network.host entitlement.
	Network  string
	AddHosts []string // HOST=IP lines for /etc/hosts, in order
	ShmSize  int64    // bytes of /dev/shm; 0 is BuildKit's default
	Ulimits  []string // NAME=SOFT:HARD, sorted by name
	// Contexts are named build contexts (FROM NAME, COPY --from=NAME): an
	// absolute directory, sent from here, or a URL BuildKit reads itself
	// (docker-image://REF, https://…, git@…).
	Contexts map[string]string
}

// resolveDocker checks build.yaml's Docker options (relative paths are
// relative to base) and applies the flags over them.
func (f *File) resolveDocker(fl DockerFlags, base string) (Solve, error) {
	s := Solve{SolveOptions: SolveOptions{NoCache: fl.NoCache, Pull: fl.Pull}, Load: fl.Load, Labels: maps.Clone(f.Labels), Annotations: map[string]string{}}
	if s.Labels == nil {
		s.Labels = map[string]string{}
	}
	for k := range s.Labels {
		if k == "" {
			return s, f.errorAt("labels", "empty label name")
		}
	}
	for _, kv := range fl.Labels { // a bare KEY has the empty value, as in docker build
		k, v, _ := strings.Cut(kv, "=")
		if k == "" {
			return s, overrideError("Docker.Labels", kv, errors.New("want KEY=VALUE"))
		}
		s.Labels[k] = v
	}

	for _, k := range slices.Sorted(maps.Keys(f.Annotations)) {
		if err := addAnnotation(s.Annotations, k, f.Annotations[k]); err != nil {
			return s, f.errorAt("annotations."+k, "%v", err)
		}
	}
	for _, a := range fl.Annotations {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			return s, overrideError("Docker.Annotations", a, errors.New("want [TYPE:]KEY=VALUE"))
		}
		if err := addAnnotation(s.Annotations, k, v); err != nil {
			return s, overrideError("Docker.Annotations", a, err)
		}
	}

	var err error
	if s.Network, err = parseNetwork(f.Network); err != nil {
		return s, f.errorAt("network", "%v", err)
	}
	if fl.Network != "" {
		if s.Network, err = parseNetwork(fl.Network); err != nil {
			return s, overrideError("Docker.Network", "", err)
		}
	}

	for _, host := range slices.Sorted(maps.Keys(f.AddHosts)) {
		entries, err := parseHost(host + "=" + f.AddHosts[host])
		if err != nil {
			return s, f.errorAt("addHosts."+host, "%v", err)
		}
		s.AddHosts = append(s.AddHosts, entries...)
	}
	for _, h := range fl.AddHosts {
		entries, err := parseHost(h)
		if err != nil {
			return s, overrideError("Docker.AddHosts", "", err)
		}
		s.AddHosts = append(s.AddHosts, entries...)
	}

	if f.ShmSize != "" {
		if s.ShmSize, err = parseShmSize(f.ShmSize); err != nil {
			return s, f.errorAt("shmSize", "%v", err)
		}
	}
	if fl.ShmSize != "" {
		if s.ShmSize, err = parseShmSize(fl.ShmSize); err != nil {
			return s, overrideError("Docker.ShmSize", "", err)
		}
	}

	if s.Ulimits, err = f.resolveUlimits(fl.Ulimits); err != nil {
		return s, err
	}
	if s.Contexts, err = f.resolveContexts(fl.BuildContexts, base); err != nil {
		return s, err
	}
	if s.Secrets, err = f.resolveSecrets(fl.Secrets, base); err != nil {
		return s, err
	}
	if s.SSH, err = f.resolveSSH(fl.SSH, base); err != nil {
		return s, err
	}
	for _, stage := range splitList(fl.NoCacheFilter) {
		if stage == "" {
			return s, overrideError("Docker.NoCacheFilter", "", errors.New("empty stage name"))
		}
		s.NoCacheFilter = append(s.NoCacheFilter, stage)
	}
	return s, nil
}

func (f *File) resolveUlimits(flags []string) ([]string, error) {
	limits := map[string]string{}
	for _, n := range slices.Sorted(maps.Keys(f.Ulimits)) {
		u, err := units.ParseUlimit(n + "=" + f.Ulimits[n])
		if err != nil {
			return nil, f.errorAt("ulimits."+n, "%v", err)
		}
		limits[u.Name] = u.String()
	}
	for _, v := range flags {
		u, err := units.ParseUlimit(v)
		if err != nil {
			return nil, overrideError("Docker.Ulimits", v, err)
		}
		limits[u.Name] = u.String()
	}
	var out []string
	for _, n := range slices.Sorted(maps.Keys(limits)) {
		out = append(out, limits[n])
	}
	return out, nil
}

func (f *File) resolveContexts(flags []string, base string) (map[string]string, error) {
	contexts := map[string]string{}
	for _, n := range slices.Sorted(maps.Keys(f.BuildContexts)) {
		v, err := parseContext(n, f.BuildContexts[n], base)
		if err != nil {
			return nil, f.errorAt("buildContexts."+n, "%v", err)
		}
		contexts[n] = v
	}
	for _, kv := range flags {
		n, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, overrideError("Docker.BuildContexts", kv, errors.New("want NAME=PATH or NAME=docker-image://REF"))
		}
		v, err := parseContext(n, v, "")
		if err != nil {
			return nil, overrideError("Docker.BuildContexts", kv, err)
		}
		contexts[n] = v
	}
	return contexts, nil
}

func (f *File) resolveSecrets(flags []string, base string) ([]Secret, error) {
	var secrets []Secret
	add := func(s Secret) error {
		if s.ID == "" {
			return fmt.Errorf("missing id")
		}
		if s.Src != "" && s.Env != "" {
			return fmt.Errorf("secret %s: give src or env, not both", s.ID)
		}
		secrets = slices.DeleteFunc(secrets, func(o Secret) bool { return o.ID == s.ID })
		secrets = append(secrets, s)
		return nil
	}
	for i, s := range f.Secrets {
		if s.Src != "" && !filepath.IsAbs(s.Src) {
			s.Src = filepath.Join(base, s.Src)
		}
		if err := add(s); err != nil {
			return nil, f.errorAt(fmt.Sprintf("secrets[%d]", i), "%v", err)
		}
	}
	for _, v := range flags {
		s, err := parseSecret(v)
		if err == nil {
			err = add(s)
		}
		if err != nil {
			return nil, overrideError("Docker.Secrets", v, err)
		}
	}
	return secrets, nil
}

func (f *File) resolveSSH(flags []string, base string) ([]SSH, error) {
	var agents []SSH
	add := func(a SSH) error {
		if a.ID == "" {
			a.ID = "default"
		}
		if slices.ContainsFunc(agents, func(o SSH) bool { return o.ID == a.ID }) {
			return fmt.Errorf("ssh id %q given twice", a.ID)
		}
		agents = append(agents, a)
		return nil
	}
	for i, a := range f.SSH {
		a.Paths = slices.Clone(a.Paths)
		for j, p := range a.Paths {
			if p != "" && !filepath.IsAbs(p) {
				a.Paths[j] = filepath.Join(base, p)
			}
		}
		if err := add(a); err != nil {
			return nil, f.errorAt(fmt.Sprintf("ssh[%d]", i), "%v", err)
		}
	}
	for _, v := range flags {
		id, paths, ok := strings.Cut(v, "=")
		if id == "" {
			return nil, overrideError("Docker.SSH", v, errors.New("want default or ID[=PATH[,PATH…]]"))
		}
		a := SSH{ID: id}
		if ok {
			a.Paths = strings.Split(paths, ",")
		}
		if err := add(a); err != nil {
			return nil, overrideError("Docker.SSH", "", err)
		}
	}
	return agents, nil
}
