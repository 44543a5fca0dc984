package main

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
)

func TestGreet(t *testing.T) {
	for _, tt := range []struct{ query, want string }{
		{"", "hello, world"},
		{"?name=cairn", "hello, cairn"},
	} {
		rec := httptest.NewRecorder()
		greet(rec, httptest.NewRequest("GET", "/greet"+tt.query, nil))
		var g Greeting
		if err := json.NewDecoder(rec.Body).Decode(&g); err != nil {
			t.Fatal(err)
		}
		if g.Message != tt.want {
			t.Errorf("greet%s = %q, want %q", tt.query, g.Message, tt.want)
		}
	}
}
