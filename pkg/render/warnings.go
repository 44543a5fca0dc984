package render

import (
	"fmt"
	"io"

	"github.com/cairn-build/cairn/pkg/cairn"
)

// Warnings prints the report's warnings, one "WARNING:" line each.
func Warnings(w io.Writer, r *cairn.Report) error {
	for _, warn := range r.Warnings {
		if _, err := fmt.Fprintf(w, "WARNING: %s\n", warn); err != nil {
			return err
		}
	}
	return nil
}
