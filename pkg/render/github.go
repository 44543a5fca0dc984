package render

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cairn-build/cairn/pkg/cairn"
)

// GitHub publishes the report to GitHub Actions when env says the
// run is one (GITHUB_ACTIONS=true): a Markdown job summary appended to
// $GITHUB_STEP_SUMMARY, and the outputs digest (the first target's),
// digest-TARGET for each target and, when given, metadata (the metadata
// file's path) appended to $GITHUB_OUTPUT. Elsewhere it does nothing.
func GitHub(r *cairn.Report, env func(string) (string, bool), metadataFile string) error {
	return toGitHub(env, func(w io.Writer) error { return writeMarkdown(w, "### cairn build", r) },
		func(w io.Writer) error { return writeOutputs(w, r, metadataFile) })
}

// GitHubBake is GitHub for cairn bake's reports (by bake target name, nil
// for a target not reached): a summary section per target, and the
// outputs digest-NAME (NAME the bake target's) and metadata.
func GitHubBake(names []string, reports []*cairn.Report, env func(string) (string, bool), metadataFile string) error {
	summary := func(w io.Writer) error {
		if _, err := io.WriteString(w, "### cairn bake\n\n"); err != nil {
			return err
		}
		for i, r := range reports {
			if r == nil {
				continue
			}
			if err := writeMarkdown(w, "#### target "+names[i], r); err != nil {
				return err
			}
		}
		return nil
	}
	outputs := func(w io.Writer) error {
		var b strings.Builder
		for i, r := range reports {
			if r != nil && len(r.Targets) > 0 && r.Targets[0].Digest != "" {
				fmt.Fprintf(&b, "digest-%s=%s\n", names[i], r.Targets[0].Digest)
			}
		}
		if metadataFile != "" {
			fmt.Fprintf(&b, "metadata=%s\n", metadataFile)
		}
		_, err := io.WriteString(w, b.String())
		return err
	}
	return toGitHub(env, summary, outputs)
}

// toGitHub appends the job summary and the outputs to the files GitHub
// Actions names, in a GitHub Actions job only.
func toGitHub(env func(string) (string, bool), summary, outputs func(io.Writer) error) error {
	if v, _ := env("GITHUB_ACTIONS"); v != "true" {
		return nil
	}
	var errs []error
	if path, ok := env("GITHUB_STEP_SUMMARY"); ok && path != "" {
		errs = append(errs, appendTo(path, summary))
	}
	if path, ok := env("GITHUB_OUTPUT"); ok && path != "" {
		errs = append(errs, appendTo(path, outputs))
	}
	return errors.Join(errs...)
}

func appendTo(path string, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("GitHub Actions file: %w", err)
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("GitHub Actions file %s: %w", path, err)
	}
	return nil
}

func writeOutputs(w io.Writer, r *cairn.Report, metadataFile string) error {
	var b strings.Builder
	for i, t := range r.Targets {
		if t.Digest == "" {
			continue
		}
		if i == 0 {
			fmt.Fprintf(&b, "digest=%s\n", t.Digest)
		}
		fmt.Fprintf(&b, "digest-%s=%s\n", t.Name, t.Digest)
	}
	if metadataFile != "" {
		fmt.Fprintf(&b, "metadata=%s\n", metadataFile)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeMarkdown is the job summary under heading: stages with their cache
// hits, then the tags the commit touched.
func writeMarkdown(w io.Writer, heading string, r *cairn.Report) error {
	var b strings.Builder
	b.WriteString(heading + "\n\n| stage | status | steps cached | time | digest |\n|---|---|---|---|---|\n")
	for _, s := range r.Stages {
		fmt.Fprintf(&b, "| %s | %s | %d/%d | %.1fs | `%s` |\n", s.Name, s.Status, s.Cached, s.Steps, s.Duration, shortDigest(s.Digest))
	}
	for _, t := range r.Targets {
		if t.Skipped != "" {
			fmt.Fprintf(&b, "| %s | skipped: %s | - | - | `%s` |\n", t.Name, t.Skipped, shortDigest(t.Digest))
		}
	}
	if len(r.Tags) > 0 {
		b.WriteString("\n| tag | kind | state | digest |\n|---|---|---|---|\n")
		for _, t := range r.Tags {
			fmt.Fprintf(&b, "| `%s` | %s | %s | `%s` |\n", t.Tag, t.Kind, t.State, shortDigest(t.Digest))
		}
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(&b, "\n> [!WARNING]\n> %s\n", warn)
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}
