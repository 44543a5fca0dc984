package config

import "fmt"

// OptionError is a bad value of an option a program set in code, not in
// build.yaml: a field of Overrides, cairn.LoadOptions or cairn.RunOptions.
// Option names the field as Go spells it ("Overrides.Platforms",
// "Overrides.Docker.Labels"), Value is the entry at fault when the field
// holds several ("" when it is one value), and Err is what is wrong with
// it. The message names the field; a CLI names its flag instead with
// Named (pkg/cairn/options does).
type OptionError struct {
	Option string
	Value  string
	Err    error
}

func (e *OptionError) Error() string { return e.Named(self) }
func (e *OptionError) Unwrap() error { return e.Err }

// Named is the message with name(option) for each option it names.
func (e *OptionError) Named(name func(option string) string) string {
	if e.Value == "" {
		return fmt.Sprintf("%s: %v", name(e.Option), e.Err)
	}
	return fmt.Sprintf("%s %q: %v", name(e.Option), e.Value, e.Err)
}

// UnsetError is a build that needs an option nobody set: Err says what
// needs it, Field is build.yaml's field ("repository") and Option the
// field of Overrides (as OptionError names it) that would set it.
type UnsetError struct {
	Err    error
	Field  string
	Option string
}

func (e *UnsetError) Error() string { return e.Named(self) }
func (e *UnsetError) Unwrap() error { return e.Err }

// Named is the message with name(option) for the option it names.
func (e *UnsetError) Named(name func(option string) string) string {
	return fmt.Sprintf("%v (set %s: or %s)", e.Err, e.Field, name(e.Option))
}

// self names an option as Go spells it.
func self(option string) string { return option }

// overrideError is OptionError of the override field (Overrides.field).
func overrideError(field, value string, err error) *OptionError {
	return &OptionError{Option: "Overrides." + field, Value: value, Err: err}
}

// needsRepository is an UnsetError for what needs a repository.
func needsRepository(format string, args ...any) *UnsetError {
	return &UnsetError{Err: fmt.Errorf(format, args...), Field: "repository", Option: "Overrides.Repository"}
}
