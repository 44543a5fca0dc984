// Package notes keeps notes in memory and, when given a file, persists them
// there as YAML after every change.
package notes

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
)

// ErrNotFound is returned for an id no note has.
var ErrNotFound = errors.New("note not found")

// ErrInvalid is returned for a note without a title.
var ErrInvalid = errors.New("a note needs a title")

// Note is one note.
type Note struct {
	ID      int       `json:"id" yaml:"id"`
	Title   string    `json:"title" yaml:"title"`
	Body    string    `json:"body,omitempty" yaml:"body,omitempty"`
	Tags    []string  `json:"tags,omitempty" yaml:"tags,omitempty"`
	Updated time.Time `json:"updated" yaml:"updated"`
}

// Store is a set of notes, safe for concurrent use.
type Store struct {
	mu    sync.Mutex
	path  string // "" keeps the notes in memory only
	next  int
	notes map[int]Note
	now   func() time.Time
}

// Open returns a store backed by path, reading the notes it holds; a missing
// file is an empty store. An empty path keeps the notes in memory only.
func Open(path string) (*Store, error) {
	s := &Store{path: path, next: 1, notes: map[int]Note{}, now: time.Now}
	if path == "" {
		return s, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open notes: %w", err)
	}
	var list []Note
	if err := yaml.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("open notes %s: %w", path, err)
	}
	for _, n := range list {
		s.notes[n.ID] = n
		s.next = max(s.next, n.ID+1)
	}
	return s, nil
}

// List returns the notes ordered by id; with a tag, only those carrying it.
func (s *Store) List(tag string) []Note {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := make([]Note, 0, len(s.notes))
	for _, n := range s.notes {
		if tag == "" || hasTag(n, tag) {
			list = append(list, n)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	return list
}

// Get returns the note with id.
func (s *Store) Get(id int) (Note, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.notes[id]
	if !ok {
		return Note{}, fmt.Errorf("note %d: %w", id, ErrNotFound)
	}
	return n, nil
}

// Create adds n under a new id and returns it as stored.
func (s *Store) Create(n Note) (Note, error) {
	if err := validate(&n); err != nil {
		return Note{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n.ID, n.Updated = s.next, s.now().UTC()
	s.notes[n.ID] = n
	s.next++
	return n, s.save()
}

// Update replaces the note with id by n.
func (s *Store) Update(id int, n Note) (Note, error) {
	if err := validate(&n); err != nil {
		return Note{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.notes[id]; !ok {
		return Note{}, fmt.Errorf("note %d: %w", id, ErrNotFound)
	}
	n.ID, n.Updated = id, s.now().UTC()
	s.notes[id] = n
	return n, s.save()
}

// Delete removes the note with id.
func (s *Store) Delete(id int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.notes[id]; !ok {
		return fmt.Errorf("note %d: %w", id, ErrNotFound)
	}
	delete(s.notes, id)
	return s.save()
}

// YAML is every note as the store file holds them.
func (s *Store) YAML() ([]byte, error) {
	return yaml.Marshal(s.List(""))
}

// save writes the notes to a temp file and renames it, so a crash never
// leaves half a file. The caller holds mu.
func (s *Store) save() error {
	if s.path == "" {
		return nil
	}
	list := make([]Note, 0, len(s.notes))
	for _, n := range s.notes {
		list = append(list, n)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	data, err := yaml.Marshal(list)
	if err != nil {
		return fmt.Errorf("save notes: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), ".notes-*")
	if err != nil {
		return fmt.Errorf("save notes: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("save notes: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save notes: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return fmt.Errorf("save notes: %w", err)
	}
	return nil
}

func validate(n *Note) error {
	n.Title = strings.TrimSpace(n.Title)
	if n.Title == "" {
		return ErrInvalid
	}
	return nil
}

func hasTag(n Note, tag string) bool {
	for _, t := range n.Tags {
		if t == tag {
			return true
		}
	}
	return false
}
