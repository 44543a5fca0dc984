package check

import (
	"archive/tar"
	"strings"
	"testing"
)

// filesImage: layer 0 is a small root filesystem, layer 1 rewrites
// /etc/passwd and deletes /tmp/gone.
func filesImage(t *testing.T) []tf {
	t.Helper()
	return []tf{
		dir("bin/"),
		text("bin/sh", "#!shell\n", 0o755),
		{name: "bin/sh2", typ: tar.TypeLink, link: "bin/sh", mode: 0o755},
		text("bin/su", "setuid\n", 0o4755),
		text("bin/tool", "tool\n", 0o750),
		dir("etc/"),
		text("etc/passwd", "root:x:0:0\n", 0o644),
		{name: "srv/secret", typ: tar.TypeReg, mode: 0o600, content: "token=abc\n", uid: 1000, gid: 1001},
		{name: "link", typ: tar.TypeSymlink, link: "/bin/sh", mode: 0o777},
		dir("tmp/"),
		text("tmp/gone", "bye\n", 0o644),
		text("usr/local/bin/app", "app\n", 0o755), // no entries for its directories
	}
}

func TestFileChecks(t *testing.T) {
	img := imageOf(t, filesImage(t), []tf{
		text("etc/passwd", "app:x:1000:1000\n", 0o644),
		whiteout("tmp/.wh.gone"),
	})
	tests := []struct {
		name  string
		check FileCheck
		pass  bool
		msg   string // in the message
	}{
		{"exists", FileCheck{Path: "/bin/sh"}, true, "exists: -rwxr-xr-x 0:0, 8 bytes"},
		{"missing", FileCheck{Path: "/nope"}, false, "does not exist"},
		{"must not exist", FileCheck{Path: "/nope", Exists: ptr(false)}, true, "does not exist"},
		{"exists but must not", FileCheck{Path: "/bin/sh", Exists: ptr(false)}, false, "want absent"},
		{"deleted by a later whiteout", FileCheck{Path: "/tmp/gone", Exists: ptr(false)}, true, ""},
		{"deleted, wanted", FileCheck{Path: "/tmp/gone"}, false, "does not exist"},
		{"implicit directory exists", FileCheck{Path: "/usr/local"}, true, "no entry of its own"},
		{"symbolic permissions", FileCheck{Path: "/bin/sh", Permissions: "-rwxr-xr-x"}, true, ""},
		{"symbolic permissions differ", FileCheck{Path: "/bin/sh", Permissions: "-rw-r--r--"}, false, "permissions -rwxr-xr-x, want -rw-r--r--"},
		{"octal permissions", FileCheck{Path: "/bin/sh", Permissions: "0755"}, true, ""},
		{"octal permissions differ", FileCheck{Path: "/etc/passwd", Permissions: "0755"}, false, "permissions 0644 (-rw-r--r--), want 0755"},
		{"directory permissions", FileCheck{Path: "/etc", Permissions: "drwxr-xr-x"}, true, ""},
		{"setuid octal", FileCheck{Path: "/bin/su", Permissions: "4755"}, true, ""},
		{"setuid symbolic", FileCheck{Path: "/bin/su", Permissions: "urwxr-xr-x"}, true, ""},
		{"setuid missing", FileCheck{Path: "/bin/sh", Permissions: "4755"}, false, "want 4755"},
		{"implicit directory has no mode", FileCheck{Path: "/usr/local", Permissions: "0755"}, false, "unknown"},
		{"uid and gid", FileCheck{Path: "/srv/secret", UID: ptr(1000), GID: ptr(1001)}, true, ""},
		{"uid differs", FileCheck{Path: "/srv/secret", UID: ptr(0)}, false, "uid 1000, want 0"},
		{"gid differs", FileCheck{Path: "/srv/secret", GID: ptr(1000)}, false, "gid 1001, want 1000"},
		{"executable by owner", FileCheck{Path: "/bin/tool", Executable: "owner"}, true, ""},
		{"executable by group", FileCheck{Path: "/bin/tool", Executable: "group"}, true, ""},
		{"not executable by other", FileCheck{Path: "/bin/tool", Executable: "other"}, false, "not executable by other (-rwxr-x---)"},
		{"executable by any", FileCheck{Path: "/bin/tool", Executable: "any"}, true, ""},
		{"not executable by any", FileCheck{Path: "/srv/secret", Executable: "any"}, false, "not executable by any"},
		{"contains, from the top layer", FileCheck{Path: "/etc/passwd", Contains: []string{`^app:`, `1000`}}, true, ""},
		{"does not contain", FileCheck{Path: "/etc/passwd", Contains: []string{`^root:`}}, false, `content does not match "^root:"`},
		{"excludes", FileCheck{Path: "/etc/passwd", Excludes: []string{`root`}}, true, ""},
		{"excluded content found", FileCheck{Path: "/etc/passwd", Excludes: []string{`app`}}, false, `content matches excluded "app"`},
		{"hard link reads its target", FileCheck{Path: "/bin/sh2", Contains: []string{`shell`}}, true, ""},
		{"symlink checked as stored", FileCheck{Path: "/link", Permissions: "Lrwxrwxrwx"}, true, "→ /bin/sh"},
		{"symlink content not followed", FileCheck{Path: "/link", Contains: []string{`shell`}}, false, "is a symlink to /bin/sh"},
		{"directory content", FileCheck{Path: "/etc", Contains: []string{`x`}}, false, "is a directory"},
		{"named", FileCheck{Name: "shell", Path: "/bin/sh"}, true, ""},
		{"every problem reported", FileCheck{Path: "/srv/secret", UID: ptr(0), GID: ptr(0)}, false, "uid 1000, want 0; gid 1001, want 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			results, _, err := Image(img, Spec{Files: []FileCheck{tt.check}})
			if err != nil {
				t.Fatal(err)
			}
			r := results[0]
			if r.Passed != tt.pass || !strings.Contains(r.Message, tt.msg) || r.Kind != KindFile || r.Name != tt.check.name() {
				t.Errorf("got %+v; want passed %v, message containing %q", r, tt.pass, tt.msg)
			}
		})
	}
}

// A file rewritten, deleted and re-added is read from the layer that
// last wrote it.
func TestFileContentAcrossLayers(t *testing.T) {
	img := imageOf(t,
		[]tf{text("app.conf", "v1", 0o644)},
		[]tf{whiteout(".wh.app.conf")},
		[]tf{text("app.conf", "v3", 0o644)},
		[]tf{text("other", "x", 0o644)},
	)
	results, _, err := Image(img, Spec{Files: []FileCheck{{Path: "/app.conf", Contains: []string{`^v3$`}}}})
	if err != nil || !results[0].Passed {
		t.Errorf("Image() = %+v, %v", results, err)
	}
}

func TestImageInvalidSpec(t *testing.T) {
	_, _, err := Image(imageOf(t), Spec{Files: []FileCheck{{Path: "relative", Contains: []string{"("}}}})
	if err == nil || !strings.Contains(err.Error(), "files[0].path") || !strings.Contains(err.Error(), "files[0].contains[0]") {
		t.Errorf("err = %v, want both problems named", err)
	}
}
