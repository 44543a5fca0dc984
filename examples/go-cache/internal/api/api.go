// Package api serves a notes.Store over HTTP as JSON, and as YAML at
// /notes.yaml.
package api

import (
	"encoding/json"
	"errors"
	"log"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"example.com/go-cache/internal/notes"
)

// Handler routes the notes API to store.
func Handler(store *notes.Store, logger *log.Logger) http.Handler {
	s := &server{store: store, log: logger}
	r := mux.NewRouter()
	r.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }).Methods(http.MethodGet)
	r.HandleFunc("/notes", s.list).Methods(http.MethodGet)
	r.HandleFunc("/notes", s.create).Methods(http.MethodPost)
	r.HandleFunc("/notes.yaml", s.export).Methods(http.MethodGet)
	r.HandleFunc("/notes/{id:[0-9]+}", s.get).Methods(http.MethodGet)
	r.HandleFunc("/notes/{id:[0-9]+}", s.update).Methods(http.MethodPut)
	r.HandleFunc("/notes/{id:[0-9]+}", s.delete).Methods(http.MethodDelete)
	return r
}

type server struct {
	store *notes.Store
	log   *log.Logger
}

func (s *server) list(w http.ResponseWriter, r *http.Request) {
	s.reply(w, http.StatusOK, s.store.List(r.URL.Query().Get("tag")))
}

func (s *server) get(w http.ResponseWriter, r *http.Request) {
	n, err := s.store.Get(id(r))
	s.result(w, http.StatusOK, n, err)
}

func (s *server) create(w http.ResponseWriter, r *http.Request) {
	var in notes.Note
	if !s.decode(w, r, &in) {
		return
	}
	n, err := s.store.Create(in)
	s.result(w, http.StatusCreated, n, err)
}

func (s *server) update(w http.ResponseWriter, r *http.Request) {
	var in notes.Note
	if !s.decode(w, r, &in) {
		return
	}
	n, err := s.store.Update(id(r), in)
	s.result(w, http.StatusOK, n, err)
}

func (s *server) delete(w http.ResponseWriter, r *http.Request) {
	if err := s.store.Delete(id(r)); err != nil {
		s.result(w, 0, nil, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) export(w http.ResponseWriter, _ *http.Request) {
	data, err := s.store.YAML()
	if err != nil {
		s.result(w, 0, nil, err)
		return
	}
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(data)
}

func (s *server) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(v); err != nil {
		s.reply(w, http.StatusBadRequest, map[string]string{"error": "invalid JSON: " + err.Error()})
		return false
	}
	return true
}

// result replies v with code, or the status err maps to.
func (s *server) result(w http.ResponseWriter, code int, v any, err error) {
	switch {
	case err == nil:
		s.reply(w, code, v)
	case errors.Is(err, notes.ErrNotFound):
		s.reply(w, http.StatusNotFound, map[string]string{"error": err.Error()})
	case errors.Is(err, notes.ErrInvalid):
		s.reply(w, http.StatusUnprocessableEntity, map[string]string{"error": err.Error()})
	default:
		s.log.Printf("notes: %v", err)
		s.reply(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
	}
}

func (s *server) reply(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		s.log.Printf("reply: %v", err)
	}
}

// id is the route's id; the route's pattern admits digits only.
func id(r *http.Request) int {
	n, _ := strconv.Atoi(mux.Vars(r)["id"])
	return n
}
