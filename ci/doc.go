// Package ci holds the tests of cairn's CI integrations: the GitHub Action
// (action.yml, ci/github) and the GitLab CI component (templates/cairn,
// ci/gitlab). They run the integrations' scripts with the environment each
// CI gives a job, against the test daemon and registry.
package ci
