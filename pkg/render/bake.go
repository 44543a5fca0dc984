package render

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/cairn-build/cairn/pkg/cairn"
)

// BakeTarget is one bake target's entry in `cairn bake --metadata-file`:
// the keys `docker buildx bake --metadata-file` writes for it, so scripts
// written for buildx read it unchanged, and cairn's report of its build
// (its share of the commit in Tags).
type BakeTarget struct {
	cairn.TargetReport
	Report *cairn.Report `json:"cairn.report"`
}

// Bake does what cairn bake does with its targets' reports (by target
// name, nil for a target not reached): the warnings and summary of each
// under its name, then the metadata file, target name → BakeTarget.
func Bake(names []string, reports []*cairn.Report, o Output) error {
	var errs []error
	meta := map[string]BakeTarget{}
	for i, r := range reports {
		if r == nil {
			continue
		}
		errs = append(errs, Warnings(o.Stderr, r))
		out := o.Stdout
		if len(r.Stages) == 0 && !skipped(r) {
			out = o.Stderr // the lint stopped it: the findings explain the error
		}
		fmt.Fprintf(out, "== target %s\n", names[i])
		errs = append(errs, Report(out, r))
		fmt.Fprintln(out)
		entry := BakeTarget{Report: r}
		if len(r.Targets) > 0 {
			entry.TargetReport = r.Targets[0]
		}
		meta[names[i]] = entry
	}
	if o.MetadataFile != "" && len(meta) > 0 {
		errs = append(errs, writeJSON(o.MetadataFile, meta))
	}
	return errors.Join(errs...)
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err == nil {
		err = os.WriteFile(path, append(data, '\n'), 0o644)
	}
	if err != nil {
		return fmt.Errorf("write metadata file: %w", err)
	}
	return nil
}
