package cairn

import (
	"context"
	"fmt"
	"strings"

	"github.com/containerd/platforms"

	"github.com/cairn-build/cairn/pkg/bases"
	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/inputs"
	"github.com/cairn-build/cairn/pkg/push"
	"github.com/cairn-build/cairn/pkg/sign"
)

// SkippedUnchanged is a TargetReport's Skipped when the publish built
// nothing: the target's inputs are those it was published from.
const SkippedUnchanged = "inputs unchanged"

// inputs are the input digests of a publish of p; nil, with a note, when
// they cannot be known before the build.
func (o RunOptions) inputs(ctx context.Context, p *Project) *inputs.Digests {
	images, err := bases.Digests(ctx, o.Registry, inputs.Images(p.Config, p.Plan, p.Dockerfile))
	var d *inputs.Digests
	var signing string
	if err == nil {
		signing, err = signedBy(o.Signer, p.Config.Sign)
	}
	if err == nil {
		d, err = inputs.Compute(ctx, inputs.Project{Config: p.Config, Plan: p.Plan, Dockerfile: p.Dockerfile,
			ConfigFile: p.configFile, BuildPlatform: platforms.Format(p.BuildPlatform), Images: images,
			Epoch: p.Source.Epoch, Labels: p.Source.finalLabels(), RewriteTimestamp: o.RewriteTimestamp,
			Version: Version(), Signing: signing})
	}
	if err != nil {
		o.Logger.Info("building without asking whether the inputs changed: " + strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	return d
}

// skip is the report of a publish with nothing to build: every tag it
// would move is recorded with its input digest in and still where that
// publish left it (push.Published). nil when it builds.
func (o RunOptions) skip(ctx context.Context, p *Project, in *inputs.Digests) *Report {
	if in == nil || o.NoSkip || inputs.Rebuilds(p.Config, p.Plan) {
		return nil
	}
	r := &Report{Version: ReportVersion, Dockerfile: p.Config.Dockerfile, Platforms: p.TargetPlatforms(),
		Stages: []StageReport{}, Mounts: []MountReport{}, Inputs: in.Project()}
	for _, t := range p.Plan.Targets {
		r.Targets = append(r.Targets, TargetReport{Name: t.Name, Tags: t.Tags, ImageName: strings.Join(t.Tags, ","),
			Inputs: in.Target(t.Name), Skipped: SkippedUnchanged})
	}
	var moves []push.Move
	for _, t := range p.Tags() {
		if digest := r.inputsOf(t); digest != "" {
			moves = append(moves, push.Move{Tag: t.Ref, Kind: t.Kind, Inputs: digest})
		}
	}
	tags, ok, err := push.Published(ctx, o.Registry, moves)
	if err != nil {
		o.Logger.Info("building: the published release could not be read: " + err.Error())
	}
	if !ok {
		return nil
	}
	r.Tags = tags
	for i, t := range r.Targets {
		for _, tag := range tags {
			if len(t.Tags) > 0 && tag.Tag == t.Tags[0] {
				r.Targets[i].Digest, r.Targets[i].ImageDigest = tag.Digest, tag.Digest
			}
		}
	}
	return r
}

// inputsOf is the input digest a publish records with t: its target's for
// a final tag, the project's for a stage's cache; none for the tier stamp
// and the mounts' snapshots, which a skipped publish leaves where they are.
func (r *Report) inputsOf(t Tag) string {
	switch {
	case t.Stage == "":
		return ""
	case t.Kind == push.KindCache:
		return r.Inputs
	}
	for _, tr := range r.Targets {
		if tr.Name == t.Stage {
			return tr.Inputs
		}
	}
	return ""
}

// signedBy is what a publish's inputs say of its signing: the signer's
// public key and the options, so that a new key signs (and publishes)
// again; "" unsigned. A signer that names no key cannot be told apart
// from another, so its publishes always build.
func signedBy(s sign.Signer, c config.Sign) (string, error) {
	if s == nil {
		return "", nil
	}
	k, ok := s.(interface{ PublicKey() string })
	if !ok {
		return "", &inputs.UnknownError{What: "the signer", Why: "it names no public key"}
	}
	return fmt.Sprintf("%s\nmanifests=%t legacyTag=%t", k.PublicKey(), c.Manifests, c.LegacyTag), nil
}
