package planner_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cairn-build/cairn/pkg/planner"
)

func mountRef(id string) string { return "reg/app:cache-mount" + strings.ReplaceAll(id, "/", "-") }

func TestCacheMountReasons(t *testing.T) {
	tests := []struct {
		name       string
		dockerfile string
		opts       planner.Options // CacheMountRef is mountRef unless noRef
		noRef      bool
		stage      string
		want       []planner.CacheMount // ID, Target, Carried, Snapshot, Fallbacks; Reason by substring
	}{
		{
			name:       "carried with snapshot and fallbacks",
			dockerfile: "FROM alpine\nRUN --mount=type=cache,id=go,target=/go,sharing=locked true\n",
			opts: planner.Options{CacheMountFallbacks: func(id string) []string {
				return []string{"reg/app:main" + id, "", "reg/app:main" + id}
			}},
			want: []planner.CacheMount{{ID: "/go", Target: "/go", Sharing: "locked", Carried: true, Snapshot: "reg/app:cache-mount-go", Fallbacks: []string{"reg/app:main/go"}}},
		},
		{
			name:       "no ref function",
			noRef:      true,
			dockerfile: "FROM alpine\nRUN --mount=type=cache,target=/c true\n",
			want:       []planner.CacheMount{{ID: "//c", Target: "/c", Reason: "no snapshot ref"}},
		},
		{
			name:       "policy skips it",
			dockerfile: "FROM alpine\nRUN --mount=type=cache,target=/c --mount=type=cache,target=/d true\n",
			opts: planner.Options{CacheMountSkip: func(id string) string {
				if id == "//c" {
					return "excluded"
				}
				return ""
			}},
			want: []planner.CacheMount{
				{ID: "//c", Target: "/c", Reason: "excluded"},
				{ID: "//d", Target: "/d", Carried: true, Snapshot: "reg/app:cache-mount--d"},
			},
		},
		{
			name:       "snapshot refs that fold two IDs",
			dockerfile: "FROM alpine\nRUN --mount=type=cache,target=/a/b --mount=type=cache,id=/a-b,target=/x --mount=type=cache,id=a/b,target=/y true\n",
			want: []planner.CacheMount{
				{ID: "//a/b", Target: "/a/b", Reason: "also serves mount ID //a-b"},
				{ID: "//a-b", Target: "/x", Reason: "also serves mount ID //a/b"},
				{ID: "/a/b", Target: "/y", Carried: true, Snapshot: "reg/app:cache-mount-a-b"},
			},
		},
		{
			name:       "uid, from=, stage named scratch",
			dockerfile: "FROM alpine AS scratch\nFROM alpine AS seed\nFROM alpine\nRUN --mount=type=cache,target=/u,gid=1,from=scratch --mount=type=cache,target=/s,from=seed --mount=type=cache,target=/i,from=busybox --mount=type=cache,target=/n true\n",
			stage:      "2",
			want: []planner.CacheMount{
				{ID: "//u", Target: "/u", Reason: "from=scratch seeds it, so BuildKit keys it by that stage's snapshot too"},
				{ID: "//s", Target: "/s", Reason: "from=seed seeds it"},
				{ID: "//i", Target: "/i", Reason: "from=busybox seeds it, so BuildKit keys it by that image's snapshot too"},
				{ID: "//n", Target: "/n", Reason: "a stage named scratch seeds it"},
			},
		},
		{
			name:       "uid without source=",
			dockerfile: "FROM alpine\nRUN --mount=type=cache,target=/n,uid=1 --mount=type=cache,target=/s,uid=1,source=sub true\n",
			want: []planner.CacheMount{
				{ID: "//n", Target: "/n", Reason: "uid/gid/mode make BuildKit create the directory"},
				{ID: "//s", Target: "/s", Carried: true, Snapshot: "reg/app:cache-mount--s"},
			},
		},
		{
			name:       "image variables reach the ID through ENV",
			dockerfile: "FROM node\nENV NPM=$HOME/.npm\nRUN --mount=type=cache,target=$NPM --mount=type=cache,target=node_modules true\n",
			want: []planner.CacheMount{
				{ID: "//.npm", Target: "/.npm", Reason: "depends on $HOME, which the Dockerfile does not set"},
				// The ID is known; the WORKDIR the target joins is the image's.
				{ID: "/node_modules", Target: "node_modules", Carried: true, Snapshot: "reg/app:cache-mount-node_modules"},
			},
		},
		{
			name:       "an expansion BuildKit would fail on",
			dockerfile: "FROM scratch\nENV A=${B:?required}\nRUN --mount=type=cache,target=/c true\n",
			want:       []planner.CacheMount{{ID: "//c", Target: "/c", Reason: "cannot evaluate ENV on line 2"}},
		},
		{
			name:       "options that only parse with image variables",
			dockerfile: "FROM alpine\nRUN --mount=type=cache,target=/c,sharing=$MODE true\n",
			want:       []planner.CacheMount{{ID: "//c", Target: "/c", Sharing: "private", Reason: "depends on $MODE"}},
		},
		{
			name:       "TARGETSTAGE of the target",
			dockerfile: "FROM alpine AS app\nARG TARGETSTAGE\nRUN --mount=type=cache,id=$TARGETSTAGE,target=/c true\n",
			opts:       planner.Options{Targets: []planner.Target{{Name: "app"}}},
			stage:      "app",
			want:       []planner.CacheMount{{ID: "/app", Target: "/c", Carried: true, Snapshot: "reg/app:cache-mount-app"}},
		},
		{
			name:       "bind, tmpfs and secret mounts are not listed",
			dockerfile: "FROM alpine\nRUN --mount=type=bind,target=/b --mount=type=tmpfs,target=/t --mount=type=secret,id=s true\n",
			want:       []planner.CacheMount{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			if !tc.noRef {
				opts.CacheMountRef = mountRef
			}
			p, err := planner.New([]byte(tc.dockerfile), opts)
			if err != nil {
				t.Fatal(err)
			}
			stage := tc.stage
			if stage == "" {
				stage = p.Stages[len(p.Stages)-1].Name
			}
			s, ok := p.Stage(stage)
			if !ok {
				t.Fatalf("no stage %s", stage)
			}
			if len(s.CacheMounts) != len(tc.want) {
				t.Fatalf("mounts %+v, want %d", s.CacheMounts, len(tc.want))
			}
			for k, got := range s.CacheMounts {
				want := tc.want[k]
				if want.Sharing == "" {
					want.Sharing = "shared"
				}
				if got.ID != want.ID || got.Target != want.Target || got.Sharing != want.Sharing || got.Carried != want.Carried || got.Snapshot != want.Snapshot {
					t.Errorf("mount %d = %+v, want %+v", k, got, want)
				}
				if !strings.Contains(got.Reason, want.Reason) || (want.Reason == "") != (got.Reason == "") {
					t.Errorf("mount %d reason %q, want it to contain %q", k, got.Reason, want.Reason)
				}
				if got.Fallbacks == nil || strings.Join(got.Fallbacks, " ") != strings.Join(want.Fallbacks, " ") {
					t.Errorf("mount %d fallbacks %q, want %q", k, got.Fallbacks, want.Fallbacks)
				}
				if got.Line == 0 {
					t.Errorf("mount %d has no line", k)
				}
			}
		})
	}
}

func TestCacheMountOutput(t *testing.T) {
	dockerfile := []byte("FROM alpine AS deps\nRUN --mount=type=cache,id=gomod,target=/go/pkg/mod,uid=0,mode=0750,source=sub true\n" +
		"FROM deps\nRUN --mount=type=cache,target=/root/.cache,sharing=private,from=deps true\n")
	p, err := planner.New(dockerfile, planner.Options{
		CacheMountRef:       mountRef,
		CacheMountFallbacks: func(string) []string { return []string{"reg/app:cache-mount-main"} },
	})
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if err := p.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	want := `
STAGE  MOUNT ID       TARGET        SHARING  SNAPSHOT                   NOTE
deps   /gomod         /go/pkg/mod   shared   reg/app:cache-mount-gomod  fallback reg/app:cache-mount-main
1      //root/.cache  /root/.cache  private  -                          from=deps seeds it, so BuildKit keys it by that stage's snapshot too

target 1: deps → 1
`
	if _, table, _ := strings.Cut(text.String(), "\n\n"); "\n"+table != want {
		t.Errorf("text:\n%s\nwant the stage table, then:\n%s", text.String(), want)
	}
	var js bytes.Buffer
	if err := p.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"id": "/gomod"`, `"uid": 0`, `"mode": "0750"`, `"source": "sub"`, `"from": "deps"`, `"carried": true`, `"fallbacks": []`, `"snapshot": "reg/app:cache-mount-gomod"`} {
		if !strings.Contains(js.String(), s) {
			t.Errorf("JSON lacks %s:\n%s", s, js.String())
		}
	}
	var back planner.Plan
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if m := back.Stages[0].CacheMounts[0]; m.UID == nil || *m.UID != 0 || m.GID != nil {
		t.Errorf("uid/gid after a JSON round trip: %+v", m)
	}

	text.Reset()
	p, _ = planner.New([]byte("FROM alpine\nRUN true\n"), planner.Options{})
	if err := p.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text.String(), "MOUNT ID") {
		t.Errorf("a plan without cache mounts has a mount table:\n%s", text.String())
	}
}
