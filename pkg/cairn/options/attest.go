package options

import (
	"github.com/urfave/cli/v2"

	"github.com/cairn-build/cairn/pkg/config"
)

// Attest are buildx's attestation flags and --sign-key, for the commands
// that publish: attestations and signatures go only into published images.
func Attest() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "provenance", Category: GroupPublish, Usage: "SLSA provenance of the published targets, `SPEC`: true, false or mode=min|max[,KEY=VALUE…] (default with --push: mode=min, unless $" + config.NoDefaultAttestations + " is set)"},
		&cli.StringFlag{Name: "sbom", Category: GroupPublish, Usage: "SPDX SBOM of the published targets, `SPEC`: true, false or generator=IMAGE[,KEY=VALUE…] (default: build.yaml's attest.sbom, else none)"},
		&cli.StringSliceFlag{Name: "attest", Category: GroupPublish, Usage: "attestation `SPEC`: type=provenance|sbom[,disabled=true][,KEY=VALUE…] (repeatable), as buildx's --attest"},
		&cli.StringFlag{Name: "sign-key", Category: GroupPublish, Usage: "sign the published images with the private key `FILE` (PEM or cosign's; password in $COSIGN_PASSWORD, or build.yaml's sign.passwordEnv), verifiable with cosign verify --key"},
	}
}

// readAttestFlags reads the flags of Attest; a command without them reads none.
func readAttestFlags(f *cli.Context) config.AttestFlags {
	return config.AttestFlags{Provenance: f.String("provenance"), SBOM: f.String("sbom"), Attest: f.StringSlice("attest")}
}
