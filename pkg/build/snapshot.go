package build

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
)

// An incremental snapshot is the previous snapshot's image and one layer
// more: what changed in the mount since the restore. The save mounts the
// previous snapshot's image (the restore pulled and unpacked it on this
// daemon) as the exec's output, deletes there what the mount no longer
// has and copies what differs, so BuildKit's differ makes a layer of
// those changes alone (removed files become whiteouts) and the exported
// image reuses the previous layers, which the registry has: only the new
// layer is sent.
//
// A file is taken as unchanged when its type, mode, owner, size and
// modification time (whole seconds: busybox's cp -a keeps no more, and a
// restore is a cp -a) are those of the previous snapshot's, as rsync's
// quick check does. A directory's times are set back from the mount's,
// so the same mount on the same snapshot gives the same delta and digest.
//
// The save is a full snapshot, one layer, when there is nothing to build
// on (the mount was not restored), when the chain would exceed
// maxSnapshotLayers, or when the delta layers, the new one included, would
// hold more than half the bytes of the base layer (compressed; the new
// one's are estimated from its files' bytes at the previous snapshot's
// ratio): each restore then downloads at most about 1.5 snapshots.
const maxSnapshotLayers = 10

// Where the plan exec sees the previous snapshot, and writes its plan.
const (
	prevDir = "/prev"
	planDir = "/plan"
)

// planScript lists the mount's files and the previous snapshot's with
// their metadata and has planAwk compare them. Names holding a newline
// would break the listings: such a mount is saved whole.
const planScript = `set -e
cd ` + planDir + ` && touch deleted dirs files fix
if find ` + mountDir + ` ` + prevDir + ` -name '*
*' | grep -q .; then echo whole > whole; exit 0; fi
list() { cd "$1" && find . ! -path . -print0 | xargs -0 -r stat -c '%f %u %g %s %Y %n'; }
links() { cd "$1" && find . -type l -print0 | xargs -0 -r stat -c '%N'; }
list ` + prevDir + ` > /tmp/was
list ` + mountDir + ` > /tmp/now
links ` + prevDir + ` > /tmp/was.links
links ` + mountDir + ` > /tmp/now.links
awk "$CAIRN_PLAN" /tmp/was /tmp/now`

// planAwk reads two listings (raw mode in hex, uid, gid, size, mtime,
// path), the previous snapshot's then the mount's, and writes in planDir
// the paths to delete (gone, or replaced by a changed file or a file of
// another type), the directories to make, the other files to copy, the
// directories whose metadata to set back (the changed ones and the parents
// of every change), and a summary: the previous snapshot's file bytes, the
// mount's, the bytes of the files to copy and the number of changes.
//
// A symlink is compared by its target, not its mtime, which cp -a does
// not keep. A regular file whose mtime alone differs is compared by content (one
// md5sum per tree for all of them) and is unchanged when that is equal: Go
// refreshes the mtime of every build cache entry it uses once the entry
// is an hour old, which would otherwise put all of them in the delta.
const planAwk = `function parent(p,   d) { d = p; sub(/\/[^\/]*$/, "", d); fix[d] = 1 }
function change(p, t, size) {
	if (t == "4") { print p > "` + planDir + `/dirs"; fix[p] = 1 } else { print p > "` + planDir + `/files"; if (t == "8") delta += size }
	parent(p)
	n++
}
function links(file, to,   line, i) {
	while ((getline line < file) > 0) { i = index(line, "' -> '"); to[substr(line, 2, i - 2)] = substr(line, i + 6) }
}
BEGIN { links("/tmp/was.links", waslink); links("/tmp/now.links", nowlink) }
{
	head = $1 " " $2 " " $3 " " $4 " " $5
	p = substr($0, length(head) + 2)
	t = substr($1, 1, 1)
	k = $1 " " $2 " " $3 " " (t == "4" ? "-" : $4)
	m = k " " $5
}
FILENAME == ARGV[1] { was[p] = (t == "a" ? k " " waslink[p] : m); wask[p] = k; if (t == "8") wasb += $4; next }
t == "a" { m = k " " nowlink[p] }
{
	if (t == "8") nowb += $4
	if (p in was) {
		old = was[p]
		delete was[p]
		if (old == m) next
		if (t == "8" && wask[p] == k) { touched[p] = $4; ntouched++; print p > "/tmp/touched"; next }
		if (t != "4" || substr(old, 1, 1) != "4") print p > "` + planDir + `/deleted"
	}
	change(p, t, $4)
}
END {
	for (p in was) { print p > "` + planDir + `/deleted"; parent(p); n++ }
	if (ntouched > 0) {
		close("/tmp/touched")
		system("cd ` + prevDir + ` && tr '\\n' '\\0' < /tmp/touched | xargs -0 md5sum > /tmp/was.md5")
		system("cd ` + mountDir + ` && tr '\\n' '\\0' < /tmp/touched | xargs -0 md5sum > /tmp/now.md5")
		while ((getline line < "/tmp/was.md5") > 0) sum[substr(line, 35)] = substr(line, 1, 32)
		while ((getline line < "/tmp/now.md5") > 0) {
			p = substr(line, 35)
			if (sum[p] != substr(line, 1, 32)) { print p > "` + planDir + `/deleted"; change(p, "8", touched[p]) }
		}
	}
	for (d in fix) print d > "` + planDir + `/fix"
	printf "%.0f %.0f %.0f %d\n", wasb, nowb, delta, n > "` + planDir + `/summary"
}`

// applyScript applies the plan to the previous snapshot's files in saveDir.
// Only the directories' metadata need setting back: cp -a keeps the
// files'.
const applyScript = `set -e
cd ` + saveDir + `
tr '\n' '\0' < ` + planDir + `/deleted | xargs -0 -r rm -rf
tr '\n' '\0' < ` + planDir + `/dirs | xargs -0 -r mkdir -p
while IFS= read -r p; do cp -a "` + mountDir + `/$p" "$p"; done < ` + planDir + `/files
while IFS= read -r p; do
	if [ -L "` + mountDir + `/$p" ] || [ ! -d "` + mountDir + `/$p" ]; then continue; fi
	chown "$(stat -c %u:%g "` + mountDir + `/$p")" "$p"
	chmod "$(stat -c %a "` + mountDir + `/$p")" "$p"
	touch -r "` + mountDir + `/$p" "$p"
done < ` + planDir + `/fix`

// snapshotPlan is the plan exec's summary.
type snapshotPlan struct {
	whole   bool  // the mount cannot be compared: save it whole
	was     int64 // bytes of the previous snapshot's files
	now     int64 // bytes of the mount's files
	delta   int64 // bytes of the files a delta would hold
	changes int   // paths added, changed or removed
}

// planExec compares the mount's files with those of the previous snapshot
// prev; its output mounted at planDir will be the plan.
func planExec(m *MountResult, prev llb.State) llb.ExecState {
	return cacheExec(m.ID, planScript,
		llb.AddEnv("CAIRN_PLAN", planAwk),
		llb.AddMount(prevDir, prev, llb.Readonly),
		llb.WithCustomNamef("[cache mount %s] compare with %s", m.Target, m.Source))
}

// readPlan solves plan, the plan exec's output, on s and reads its
// summary.
func readPlan(ctx context.Context, s Solver, plan llb.State, opts Options, status chan *client.SolveStatus) (snapshotPlan, error) {
	def, err := plan.Marshal(ctx)
	if err != nil {
		return snapshotPlan{}, err
	}
	dir, err := os.MkdirTemp("", "cairn-plan-")
	if err != nil {
		return snapshotPlan{}, err
	}
	defer os.RemoveAll(dir)
	fan := newFanIn(status)
	_, err = s.Solve(ctx, def, client.SolveOpt{
		Session: opts.Session,
		Exports: []client.ExportEntry{{Type: client.ExporterLocal, OutputDir: dir}},
	}, fan.add())
	fan.wait()
	if err != nil {
		return snapshotPlan{}, fmt.Errorf("compare with the previous snapshot: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "whole")); err == nil {
		return snapshotPlan{whole: true}, nil
	}
	data, err := os.ReadFile(filepath.Join(dir, "summary"))
	if err != nil {
		return snapshotPlan{}, fmt.Errorf("compare with the previous snapshot: %w", err)
	}
	var p snapshotPlan
	if _, err := fmt.Sscan(strings.TrimSpace(string(data)), &p.was, &p.now, &p.delta, &p.changes); err != nil {
		return snapshotPlan{}, fmt.Errorf("compare with the previous snapshot: summary %q: %w", data, err)
	}
	return p, nil
}

// wholeBecause is why the save, given the plan and the layer sizes of the
// previous snapshot (base first), writes a full snapshot instead of a
// delta; "" for a delta.
func (p snapshotPlan) wholeBecause(layers []int64) string {
	switch {
	case p.whole:
		return "a file name holds a newline"
	case len(layers) == 0 || p.was == 0:
		return "the previous snapshot is empty"
	case len(layers)+1 > maxSnapshotLayers:
		return fmt.Sprintf("the chain would exceed %d layers", maxSnapshotLayers)
	}
	var total, deltas int64
	for i, l := range layers {
		total += l
		if i > 0 {
			deltas += l
		}
	}
	// The new layer's compressed bytes, at the previous snapshot's ratio.
	estimate := int64(float64(p.delta) * float64(total) / float64(p.was))
	if 2*(deltas+estimate) > layers[0] {
		return "its deltas would exceed half its base"
	}
	return ""
}
