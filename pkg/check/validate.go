package check

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// FieldError is a problem with one field of a Spec. Field is a path like
// "files[2].permissions" so a caller can point at the line it came from.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Validate reports every problem in the spec (bad regexes, permissions,
// sizes, ranges) as *FieldError values joined with errors.Join.
func (s Spec) Validate() error {
	var v validator
	for i, f := range s.Files {
		v.file(fmt.Sprintf("files[%d]", i), f)
	}
	if s.Metadata != nil {
		v.metadata("metadata", *s.Metadata)
	}
	for i, c := range s.Commands {
		v.command(fmt.Sprintf("commands[%d]", i), c)
	}
	if s.Efficiency != nil {
		v.efficiency("efficiency", *s.Efficiency)
	}
	return errors.Join(v.errs...)
}

// validator collects FieldErrors so the user sees them all at once.
type validator struct{ errs []error }

func (v *validator) add(field, format string, args ...any) {
	v.errs = append(v.errs, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) regexes(field string, patterns []string) {
	for i, p := range patterns {
		if _, err := regexp.Compile(p); err != nil {
			v.add(fmt.Sprintf("%s[%d]", field, i), "invalid regex: %v", err)
		}
	}
}

func (v *validator) file(field string, f FileCheck) {
	if !strings.HasPrefix(f.Path, "/") {
		v.add(field+".path", "want an absolute path, got %q", f.Path)
	}
	if !f.mustExist() && (f.Permissions != "" || f.UID != nil || f.GID != nil || f.Executable != "" || len(f.Contains)+len(f.Excludes) > 0) {
		v.add(field+".exists", "a path that must not exist has nothing else to check")
	}
	if f.Permissions != "" {
		if _, err := parsePermissions(f.Permissions); err != nil {
			v.add(field+".permissions", "%v", err)
		}
	}
	if _, ok := executableBits(f.Executable); f.Executable != "" && !ok {
		v.add(field+".executable", "want owner, group, other or any, got %q", f.Executable)
	}
	v.regexes(field+".contains", f.Contains)
	v.regexes(field+".excludes", f.Excludes)
}

func (v *validator) metadata(field string, m MetadataCheck) {
	for _, key := range slices.Sorted(maps.Keys(m.Env)) {
		v.regexes(field+".env."+key, []string{m.Env[key]})
	}
	for _, key := range slices.Sorted(maps.Keys(m.Labels)) {
		v.regexes(field+".labels."+key, []string{m.Labels[key]})
	}
	v.ports(field+".exposedPorts", m.ExposedPorts)
	v.ports(field+".unexposedPorts", m.UnexposedPorts)
}

func (v *validator) ports(field string, ports []string) {
	for i, p := range ports {
		if _, err := normalizePort(p); err != nil {
			v.add(fmt.Sprintf("%s[%d]", field, i), "%v", err)
		}
	}
}

func (v *validator) command(field string, c CommandCheck) {
	if c.Command == "" {
		v.add(field+".command", "missing")
	}
	v.regexes(field+".expectedOutput", c.ExpectedOutput)
	v.regexes(field+".excludedOutput", c.ExcludedOutput)
	v.regexes(field+".expectedError", c.ExpectedError)
	v.regexes(field+".excludedError", c.ExcludedError)
}

func (v *validator) efficiency(field string, e EfficiencyCheck) {
	if e.LowestEfficiency < 0 || e.LowestEfficiency > 1 {
		v.add(field+".lowestEfficiency", "want 0..1, got %v", e.LowestEfficiency)
	}
	if e.HighestUserWastedPercent < 0 {
		v.add(field+".highestUserWastedPercent", "want a fraction ≥ 0, got %v", e.HighestUserWastedPercent)
	}
	if e.HighestWastedBytes != "" {
		if _, err := parseBytes(e.HighestWastedBytes); err != nil {
			v.add(field+".highestWastedBytes", "%v", err)
		}
	}
}

// normalizePort turns "8080" into "8080/tcp", the form image configs use.
func normalizePort(p string) (string, error) {
	num, proto, found := strings.Cut(p, "/")
	if !found {
		proto = "tcp"
	}
	if n, err := strconv.Atoi(num); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("want a port 1-65535 with an optional /tcp, /udp or /sctp, got %q", p)
	}
	switch proto {
	case "tcp", "udp", "sctp":
		return num + "/" + proto, nil
	}
	return "", fmt.Errorf("want protocol tcp, udp or sctp, got %q", p)
}
