package gitinfo

import "time"

// OCI image annotation keys cairn sets as labels on published images.
const (
	labelSource   = "org.opencontainers.image.source"
	labelRevision = "org.opencontainers.image.revision"
	labelCreated  = "org.opencontainers.image.created"
)

// Labels are the OCI labels of published images: where the sources are
// (origin), which commit, and when (epoch, nil for none). Empty outside a
// git checkout (commit "").
func Labels(commit, origin string, epoch *time.Time) map[string]string {
	labels := map[string]string{}
	if commit == "" {
		return labels
	}
	labels[labelRevision] = commit
	if origin != "" {
		labels[labelSource] = origin
	}
	if epoch != nil {
		labels[labelCreated] = epoch.UTC().Format(time.RFC3339)
	}
	return labels
}
