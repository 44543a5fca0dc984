// Command cairn builds multi-stage Dockerfiles through BuildKit with a
// per-stage remote cache, and publishes only when everything succeeded.
package main

import (
	"os"

	"github.com/sirupsen/logrus"
)

func main() {
	// BuildKit's client and containerd's content store log through logrus;
	// their warnings are not cairn's output.
	logrus.SetLevel(logrus.ErrorLevel)
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}
