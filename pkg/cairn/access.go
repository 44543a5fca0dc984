package cairn

import (
	"context"
	"fmt"

	"github.com/cairn-build/cairn/pkg/registry"
)

// checkPush asks every repository a publish would write to whether its
// registry lets cairn push there, before anything is built: a missing,
// wrong or read-only login fails the run at once (a *registry.AuthError)
// instead of after the build, at its first upload.
func checkPush(ctx context.Context, p *Project, reg *registry.Access) error {
	seen := map[string]bool{}
	for _, t := range p.Tags() {
		tag, err := reg.Tag(t.Ref)
		if err != nil {
			return fmt.Errorf("%s: %w", t.Ref, err)
		}
		repo := tag.Context()
		if seen[repo.Name()] {
			continue
		}
		seen[repo.Name()] = true
		if err := reg.CheckPush(ctx, repo); err != nil {
			return err
		}
	}
	return nil
}
