package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// DefaultMirrored is the registry a mirror given without one mirrors, as
// dockerd's --registry-mirror does.
const DefaultMirrored = "docker.io"

// resolveMirrors are build.yaml's registryMirrors with the flags' mirrors
// ([REGISTRY=]MIRROR, REGISTRY docker.io when left out) after them: the
// hosts cairn reads a registry's images from first, as the daemon pulls
// them through its own mirrors (buildkitd.toml's [registry."docker.io"]
// mirrors), so that base freshness and cache probes see what it sees.
func (f *File) resolveMirrors(flags []string) (map[string][]string, error) {
	mirrors := map[string][]string{}
	for _, reg := range slices.Sorted(maps.Keys(f.RegistryMirrors)) {
		if err := validateHost(reg); err != nil {
			return nil, f.errorAt("registryMirrors", "%v", err)
		}
		for i, m := range f.RegistryMirrors[reg] {
			if err := validateHost(m); err != nil {
				return nil, f.errorAt(fmt.Sprintf("registryMirrors.%s[%d]", reg, i), "%v", err)
			}
			mirrors[reg] = append(mirrors[reg], m)
		}
	}
	for _, v := range flags {
		reg, m, ok := strings.Cut(v, "=")
		if !ok {
			reg, m = DefaultMirrored, v
		}
		for _, h := range []string{reg, m} {
			if err := validateHost(h); err != nil {
				return nil, overrideError("RegistryMirrors", v, fmt.Errorf("want [REGISTRY=]MIRROR: %w", err))
			}
		}
		mirrors[reg] = append(mirrors[reg], m)
	}
	return mirrors, nil
}
