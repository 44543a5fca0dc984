// Command cairn builds multi-stage Dockerfiles through BuildKit with a
// per-stage remote cache, and publishes only when everything succeeded.
package main

import "os"

func main() {
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}
