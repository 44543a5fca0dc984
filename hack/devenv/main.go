// Command devenv brings cairn's local environment up and down, and removes
// it: `make dev-up`, `make dev-down` and `make clean` call it. See internal/devenv.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/cairn-build/cairn/internal/devenv"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "devenv:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: devenv up|down|env|clean")
	}
	dir, err := filepath.Abs(envOr("CAIRN_DEV_DIR", ".cairn-dev"))
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	switch args[0] {
	case "up":
		env, err := devenv.Up(ctx, devenv.Options{
			Dir:    dir,
			BinDir: envOr("CAIRN_BIN_DIR", "bin"),
			Owner:  devenv.OwnerDev,
			Log:    func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) },
		})
		if err != nil {
			return err
		}
		if env.Reused {
			fmt.Fprintln(os.Stderr, "environment already running")
		}
		printEnv(env)
	case "down":
		return devenv.Down(dir)
	case "clean":
		return devenv.Clean(dir)
	case "env":
		env, err := devenv.Load(dir)
		if err != nil {
			return fmt.Errorf("no environment under %s: run `make dev-up`", dir)
		}
		printEnv(env)
	default:
		return fmt.Errorf("unknown command %q: want up, down, env or clean", args[0])
	}
	return nil
}

// printEnv prints lines a shell can eval: eval "$(make -s dev-env)".
func printEnv(env *devenv.Env) {
	fmt.Printf("export BUILDKIT_HOST=%s\n", env.BuildkitHost)
	fmt.Printf("export CAIRN_REGISTRY=%s\n", env.Registry)
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
