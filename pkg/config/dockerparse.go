package config

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/containerd/platforms"
	"github.com/docker/go-units"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	"github.com/tonistiigi/go-csvvalue"
)

// annotationType is an annotation's TYPE: index, manifest, … with an
// optional platform in brackets.
var annotationType = regexp.MustCompile(`^([a-z-]+)(?:\[([A-Za-z0-9_/-]+)\])?$`)

// addAnnotation adds "[TYPE[,TYPE…]:]KEY" = value under the image
// exporter's keys; without a type it goes on the manifest.
func addAnnotation(m map[string]string, key, value string) error {
	types, k, typed := strings.Cut(key, ":")
	if !typed {
		types, k = "", key
	}
	if k == "" {
		return fmt.Errorf("empty annotation key")
	}
	if !typed {
		m[exptypes.AnnotationKey{Key: k}.String()] = value
		return nil
	}
	for _, tp := range strings.Split(types, ",") {
		groups := annotationType.FindStringSubmatch(tp)
		if groups == nil {
			return fmt.Errorf("annotation type %q: want index, index-descriptor, manifest or manifest-descriptor, with an optional [platform]", tp)
		}
		ak := exptypes.AnnotationKey{Type: groups[1], Key: k}
		switch ak.Type {
		case exptypes.AnnotationIndex, exptypes.AnnotationIndexDescriptor, exptypes.AnnotationManifest, exptypes.AnnotationManifestDescriptor:
		default:
			return fmt.Errorf("unknown annotation type %q: want index, index-descriptor, manifest or manifest-descriptor", ak.Type)
		}
		if groups[2] != "" {
			p, err := platforms.Parse(groups[2])
			if err != nil {
				return fmt.Errorf("annotation platform %q: %w", groups[2], err)
			}
			ak.Platform = &p
		}
		m[ak.String()] = value
	}
	return nil
}

func parseNetwork(mode string) (string, error) {
	switch mode {
	case "", "default":
		return "", nil
	case "none", "host":
		return mode, nil
	}
	return "", fmt.Errorf("unknown network %q: want default, none or host", mode)
}

// parseHost reads HOST:IP (or HOST=IP); IP may be several, comma-separated,
// IPv6 ones in brackets. It returns one HOST=IP entry per IP.
func parseHost(s string) ([]string, error) {
	host, ips, ok := strings.Cut(s, "=")
	if !ok {
		host, ips, ok = strings.Cut(s, ":")
	}
	if !ok || host == "" || ips == "" {
		return nil, fmt.Errorf("%q: want HOST:IP", s)
	}
	var entries []string
	for _, ip := range strings.Split(ips, ",") {
		if len(ip) > 2 && ip[0] == '[' && ip[len(ip)-1] == ']' {
			ip = ip[1 : len(ip)-1]
		}
		if net.ParseIP(ip) == nil {
			return nil, fmt.Errorf("%q: %q is not an IP address", s, ip)
		}
		entries = append(entries, host+"="+ip)
	}
	return entries, nil
}

// parseShmSize reads a size as docker build --shm-size does: 64m is 64 MiB.
func parseShmSize(s string) (int64, error) {
	n, err := units.RAMInBytes(s)
	if err != nil {
		return 0, err
	}
	if n <= 0 {
		return 0, fmt.Errorf("size %q: want more than 0", s)
	}
	return n, nil
}

// contextName is what BuildKit accepts where FROM or --from name a context.
var contextName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_./:@-]*$`)

// parseContext checks a named build context: a URL BuildKit reads itself,
// or a directory (made absolute, relative to base) sent from here.
func parseContext(ctxName, value, base string) (string, error) {
	if !contextName.MatchString(ctxName) {
		return "", fmt.Errorf("%q is not a context name", ctxName)
	}
	if ref, ok := strings.CutPrefix(value, "docker-image://"); ok {
		if _, err := name.ParseReference(ref); err != nil {
			return "", fmt.Errorf("docker-image://%s: %w", ref, err)
		}
		return value, nil
	}
	for _, remote := range []string{"https://", "http://", "git://", "git@"} {
		if strings.HasPrefix(value, remote) {
			return value, nil
		}
	}
	if strings.Contains(value, "://") {
		return "", fmt.Errorf("%q: want a directory, docker-image://REF or a git or https URL", value)
	}
	dir := value
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(base, dir)
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	info, err := os.Stat(dir)
	if err != nil {
		return "", err
	}
	if !info.IsDir() {
		return "", fmt.Errorf("%s is not a directory", value)
	}
	return dir, nil
}

// parseSecret reads --secret as buildctl does: id=ID, then src= (or
// source=) for a file or env= for a variable; type=env makes src a variable.
func parseSecret(v string) (Secret, error) {
	fields, err := csvvalue.Fields(v, nil)
	if err != nil {
		return Secret{}, err
	}
	var s Secret
	typ := "file"
	for _, field := range fields {
		key, value, ok := strings.Cut(field, "=")
		if !ok {
			return Secret{}, fmt.Errorf("%q: want KEY=VALUE (id, src, env or type)", field)
		}
		switch strings.ToLower(key) {
		case "id":
			s.ID = value
		case "src", "source":
			s.Src = value
		case "env":
			s.Env = value
		case "type":
			if value != "file" && value != "env" {
				return Secret{}, fmt.Errorf("secret type %q: want file or env", value)
			}
			typ = value
		default:
			return Secret{}, fmt.Errorf("unknown key %q: want id, src, env or type", key)
		}
	}
	if typ == "env" && s.Env == "" {
		s.Env, s.Src = s.Src, ""
	}
	return s, nil
}

// splitList splits comma-separated flag values ("linux/amd64,linux/arm64").
func splitList(values []string) []string {
	var out []string
	for _, v := range values {
		out = append(out, strings.Split(v, ",")...)
	}
	return out
}
