package bake

import (
	"encoding/json"
	"fmt"
	"io"

	bx "github.com/docker/buildx/bake"
)

// WritePrint writes the resolved targets as `docker buildx bake --print`
// does: {"group": {…}, "target": {…}}, with buildx's own field names.
func (p *Project) WritePrint(w io.Writer) error {
	def := struct {
		Group  map[string]*bx.Group  `json:"group,omitempty"`
		Target map[string]*bx.Target `json:"target"`
	}{Group: p.groups, Target: p.targets}
	dt, err := json.MarshalIndent(def, "", "  ")
	if err != nil {
		return fmt.Errorf("print bake definition: %w", err)
	}
	if _, err := fmt.Fprintln(w, string(dt)); err != nil {
		return fmt.Errorf("print bake definition: %w", err)
	}
	return nil
}
