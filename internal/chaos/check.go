package chaos

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// judgement checks one run against the invariants.
type judgement struct {
	c     *campaign
	r     *round
	procs []*proc // every cairn process of the run, for (e) and the report
	notes []string
}

// judge checks the run: (a) one build's final tags, (b) complete images,
// (c) the release unchanged by a failed run, (e) no secret printed; after
// a failure, (d) a clean run publishes and leaves every record done. A
// failed run is checked after `cairn recover` (a killed commit is rolled
// back by the next publisher; recover is that step on its own), and also
// before it when no publisher was killed or said a tag stayed moved: a
// publisher that fails on its own must leave the release as it was.
func (j *judgement) judge(ctx context.Context) error {
	j.procs = append(j.procs, j.r.pubs...)
	defer j.attachOutput(len(j.c.res.Violations))
	o := j.outcomes()
	if o.failed {
		j.c.res.Failed++
		if o.clean {
			if err := j.check(ctx, o, "before cairn recover: "); err != nil {
				return err
			}
		}
		rec, err := j.c.e.startCairn("recover", "recover")
		if err != nil {
			return err
		}
		j.procs = append(j.procs, rec)
		if rec.wait() != 0 {
			j.violate("cairn recover after the failed run: exit %d", rec.wait())
		}
	}
	if err := j.check(ctx, o, ""); err != nil {
		return err
	}
	if o.failed {
		if err := j.next(ctx); err != nil {
			return err
		}
	}
	j.noSecrets()
	return nil
}

// check reads the registry and checks (a), (b), (c), and when no
// publisher failed, that every record is done.
func (j *judgement) check(ctx context.Context, o outcome, when string) error {
	s, err := j.c.e.read(ctx)
	if err != nil {
		return err
	}
	run := j.oneBuild(s, when)
	j.complete(s, when)
	switch {
	case run == "":
	case len(o.succeeded) == 0 && !slices.Contains(o.maybe, run):
		if run != j.c.prev.run || !maps.Equal(s.finals, j.c.prev.finals) {
			j.violate("%sno publisher succeeded, yet the final tags moved: from %s %v to %s %v", when, j.c.prev.run, j.c.prev.finals, run, s.finals)
		}
	case len(o.succeeded) == 1 && len(o.maybe) == 0 && run != o.succeeded[0]:
		j.violate("%s%s succeeded, but the final tags are %s's", when, o.succeeded[0], run)
	case len(o.succeeded) > 0 && !slices.Contains(o.succeeded, run) && !slices.Contains(o.maybe, run):
		j.violate("%s%v succeeded, but the final tags are %s's", when, o.succeeded, run)
	}
	if when != "" {
		return nil // the release is judged once more after recover
	}
	if run != "" {
		j.c.prev = release{run: run, finals: s.finals}
	}
	if !o.failed {
		j.recordsDone(s)
	}
	return nil
}

// outcome sorts a run's publishers.
type outcome struct {
	succeeded []string // exited 0
	maybe     []string // killed: the commit may have gone through before the kill
	failed    bool     // any failed, hung or was killed
	// clean is a failure in which no publisher was killed or hung, or
	// said a tag stayed moved or a record was not marked done.
	clean bool
}

func (j *judgement) outcomes() outcome {
	o := outcome{clean: true}
	for _, p := range j.r.pubs {
		code := p.wait()
		out := p.out.String()
		switch {
		case p.didHang():
			j.violate("%s did not exit within %s", p.name, runTimeout)
			o.failed, o.clean = true, false
		case p.wasKilled():
			o.maybe, o.failed, o.clean = append(o.maybe, p.name), true, false
			j.c.res.Killed++
		case code == 0:
			o.succeeded = append(o.succeeded, p.name)
		default:
			o.failed = true
			o.clean = o.clean && !strings.Contains(out, "could not be put back") &&
				!strings.Contains(out, "could not be marked done") && !strings.Contains(out, "could not be rolled back")
		}
	}
	return o
}

// oneBuild checks (a): every final tag exists and all name one run, which
// it returns ("" when they do not).
func (j *judgement) oneBuild(s *snapshot, when string) string {
	runs := map[string][]string{}
	for path, tags := range finalTags {
		for _, t := range tags {
			ref := path + ":" + t
			if s.finals[ref] == "" {
				j.violate("%sthe final tag %s is missing", when, ref)
				continue
			}
			runs[s.runs[ref]] = append(runs[s.runs[ref]], ref)
		}
	}
	if len(runs) != 1 {
		j.violate("%sthe final tags come from %d builds: %v", when, len(runs), runs)
		return ""
	}
	for run := range runs {
		return run
	}
	return ""
}

// complete checks (b).
func (j *judgement) complete(s *snapshot, when string) {
	for _, p := range s.problems {
		j.violate("%s%s", when, p)
	}
}

// recordsDone checks that no commit is left in progress.
func (j *judgement) recordsDone(s *snapshot) {
	for _, repo := range repositories {
		if state := s.records[repo]; state != "done" {
			j.violate("the commit record of %s is %q, want done", repo, state)
		}
	}
}

// next checks (d): the next clean run publishes, and leaves every record done.
func (j *judgement) next(ctx context.Context) error {
	id := fmt.Sprintf("r%d.clean", j.r.n)
	p, took, err := j.c.clean(id)
	if err != nil {
		return err
	}
	j.procs = append(j.procs, p)
	if code := p.wait(); code != 0 {
		j.violate("the clean run after the failure: exit %d (hung: %v)", code, p.didHang())
		if p.didHang() && !j.c.o.KeepDaemon {
			return j.c.e.restartDaemon(ctx)
		}
		return nil
	}
	j.c.expect = (3*j.c.expect + took) / 4
	s, err := j.c.e.read(ctx)
	if err != nil {
		return err
	}
	if run := j.oneBuild(s, ""); run != "" && run != id {
		j.violate("the clean run succeeded, but the final tags are %s's", run)
	}
	j.complete(s, "")
	j.recordsDone(s)
	j.c.prev = release{run: id, finals: s.finals}
	j.notes = append(j.notes, fmt.Sprintf("clean run in %s", took.Round(time.Millisecond)))
	return nil
}

// noSecrets checks (e).
func (j *judgement) noSecrets() {
	for _, p := range j.procs {
		for _, secret := range j.c.e.secrets() {
			if strings.Contains(p.out.String(), secret) {
				j.violate("%s printed a secret", p.name)
			}
		}
	}
}

func (j *judgement) violate(format string, args ...any) {
	j.c.res.Violations = append(j.c.res.Violations, Violation{Run: j.r.n, Seed: j.c.o.Seed, Faults: j.r.faults, What: fmt.Sprintf(format, args...)})
}

// attachOutput gives the run's violations from the first on every cairn
// output of the run.
func (j *judgement) attachOutput(first int) {
	var out strings.Builder
	for _, p := range j.procs {
		fmt.Fprintf(&out, "--- %s (exit %d, killed %v):\n%s\n", p.name, p.wait(), p.wasKilled(), p.out.String())
	}
	for i := first; i < len(j.c.res.Violations); i++ {
		j.c.res.Violations[i].Output = out.String()
	}
}

func (j *judgement) summary() string {
	var parts []string
	for _, p := range j.r.pubs {
		state := fmt.Sprintf("exit %d", p.wait())
		if p.wasKilled() {
			state = "killed"
		}
		parts = append(parts, p.name+" "+state)
	}
	return strings.Join(append(parts, j.notes...), ", ")
}
