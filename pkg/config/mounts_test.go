package config

import (
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/cairn-build/cairn/pkg/planner"
)

func TestCacheMountPolicy(t *testing.T) {
	const head = "version: 1\nrepository: reg.example.com/team/app\n"
	const goBuild = "//root/.cache/go-build"
	tests := []struct {
		name      string
		yaml      string
		o         Overrides
		env       map[string]string
		mode      string
		maxSize   int64
		id        string // default goBuild
		ref       string
		fallbacks []string
		skip      string
	}{
		{
			name: "defaults", yaml: head, mode: "auto", maxSize: 2_000_000_000,
			ref: "reg.example.com/team/app:cache-mount-root-.cache-go-build",
		},
		{
			name: "scalar off", yaml: head + "cache:\n  mounts: off\n", mode: "off", maxSize: 2e9,
			skip: "cache mounts are off (cache.mounts)",
		},
		{
			name: "mapping off", yaml: head + "cache:\n  mounts: {mode: off}\n", mode: "off", maxSize: 2e9,
			skip: "cache mounts are off (cache.mounts)",
		},
		{
			name: "cache off turns mounts off", yaml: head + "cache:\n  mode: off\n", mode: "off", maxSize: 2e9,
			skip: "the cache is off (cache.mode)",
		},
		{
			name: "explicit auto with the cache off", yaml: head + "cache:\n  mode: off\n  mounts: auto\n", mode: "auto", maxSize: 2e9,
			ref: "reg.example.com/team/app:cache-mount-root-.cache-go-build",
		},
		{
			name: "flag beats the file", yaml: head + "cache:\n  mounts: auto\n", o: Overrides{CacheMounts: "off"}, mode: "off", maxSize: 2e9,
			skip: "cache mounts are off (--cache-mounts)",
		},
		{
			name: "mapping with every field",
			yaml: head + `cache:
  mounts:
    mode: auto
    ref: "cache.example.com/mounts:{env.BRANCH}-{mount}"
    fallback: ["cache.example.com/mounts:main-{mount}", "{repository}:m-{mount}"]
    maxSize: 1.5GiB
    include: ["/root/.cache/*", gomod]
    exclude: [/root/.cache/pip]
`,
			env: map[string]string{"BRANCH": "dev"}, mode: "auto", maxSize: 1610612736,
			ref:       "cache.example.com/mounts:dev-root-.cache-go-build",
			fallbacks: []string{"cache.example.com/mounts:main-root-.cache-go-build", "reg.example.com/team/app:m-root-.cache-go-build"},
		},
		{
			name: "id= matches include without its slash",
			yaml: head + "cache:\n  mounts:\n    include: [gomod]\n", mode: "auto", maxSize: 2e9, id: "/gomod",
			ref: "reg.example.com/team/app:cache-mount-gomod",
		},
		{
			name: "not included",
			yaml: head + "cache:\n  mounts:\n    include: [gomod]\n", mode: "auto", maxSize: 2e9,
			skip: "not in cache.mounts.include",
		},
		{
			name: "excluded by glob",
			yaml: head + "cache:\n  mounts:\n    exclude: [\"/root/*/go-*\"]\n", mode: "auto", maxSize: 2e9,
			skip: `excluded by cache.mounts.exclude "/root/*/go-*"`,
		},
		{
			name: "namespace is stripped for matching, kept in the ref",
			yaml: head + "args: {BUILDKIT_CACHE_MOUNT_NS: team}\ncache:\n  mounts:\n    include: [/root/.npm]\n    maxSize: \"0\"\n",
			mode: "auto", id: "team//root/.npm",
			ref: "reg.example.com/team/app:cache-mount-team-root-.npm",
		},
		{
			name: "no repository", yaml: "version: 1\n", mode: "auto", maxSize: 2e9,
			skip: "no repository for its snapshot",
		},
		{
			name: "no repository needed", yaml: "version: 1\ncache:\n  mounts:\n    ref: \"reg.example.com/m:{mount}\"\n    maxSize: 500 MB\n",
			mode: "auto", maxSize: 5e8, ref: "reg.example.com/m:root-.cache-go-build",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := resolve(t, tt.yaml, tt.o, tt.env)
			id := tt.id
			if id == "" {
				id = goBuild
			}
			p := b.CacheMounts
			checks := []struct {
				name      string
				got, want any
			}{
				{"Mode", p.Mode, tt.mode},
				{"MaxSize", p.MaxSize, tt.maxSize},
				{"Ref", p.Ref(id), tt.ref},
				{"Fallbacks", p.Fallbacks(id), tt.fallbacks},
				{"Skip", p.Skip(id), tt.skip},
			}
			if tt.fallbacks == nil && tt.skip == "" {
				checks[3].want = []string{}
			}
			for _, c := range checks {
				if !reflect.DeepEqual(c.got, c.want) {
					t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
				}
			}
		})
	}
}

func TestCacheMountErrors(t *testing.T) {
	const head = "version: 1\nrepository: reg.example.com/app\ncache:\n"
	long, longer := strings.Repeat("x", 100), strings.Repeat("x", 110)
	tests := []struct {
		name, yaml string
		want       string
	}{
		{"bad scalar mode", head + "  mounts: sometimes\n", `build.yaml:4: cache.mounts: unknown cache mounts mode "sometimes": want auto or off`},
		{"bad mapping mode", head + "  mounts:\n    mode: on\n", `build.yaml:5: cache.mounts.mode: unknown cache mounts mode "on": want auto or off`},
		{"a list", head + "  mounts: [a]\n", "build.yaml:4: cache.mounts: want auto, off or a mapping, got a list"},
		{"typo in cache", head + "  mountz: off\n", `build.yaml:4: cache.mountz: unknown field (did you mean "mounts"?)`},
		{"typo in mounts", head + "  mounts:\n    maxsize: 1GB\n", `build.yaml:5: cache.mounts.maxsize: unknown field (did you mean "maxSize"?)`},
		{"unknown mounts key", head + "  mounts:\n    zzz: 1\n", "build.yaml:5: cache.mounts.zzz: unknown field (known: exclude, fallback, include, maxSize, mode, ref)"},
		{"duplicate key", head + "  mounts:\n    mode: off\n    mode: auto\n", "build.yaml:6: cache.mounts.mode: defined twice (first on line 5)"},
		{"include not a list", head + "  mounts:\n    include: gomod\n", `build.yaml:5: cache.mounts.include: want a list, got "gomod"`},
		{"ref without mount", head + "  mounts:\n    ref: \"{repository}:mounts\"\n", `build.yaml:5: cache.mounts.ref: "{repository}:mounts" must contain {mount}: every cache mount needs its own snapshot`},
		{"stage in a mount ref", head + "  mounts:\n    ref: \"{repository}:{stage}-{mount}\"\n", `build.yaml:5: cache.mounts.ref: unknown variable {stage} in "{repository}:{stage}-{mount}" (known here: {repository}, {mount}, {branch}, {env.NAME})`},
		{"bad fallback", head + "  mounts:\n    fallback:\n      - \"{repository}:main-{mount}\"\n      - \"{repository}:main\"\n", `build.yaml:7: cache.mounts.fallback[1]: "{repository}:main" must contain {mount}: every cache mount needs its own snapshot`},
		{"bad size", head + "  mounts:\n    maxSize: lots\n", `build.yaml:5: cache.mounts.maxSize: "lots" is not a size: want e.g. 500MB, 2GB, 1.5GiB or a byte count`},
		{"negative size", head + "  mounts:\n    maxSize: -1GB\n", `build.yaml:5: cache.mounts.maxSize: "-1GB" is not a size: want e.g. 500MB, 2GB, 1.5GiB or a byte count`},
		{"bad glob", head + "  mounts:\n    exclude: [ok, \"[\"]\n", `build.yaml:5: cache.mounts.exclude[1]: "[" is not a cache ID or glob`},
		{"mount outside the tag", head + "  mounts:\n    ref: \"{repository}/{mount}:latest\"\n", `build.yaml:5: cache.mounts.ref: "{repository}/{mount}:latest" must put {mount} in the tag (after the last ':'), which must make a valid reference`},
		{"no room in the tag", head + "  mounts:\n    ref: \"{repository}:" + longer + "-{mount}\"\n", `build.yaml:5: cache.mounts.ref: "{repository}:` + longer + `-{mount}" leaves {mount} 17 characters of the 128 a tag may have: want 24 at least`},
		{"no room for two", head + "  mounts:\n    ref: \"{repository}:" + long + "-{mount}-{mount}\"\n", `build.yaml:5: cache.mounts.ref: "{repository}:` + long + `-{mount}-{mount}" leaves {mount} 13 characters of the 128 a tag may have: want 24 at least`},
		{"unset env", head + "  mounts:\n    ref: \"{repository}:{env.NOPE}-{mount}\"\n", `build.yaml:5: cache.mounts.ref: {env.NOPE} in "{repository}:{env.NOPE}-{mount}": environment variable NOPE is not set`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantFileError(t, tt.yaml, Overrides{}, nil, tt.want)
		})
	}
	_, err := Default().Resolve(Overrides{CacheMounts: "sometimes"}, env(nil))
	if want := `Overrides.CacheMounts: unknown cache mounts mode "sometimes": want auto or off`; err == nil || err.Error() != want {
		t.Errorf("flag error = %v, want %s", err, want)
	}
}

func TestMountSlug(t *testing.T) {
	hashed := regexp.MustCompile(`-[0-9a-f]{8}$`)
	tests := []struct {
		id, want string
		room     int
	}{
		{id: "//root/.cache/go-build", want: "root-.cache-go-build"},
		{id: "/gomod", want: "gomod"},
		{id: "team//root/.npm", want: "team-root-.npm"},
		{id: "/Go_Mod.v2", want: "Go_Mod.v2"},
		{id: "//a//b/", want: "a-b-"},
		{id: "/.cache", want: "_.cache-7af4efd6"},
		{id: "//-x", want: "_-x-4a0463f3"},
		{id: "/", want: "_-8a5edab2"},
		{id: "/go mod:1", want: "go_mod_1-3bd8cac9"},
		{id: "/héllo", want: "h_llo-830c2157"},
		{id: "/" + strings.Repeat("a", 40), room: 24, want: "aaaaaaaaaaaaaaa-30dae48e"},
	}
	for _, tt := range tests {
		room := tt.room
		if room == 0 {
			room = 100
		}
		got := mountSlug(tt.id, room)
		if len(got) > room {
			t.Errorf("mountSlug(%q) = %q, longer than %d", tt.id, got, room)
		}
		if _, err := name.NewTag("reg.example.com/app:" + got); err != nil {
			t.Errorf("mountSlug(%q) = %q, not a tag: %v", tt.id, got, err)
		}
		if got != tt.want {
			t.Errorf("mountSlug(%q) = %q, want %q", tt.id, got, tt.want)
		}
		if strings.Contains(tt.id, " ") && !hashed.MatchString(got) {
			t.Errorf("mountSlug(%q) = %q replaced a character but has no hash", tt.id, got)
		}
	}
	// Lossy IDs keep apart: the hash is the whole ID's. The expected slugs
	// above are fixed: a slug is part of every snapshot ref, so changing the
	// rule loses every carried cache.
	if a, b := mountSlug("/go mod", 100), mountSlug("/go:mod", 100); a == b {
		t.Errorf("%q and %q share slug %q", "/go mod", "/go:mod", a)
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"1024", 1024, true}, {"2GB", 2e9, true}, {"2gb", 2e9, true}, {"500 MB", 5e8, true},
		{"1.5GiB", 1610612736, true}, {"10kB", 1e4, true}, {"3KiB", 3072, true}, {"7B", 7, true}, {"1TB", 1e12, true},
		{"", 0, false}, {"GB", 0, false}, {"1e9", 0, false}, {"-1", 0, false}, {"2PB", 0, false}, {"inf", 0, false}, {"1.GB", 0, false},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// TestPlanOptionsCarryMounts: the planner gets the policy through
// PlanOptions.
func TestPlanOptionsCarryMounts(t *testing.T) {
	b := resolve(t, `version: 1
repository: reg.example.com/app
cache:
  mounts:
    fallback: ["{repository}:main-{mount}"]
    exclude: [/root/.npm]
`, Overrides{}, nil)
	p, err := planner.New([]byte("FROM alpine\nRUN --mount=type=cache,target=/root/.cache/go-build --mount=type=cache,target=/root/.npm true\n"), b.PlanOptions())
	if err != nil {
		t.Fatal(err)
	}
	got := p.Stages[0].CacheMounts
	want := []planner.CacheMount{
		{ID: "//root/.cache/go-build", Target: "/root/.cache/go-build", Sharing: "shared", Line: 2, Carried: true,
			Snapshot: "reg.example.com/app:cache-mount-root-.cache-go-build", Fallbacks: []string{"reg.example.com/app:main-root-.cache-go-build"}},
		{ID: "//root/.npm", Target: "/root/.npm", Sharing: "shared", Line: 2,
			Reason: `excluded by cache.mounts.exclude "/root/.npm"`, Fallbacks: []string{}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cache mounts:\n got %+v\nwant %+v", got, want)
	}
}

func TestLongIDFitsTheTag(t *testing.T) {
	b := resolve(t, "version: 1\nrepository: localhost:5000/team/app\n", Overrides{}, nil)
	ref := b.CacheMounts.Ref("//" + strings.Repeat("deep/", 60) + "cache")
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatalf("Ref = %q: %v", ref, err)
	}
	if len(tag.TagStr()) != maxTag || !strings.HasPrefix(tag.TagStr(), "cache-mount-deep-deep-") {
		t.Errorf("tag %q (%d characters), want 128 starting cache-mount-deep-deep-", tag.TagStr(), len(tag.TagStr()))
	}
}

// FuzzMountSlug: every ID makes a valid tag component that fits its room.
func FuzzMountSlug(f *testing.F) {
	for _, id := range []string{"//root/.cache/go-build", "/", "/.x", "ns//a b", "/" + strings.Repeat("é", 80)} {
		f.Add(id, 24)
	}
	f.Fuzz(func(t *testing.T, id string, room int) {
		room = 24 + int(uint(room)%105)
		s := mountSlug(id, room)
		if len(s) > room {
			t.Fatalf("mountSlug(%q, %d) = %q is too long", id, room, s)
		}
		if _, err := name.NewTag("reg.example.com/app:" + s); err != nil {
			t.Fatalf("mountSlug(%q, %d) = %q: %v", id, room, s, err)
		}
	})
}

// FuzzParseCacheMounts: no cache.mounts makes Parse, Resolve or the policy
// panic, and every ref the policy gives is a valid tag.
func FuzzParseCacheMounts(f *testing.F) {
	f.Add([]byte("version: 1\nrepository: a/b\ncache:\n  mounts: off\n"), "//root/.cache")
	f.Add([]byte("version: 1\nrepository: a/b\ncache:\n  mounts:\n    ref: \"{repository}:{mount}-{mount}\"\n    fallback: [\"x/y:{env.V}{mount}\"]\n    include: [\"*\"]\n    maxSize: 1.5GiB\n"), "/gomod")
	f.Add([]byte("version: 1\ncache: {mounts: {exclude: [\"[\"]}}\n"), "ns//a b")
	f.Fuzz(func(t *testing.T, data []byte, id string) {
		file, err := Parse("build.yaml", data)
		if err != nil {
			return
		}
		b, err := file.Resolve(Overrides{}, env(map[string]string{"V": "v1"}))
		if err != nil {
			return
		}
		p := b.CacheMounts
		_ = p.Skip(id)
		for _, ref := range append(p.Fallbacks(id), p.Ref(id)) {
			if _, err := name.NewTag(ref); ref != "" && err != nil {
				t.Fatalf("ref %q for %q: %v", ref, id, err)
			}
		}
	})
}
