package registry

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// WithMirrors adds pull mirrors: for a registry (docker.io, ghcr.io), the
// hosts (host[:port]) its images are read from first, in order, before the
// registry itself, as buildkitd.toml's [registry."docker.io"] mirrors = […]
// makes BuildKit pull. Get and Head use them; writes, lists and deletes
// always go to the registry. A mirror on loopback, or listed with
// WithInsecure, speaks plain HTTP.
func WithMirrors(mirrors map[string][]string) Option {
	return func(o *options) error {
		for host, hosts := range mirrors {
			reg, err := name.NewRegistry(host, name.StrictValidation)
			if err != nil {
				return fmt.Errorf("registry mirror for %q: want host[:port]: %w", host, err)
			}
			for _, m := range hosts {
				if _, err := name.NewRegistry(m, name.StrictValidation); err != nil {
					return fmt.Errorf("registry mirror %q of %s: want host[:port]: %w", m, host, err)
				}
			}
			// name.Registry spells docker.io index.docker.io, as refs parse.
			o.mirrors[reg.RegistryStr()] = append(o.mirrors[reg.RegistryStr()], hosts...)
		}
		return nil
	}
}

// Get reads ref's manifest or index, from its registry's mirrors first
// (WithMirrors), then from the registry.
func (a *Access) Get(ctx context.Context, ref name.Reference) (*remote.Descriptor, error) {
	return pull(a, ref, func(r name.Reference) (*remote.Descriptor, error) { return remote.Get(r, a.Remote(ctx)...) })
}

// Head reads ref's descriptor, from its registry's mirrors first, then
// from the registry.
func (a *Access) Head(ctx context.Context, ref name.Reference) (*v1.Descriptor, error) {
	return pull(a, ref, func(r name.Reference) (*v1.Descriptor, error) { return remote.Head(r, a.Remote(ctx)...) })
}

// pull asks each of ref's sources in turn, as containerd's resolver does
// BuildKit's hosts: the first answer wins. When none has it, a 404 from
// any is the answer (a mirror that lacks an image and an origin this
// machine cannot reach say the image is not there, as the daemon would
// find); otherwise every source's error.
func pull[T any](a *Access, ref name.Reference, get func(name.Reference) (T, error)) (T, error) {
	sources := a.sources(ref)
	if len(sources) == 1 {
		return get(ref)
	}
	var zero T
	var notFound error
	errs := make([]error, 0, len(sources))
	for _, r := range sources {
		v, err := get(r)
		if err == nil {
			return v, nil
		}
		if notFound == nil && IsNotFound(err) {
			notFound = err
		}
		errs = append(errs, err)
	}
	if notFound != nil {
		return zero, notFound
	}
	return zero, errors.Join(errs...)
}

// sources are the refs ref is read from: the same repository and tag or
// digest on each mirror of its registry, then ref.
func (a *Access) sources(ref name.Reference) []name.Reference {
	mirrors := a.o.mirrors[ref.Context().RegistryStr()]
	out := make([]name.Reference, 0, len(mirrors)+1)
	for _, m := range mirrors {
		path := m + "/" + ref.Context().RepositoryStr()
		var r name.Reference
		var err error
		switch ref := ref.(type) {
		case name.Digest:
			r, err = name.NewDigest(path+"@"+ref.DigestStr(), a.nameOptions(path)...)
		case name.Tag:
			r, err = name.NewTag(path+":"+ref.TagStr(), a.nameOptions(path)...)
		default:
			continue
		}
		if err == nil { // WithMirrors checked the host; the rest is ref's
			out = append(out, r)
		}
	}
	return append(out, ref)
}
