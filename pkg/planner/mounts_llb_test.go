package planner_test

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cairn-build/cairn/pkg/planner"
)

// llbMount is a cache mount of an exec op in BuildKit's LLB.
type llbMount struct {
	id, sharing, target string
	// scratch: the mount has no input, so the cache manager keys the
	// directory by the ID alone (getRefCacheDir appends the input's ID).
	scratch bool
}

func (m llbMount) String() string {
	return fmt.Sprintf("%s %s %s scratch=%v", m.id, m.sharing, m.target, m.scratch)
}

// convertMounts runs dockerfile2llb for the default target and returns the
// cache mounts of every exec op, by the stage its vertex names.
func convertMounts(t *testing.T, dt []byte, args map[string]string) map[string][]llbMount {
	t.Helper()
	amd64 := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	def, stageOf, err := toLLB(t, dt, "", args, amd64, amd64)
	if err != nil {
		t.Fatalf("dockerfile2llb: %v", err)
	}
	out := map[string][]llbMount{}
	for _, raw := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(raw); err != nil {
			t.Fatalf("unmarshal op: %v", err)
		}
		exec := op.GetExec()
		if exec == nil {
			continue
		}
		stage, ok := stageOf(def.Metadata[digest.FromBytes(raw)])
		if !ok {
			t.Fatalf("exec op without a stage: %v", def.Metadata[digest.FromBytes(raw)].Description)
		}
		for _, m := range exec.Mounts {
			if m.MountType != pb.MountType_CACHE {
				continue
			}
			out[stage] = append(out[stage], llbMount{
				id:      m.CacheOpt.ID,
				sharing: strings.ToLower(m.CacheOpt.Sharing.String()),
				target:  m.Dest,
				scratch: m.Input == int64(pb.Empty),
			})
		}
	}
	return out
}

type mountCase struct {
	name       string
	dockerfile string
	args       map[string]string
	want       string // every stage's mounts as "stage id sharing target", sorted, ";"-separated
	// uncertain counts the mounts cairn cannot evaluate because they read
	// a variable a base image may set.
	uncertain int
}

func mountCases() []mountCase {
	return []mountCase{
		{
			name:       "id= and target only",
			dockerfile: "FROM alpine\nRUN --mount=type=cache,id=gomod,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build/ true\n",
			want:       "0 //root/.cache/go-build shared /root/.cache/go-build/;0 /gomod shared /go/pkg/mod",
		},
		{
			name:       "relative target joins the WORKDIR but not the ID",
			dockerfile: "FROM alpine\nWORKDIR /app\nWORKDIR web\nRUN --mount=type=cache,target=node_modules,sharing=locked true\nWORKDIR /srv\nRUN --mount=type=cache,target=./node_modules/../cache,sharing=private true\n",
			want:       "0 /cache private /srv/cache;0 /node_modules locked /app/web/node_modules",
		},
		{
			name:       "namespace set",
			dockerfile: "FROM alpine\nARG BUILDKIT_CACHE_MOUNT_NS=ignored\nRUN --mount=type=cache,target=/root/.npm --mount=type=cache,id=npm,target=/x true\n",
			args:       map[string]string{"BUILDKIT_CACHE_MOUNT_NS": "team-app"},
			want:       "0 team-app//root/.npm shared /root/.npm;0 team-app/npm shared /x",
		},
		{
			name:       "namespace ARG default is not the namespace",
			dockerfile: "ARG BUILDKIT_CACHE_MOUNT_NS=global\nFROM alpine\nARG BUILDKIT_CACHE_MOUNT_NS\nRUN --mount=type=cache,target=/root/.npm true\n",
			want:       "0 //root/.npm shared /root/.npm",
		},
		{
			name: "variables from ARG, ENV, global ARGs and build args",
			dockerfile: `ARG GO_VERSION=1.25
ARG CACHE_ROOT=/cache
FROM golang:${GO_VERSION} AS build
ARG GO_VERSION
ARG TARGETARCH
ARG CACHE_ROOT
ARG FLAVOUR=plain
ENV GOCACHE=${CACHE_ROOT:-/root}/go-build DIR=/d
ENV SUB=$DIR/sub
WORKDIR $DIR
RUN --mount=type=cache,id=go-${GO_VERSION}-$TARGETARCH-${FLAVOUR},target=$GOCACHE --mount=type=cache,target=${SUB}/x,sharing=${MODE:-locked} true
`,
			args: map[string]string{"FLAVOUR": "race"},
			want: "build //d/sub/x locked /d/sub/x;build /go-1.25-amd64-race shared /cache/go-build",
			// MODE is set nowhere in the Dockerfile: golang's ENV may set it.
			uncertain: 1,
		},
		{
			name: "mounts in several stages, ENV and ARG inherited from a base stage",
			dockerfile: `FROM alpine AS base
ARG X=1
ENV Y=2
ENV Z=env
ARG Z=arg
RUN --mount=type=cache,id=base-$Z,target=/c true
FROM base AS child
WORKDIR /w
RUN --mount=type=cache,id=child-$X-$Y-$Z,target=rel true
FROM base AS other
RUN --mount=type=cache,target=/c,sharing=private true
FROM scratch
COPY --from=child /w /w
COPY --from=other /c /c
`,
			want: "base /base-arg shared /c;child /child-1-2-env shared /w/rel;other //c private /c",
		},
		{
			name: "ONBUILD trigger runs in the child stage",
			dockerfile: `FROM alpine AS base
ENV T=trig
ONBUILD RUN --mount=type=cache,id=on-$T,target=/o true
FROM base
RUN --mount=type=cache,target=/p true
`,
			want: "1 //p shared /p;1 /on-trig shared /o",
		},
		{
			name: "keyed by more than the ID: uid/gid/mode and from=",
			dockerfile: `FROM alpine AS seed
RUN mkdir /seed
FROM alpine
RUN --mount=type=cache,target=/u,uid=1000 --mount=type=cache,target=/m,mode=0700 --mount=type=cache,target=/s,from=seed,source=/seed true
RUN --mount=type=cache,target=/k,uid=1000,source=sub --mount=type=cache,target=/e,from=scratch true
`,
			want: "1 //e shared /e;1 //k shared /k;1 //m shared /m;1 //s shared /s;1 //u shared /u",
		},
		{
			name:       "a stage named scratch seeds mounts without from=",
			dockerfile: "FROM alpine AS scratch\nRUN touch /x\nFROM alpine\nRUN --mount=type=cache,target=/c true\n",
			want:       "1 //c shared /c",
		},
		{
			name:       "variables a base image may set",
			dockerfile: "FROM golang\nRUN --mount=type=cache,target=$GOPATH/pkg/mod --mount=type=cache,id=x${HOME:+-home},target=/h --mount=type=cache,id=fixed,target=/m$GOMODCACHE true\n",
			// The ID of the last one is known, only its target is not.
			want:      "0 //pkg/mod shared /pkg/mod;0 /fixed shared /m;0 /x shared /h",
			uncertain: 2,
		},
		{
			name:       "scratch base: unset variables are empty",
			dockerfile: "FROM scratch\nRUN --mount=type=cache,id=a$UNSET,target=/x true\n",
			want:       "0 /a shared /x",
		},
	}
}

// TestCacheMountsMatchBuildKit checks the planner's cache IDs, sharing and
// targets against the LLB dockerfile2llb produces, and that the planner
// carries exactly the mounts BuildKit keys by the ID alone.
func TestCacheMountsMatchBuildKit(t *testing.T) {
	for _, tc := range mountCases() {
		t.Run(tc.name, func(t *testing.T) {
			bk, uncertain := compareMounts(t, []byte(tc.dockerfile), tc.args)
			if bk != tc.want {
				t.Errorf("BuildKit's mounts are %q, the case expects %q", bk, tc.want)
			}
			if uncertain != tc.uncertain {
				t.Errorf("%d mounts depend on base image variables, want %d", uncertain, tc.uncertain)
			}
		})
	}
}

// TestTestdataCacheMountsMatchBuildKit runs the same comparison over the
// default target of every testdata Dockerfile.
func TestTestdataCacheMountsMatchBuildKit(t *testing.T) {
	// cache-mounts.Dockerfile reads $HOME, and $NODE_VERSION where the stage
	// has not declared it: the node image may set either.
	uncertain := map[string]int{"cache-mounts.Dockerfile": 2}
	for _, c := range llbCases(t) {
		dt, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := convert(t, dt, "", c.args); err != nil {
			continue // BuildKit rejects it; TestMatchesBuildKit covers that
		}
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			if bk, n := compareMounts(t, dt, c.args); n != uncertain[filepath.Base(c.file)] {
				t.Errorf("%d of %q depend on base image variables, want %d", n, bk, uncertain[filepath.Base(c.file)])
			}
		})
	}
}

// compareMounts plans dt and converts it with BuildKit, reports every
// disagreement, and returns BuildKit's mounts as "stage id sharing target",
// sorted and ";"-separated, and how many mounts the planner cannot carry
// only because they read variables a base image may set.
func compareMounts(t *testing.T, dt []byte, args map[string]string) (string, int) {
	t.Helper()
	bk := convertMounts(t, dt, args)
	p, err := planner.New(dt, planner.Options{BuildArgs: args, CacheMountRef: func(id string) string { return "reg/app:" + id }})
	if err != nil {
		t.Fatal(err)
	}
	var got, want []string
	uncertain := 0
	for _, s := range p.Stages {
		if s.CacheMounts == nil {
			t.Errorf("stage %s: CacheMounts is nil", s.Name)
		}
		mine := slices.Clone(s.CacheMounts)
		theirs := slices.Clone(bk[s.Name])
		slices.SortFunc(mine, func(a, b planner.CacheMount) int {
			return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare(a.Target, b.Target))
		})
		slices.SortFunc(theirs, func(a, b llbMount) int { return cmp.Or(cmp.Compare(a.id, b.id), cmp.Compare(a.target, b.target)) })
		for _, m := range mine {
			got = append(got, strings.Join([]string{s.Name, m.ID, m.Sharing, m.Target}, " "))
		}
		for _, m := range theirs {
			want = append(want, strings.Join([]string{s.Name, m.id, m.sharing, m.target}, " "))
		}
		if len(mine) != len(theirs) {
			continue // reported below
		}
		for k, m := range mine {
			switch {
			case m.Carried && !theirs[k].scratch:
				t.Errorf("stage %s: %s carried, but BuildKit keys it by its input too", s.Name, m.ID)
			case !m.Carried && theirs[k].scratch && strings.Contains(m.Reason, "the Dockerfile does not set"):
				uncertain++
			case !m.Carried && theirs[k].scratch:
				t.Errorf("stage %s: %s not carried (%s), but BuildKit keys it by the ID alone", s.Name, m.ID, m.Reason)
			case !m.Carried && m.Reason == "":
				t.Errorf("stage %s: %s not carried without a reason", s.Name, m.ID)
			}
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("cache mounts:\nplanner  %q\nBuildKit %q", got, want)
	}
	return strings.Join(want, ";"), uncertain
}
