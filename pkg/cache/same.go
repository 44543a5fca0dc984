package cache

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// SameCache reports whether two mode=max cache images (BuildKit's cache
// manifest and its application/vnd.buildkit.cacheconfig.v0 config) hold the
// same layers and records, their creation times aside. BuildKit stamps every
// export with the time it ran, so the same cache exported again from a
// fresh runner gets a new digest; its tag need not move.
func SameCache(a, b v1.Image) (bool, error) {
	na, err := normalizedCache(a)
	if err != nil {
		return false, err
	}
	nb, err := normalizedCache(b)
	if err != nil {
		return false, err
	}
	return reflect.DeepEqual(na, nb), nil
}

// normalizedCache is the manifest and config of a cache image as generic
// JSON, without the creation times.
func normalizedCache(img v1.Image) ([2]any, error) {
	var out [2]any
	manifest, err := img.RawManifest()
	if err != nil {
		return out, fmt.Errorf("read cache manifest: %w", err)
	}
	config, err := img.RawConfigFile()
	if err != nil {
		return out, fmt.Errorf("read cache config: %w", err)
	}
	for i, raw := range [][]byte{manifest, config} {
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			return out, fmt.Errorf("parse cache image: %w", err)
		}
		dropTimes(out[i])
	}
	// The manifest names its config by digest, which the times changed.
	if m, ok := out[0].(map[string]any); ok {
		delete(m, "config")
	}
	return out, nil
}

// dropTimes removes, at any depth, the keys that say when or from where a
// cache was made rather than what it holds: "buildkit/createdat" in layer
// annotations, "createdAt" in records, and containerd's
// "containerd.io/distribution.source.*" annotations, which a blob pulled
// from a registry carries and a blob built here does not.
func dropTimes(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if k == "buildkit/createdat" || k == "createdAt" || strings.HasPrefix(k, "containerd.io/distribution.source.") {
				delete(v, k)
				continue
			}
			dropTimes(x)
		}
	case []any:
		for _, x := range v {
			dropTimes(x)
		}
	}
}
