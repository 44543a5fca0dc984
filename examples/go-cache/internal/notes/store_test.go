package notes

import (
	"errors"
	"path/filepath"
	"testing"
)

func TestStorePersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.yaml")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Create(Note{Title: " groceries ", Tags: []string{"home"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Create(Note{Title: "release notes", Body: "v1.2"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(b.ID, Note{Title: "release notes", Body: "v1.3"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(a.ID); err != nil {
		t.Fatal(err)
	}

	reopened, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	got := reopened.List("")
	if len(got) != 1 || got[0].ID != b.ID || got[0].Body != "v1.3" {
		t.Fatalf("reopened store holds %+v, want only note %d with body v1.3", got, b.ID)
	}
	if c, _ := reopened.Create(Note{Title: "next"}); c.ID != b.ID+1 {
		t.Errorf("new id %d after reopening, want %d", c.ID, b.ID+1)
	}
}

func TestStoreErrors(t *testing.T) {
	s, _ := Open("")
	tests := []struct {
		name string
		op   func() error
		want error
	}{
		{"create without title", func() error { _, err := s.Create(Note{Title: "  "}); return err }, ErrInvalid},
		{"get missing", func() error { _, err := s.Get(7); return err }, ErrNotFound},
		{"update missing", func() error { _, err := s.Update(7, Note{Title: "x"}); return err }, ErrNotFound},
		{"delete missing", func() error { return s.Delete(7) }, ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.op(); !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
		})
	}
}

func TestListByTag(t *testing.T) {
	s, _ := Open("")
	for _, n := range []Note{{Title: "a", Tags: []string{"x"}}, {Title: "b"}, {Title: "c", Tags: []string{"y", "x"}}} {
		if _, err := s.Create(n); err != nil {
			t.Fatal(err)
		}
	}
	var titles []string
	for _, n := range s.List("x") {
		titles = append(titles, n.Title)
	}
	if len(titles) != 2 || titles[0] != "a" || titles[1] != "c" {
		t.Errorf("notes tagged x: %v, want [a c]", titles)
	}
}
