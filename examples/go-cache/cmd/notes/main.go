// Command notes serves a small notes API.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/urfave/cli/v3"

	"example.com/go-cache/internal/api"
	"example.com/go-cache/internal/notes"
)

// version is set at link time (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newApp().Run(ctx, os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "notes:", err)
		os.Exit(1)
	}
}

func newApp() *cli.Command {
	return &cli.Command{
		Name:    "notes",
		Usage:   "serve a notes API",
		Version: version,
		Commands: []*cli.Command{{
			Name:  "serve",
			Usage: "serve the API over HTTP",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "addr", Value: ":8080", Usage: "listen address", Sources: cli.EnvVars("NOTES_ADDR")},
				&cli.StringFlag{Name: "data", Usage: "YAML file the notes persist in (none: in memory)", Sources: cli.EnvVars("NOTES_DATA")},
			},
			Action: serve,
		}},
	}
}

func serve(ctx context.Context, cmd *cli.Command) error {
	logger := log.New(os.Stderr, "", log.LstdFlags)
	store, err := notes.Open(cmd.String("data"))
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: cmd.String("addr"), Handler: api.Handler(store, logger), ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	logger.Printf("notes %s listening on %s", version, srv.Addr)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
