// Package frontend embeds the built pages of gridmap's map frontend so the
// one Go binary serves them. dist/ is committed with a working page, so
// `go build` works on a fresh clone before any npm step.
package frontend

import (
	"embed"
	"io/fs"
)

//go:embed dist
var dist embed.FS

// Assets returns the built pages, rooted at dist/.
func Assets() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // dist is embedded at build time; its absence is a build bug
	}
	return sub
}
