module example.com/go-cache

go 1.26

require (
	github.com/gorilla/mux v1.8.1
	github.com/urfave/cli/v3 v3.14.0
	go.yaml.in/yaml/v3 v3.0.6
)
