// Package frontend embeds the built pages of gridmap's map frontend so the
// one Go binary serves them. dist/ is committed with the page sources (the
// command-centre wall map: index.html, wall.js, wall.css), so `go build`
// works on a fresh clone before any npm step; dist/vendor/ holds the npm
// libraries' browser builds, which `make frontend` copies in (git-ignored).
// The whole directory is embedded, so a build without vendor/ still
// compiles, and its page says the map library is missing.
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
