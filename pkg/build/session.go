package build

import (
	"fmt"
	"os"

	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	"github.com/moby/buildkit/session/sshforward/sshprovider"

	"github.com/cairn-build/cairn/pkg/config"
)

// Attachables are the session's secrets and SSH agents. Secrets are read
// only when a step asks for them, and never logged.
func Attachables(s config.Solve) ([]session.Attachable, error) {
	var attach []session.Attachable
	if len(s.Secrets) > 0 {
		sources := make([]secretsprovider.Source, len(s.Secrets))
		for i, sec := range s.Secrets {
			if _, set := os.LookupEnv(sec.Env); sec.Env != "" && !set {
				// BuildKit would give the step an empty secret.
				return nil, fmt.Errorf("secret %s: environment variable %s is not set", sec.ID, sec.Env)
			}
			sources[i] = secretsprovider.Source{ID: sec.ID, FilePath: sec.Src, Env: sec.Env}
		}
		store, err := secretsprovider.NewStore(sources)
		if err != nil {
			return nil, fmt.Errorf("secrets: %w", err)
		}
		attach = append(attach, secretsprovider.NewSecretProvider(store))
	}
	if len(s.SSH) > 0 {
		agents := make([]sshprovider.AgentConfig, len(s.SSH))
		for i, a := range s.SSH {
			agents[i] = sshprovider.AgentConfig{ID: a.ID, Paths: a.Paths}
		}
		provider, err := sshprovider.NewSSHAgentProvider(agents)
		if err != nil {
			return nil, fmt.Errorf("ssh: %w", err)
		}
		attach = append(attach, provider)
	}
	return attach, nil
}
