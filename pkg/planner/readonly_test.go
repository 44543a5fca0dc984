package planner_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cairn-build/cairn/pkg/planner"
)

// TestCacheReadOnly: a read-only build imports the refs it would write,
// but exports none and saves no cache mount; cairn plan shows "-".
func TestCacheReadOnly(t *testing.T) {
	df := []byte("FROM busybox AS deps\nRUN --mount=type=cache,target=/root/.cache true\nFROM deps AS app\nRUN true\n")
	opts := planner.Options{
		CacheRef:            cacheRef,
		CacheFallbacks:      func(s string) []string { return []string{"reg/app:cache-main-" + s} },
		CacheMountRef:       func(string) string { return "reg/app:cache-mount-pr" },
		CacheMountFallbacks: func(string) []string { return []string{"reg/app:cache-mount-main"} },
	}
	for _, readOnly := range []bool{false, true} {
		opts.CacheReadOnly, opts.CacheMountsReadOnly = readOnly, readOnly
		p, err := planner.New(df, opts)
		if err != nil {
			t.Fatal(err)
		}
		app, _ := p.Stage("app")
		assertNames(t, "app CacheImports", app.CacheImports, "reg/app:cache-app reg/app:cache-deps reg/app:cache-main-app")
		if app.CacheRef != "reg/app:cache-app" {
			t.Errorf("CacheRef = %q", app.CacheRef)
		}
		deps, _ := p.Stage("deps")
		m := deps.CacheMounts[0]
		wantExport, wantSnapshot, wantFallbacks := "reg/app:cache-app", "reg/app:cache-mount-pr", "reg/app:cache-mount-main"
		if readOnly {
			wantExport, wantSnapshot, wantFallbacks = "", "", "reg/app:cache-mount-pr reg/app:cache-mount-main"
		}
		if app.CacheExport != wantExport || p.CacheReadOnly != readOnly {
			t.Errorf("read-only %v: CacheExport = %q, plan read-only %v", readOnly, app.CacheExport, p.CacheReadOnly)
		}
		if !m.Carried || m.Snapshot != wantSnapshot {
			t.Errorf("read-only %v: mount carried %v, snapshot %q; want carried, %q", readOnly, m.Carried, m.Snapshot, wantSnapshot)
		}
		assertNames(t, "mount Fallbacks", m.Fallbacks, wantFallbacks)
		var out bytes.Buffer
		if err := p.WriteText(&out); err != nil {
			t.Fatal(err)
		}
		row := strings.Fields(strings.Split(out.String(), "\n")[2]) // app
		if readOnly != (row[4] == "-") || row[5] != "reg/app:cache-app,reg/app:cache-deps,reg/app:cache-main-app" {
			t.Errorf("read-only %v: app row %q", readOnly, row)
		}
		if readOnly && !strings.Contains(out.String(), "read-only: restored from reg/app:cache-mount-pr,reg/app:cache-mount-main") {
			t.Errorf("mount table does not say it is read-only:\n%s", out.String())
		}
	}
}
