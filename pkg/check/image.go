package check

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Image runs the file, metadata and efficiency checks of spec on img (not
// the commands). Results come in that order, files in spec order. The
// Efficiency is nil when spec.Efficiency is. An invalid spec is an error
// (see Spec.Validate), as is an image that cannot be read; failed checks
// are Results, not errors.
func Image(img v1.Image, spec Spec) ([]Result, *Efficiency, error) {
	if err := spec.Validate(); err != nil {
		return nil, nil, fmt.Errorf("invalid checks: %w", err)
	}
	var results []Result
	var eff *Efficiency
	if len(spec.Files) > 0 || spec.Efficiency != nil {
		// One read of every layer serves both the file checks and dive.
		layers, files, got, err := readLayers(img, contentPaths(spec.Files))
		if err != nil {
			return nil, nil, fmt.Errorf("read image layers: %w", err)
		}
		fsys := &imageFS{tree: stack(files), layers: layers, contents: got}
		for _, c := range spec.Files {
			results = append(results, fsys.checkFile(c))
		}
		if spec.Efficiency != nil {
			eff = analyze(files)
		}
	}
	if spec.Metadata != nil {
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, nil, fmt.Errorf("read image config: %w", err)
		}
		results = append(results, checkMetadata(cf.Config, *spec.Metadata)...)
	}
	if eff != nil {
		results = append(results, checkEfficiency(*spec.Efficiency, eff)...)
	}
	return results, eff, nil
}

// checkEfficiency gates eff on each threshold set, as dive's CI rules do.
func checkEfficiency(c EfficiencyCheck, eff *Efficiency) []Result {
	var out []Result
	add := func(name string, ok bool, format string, args ...any) {
		out = append(out, Result{Kind: KindEfficiency, Name: name, Passed: ok, Message: fmt.Sprintf(format, args...)})
	}
	if c.LowestEfficiency > 0 {
		ok := eff.Score >= c.LowestEfficiency
		add("lowestEfficiency", ok, "efficiency %.4f %s lowest allowed %v", eff.Score, cmpWord(ok, "≥", "<"), c.LowestEfficiency)
	}
	if c.HighestWastedBytes != "" {
		limit, err := parseBytes(c.HighestWastedBytes)
		ok := err == nil && eff.WastedBytes <= limit
		add("highestWastedBytes", ok, "wasted %d bytes (%s) %s highest allowed %s (%d bytes)",
			eff.WastedBytes, humanBytes(eff.WastedBytes), cmpWord(ok, "≤", ">"), c.HighestWastedBytes, limit)
	}
	if c.HighestUserWastedPercent > 0 {
		ok := eff.UserWastedPercent <= c.HighestUserWastedPercent
		add("highestUserWastedPercent", ok, "user wasted %.2f%% %s highest allowed %.2f%%",
			eff.UserWastedPercent*100, cmpWord(ok, "≤", ">"), c.HighestUserWastedPercent*100)
	}
	return out
}

func cmpWord(ok bool, pass, fail string) string {
	if ok {
		return pass
	}
	return fail
}
