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

// judge checks the run: after a failure, `cairn recover` first (a killed
// commit is rolled back by the next publisher; recover is that step on
// its own), then (a) one build's final tags, (b) complete images, (c) the
// release unchanged by a failed run, (e) no secret printed; after a
// failure, (d) a clean run publishes and leaves every record done.
func (j *judgement) judge(ctx context.Context) error {
	j.procs = append(j.procs, j.r.pubs...)
	defer j.attachOutput(len(j.c.res.Violations))
	succeeded, maybe, failed := j.outcomes()
	if failed {
		j.c.res.Failed++
		rec, err := j.c.e.startCairn("recover", "recover")
		if err != nil {
			return err
		}
		j.procs = append(j.procs, rec)
		if rec.wait() != 0 {
			j.violate("cairn recover after the failed run: exit %d", rec.wait())
		}
	}
	s, err := j.c.e.read(ctx)
	if err != nil {
		return err
	}
	run := j.oneBuild(s)
	j.complete(s)
	switch {
	case run == "":
	case len(succeeded) == 0 && !slices.Contains(maybe, run):
		if run != j.c.prev.run || !maps.Equal(s.finals, j.c.prev.finals) {
			j.violate("no publisher succeeded, yet the final tags moved: from %s %v to %s %v", j.c.prev.run, j.c.prev.finals, run, s.finals)
		}
	case len(succeeded) == 1 && len(maybe) == 0 && run != succeeded[0]:
		j.violate("%s succeeded, but the final tags are %s's", succeeded[0], run)
	case len(succeeded) > 0 && !slices.Contains(succeeded, run) && !slices.Contains(maybe, run):
		j.violate("%v succeeded, but the final tags are %s's", succeeded, run)
	}
	if run != "" {
		j.c.prev = release{run: run, finals: s.finals}
	}
	if !failed {
		j.recordsDone(s)
	} else if err := j.next(ctx); err != nil {
		return err
	}
	j.noSecrets()
	return nil
}

// outcomes sorts the publishers: those that exited 0; those killed, whose
// commit may have gone through before the kill; and whether any failed.
func (j *judgement) outcomes() (succeeded, maybe []string, failed bool) {
	for _, p := range j.r.pubs {
		code := p.wait()
		switch {
		case p.didHang():
			j.violate("%s did not exit within %s", p.name, runTimeout)
			failed = true
		case p.wasKilled():
			maybe, failed = append(maybe, p.name), true
		case code == 0:
			succeeded = append(succeeded, p.name)
		default:
			failed = true
		}
	}
	return succeeded, maybe, failed
}

// oneBuild checks (a): every final tag exists and all name one run, which
// it returns ("" when they do not).
func (j *judgement) oneBuild(s *snapshot) string {
	runs := map[string][]string{}
	for path, tags := range finalTags {
		for _, t := range tags {
			ref := path + ":" + t
			if s.finals[ref] == "" {
				j.violate("the final tag %s is missing", ref)
				continue
			}
			runs[s.runs[ref]] = append(runs[s.runs[ref]], ref)
		}
	}
	if len(runs) != 1 {
		j.violate("the final tags come from %d builds: %v", len(runs), runs)
		return ""
	}
	for run := range runs {
		return run
	}
	return ""
}

// complete checks (b).
func (j *judgement) complete(s *snapshot) {
	for _, p := range s.problems {
		j.violate("%s", p)
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
	if run := j.oneBuild(s); run != "" && run != id {
		j.violate("the clean run succeeded, but the final tags are %s's", run)
	}
	j.complete(s)
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
