package main

import (
	"encoding/json"
	"net/http"
)

// Greeting is the body of a /greet answer.
type Greeting struct {
	Message string `json:"message"`
}

func greet(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	if name == "" {
		name = "world"
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(Greeting{Message: "hello, " + name})
}
