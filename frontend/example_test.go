package frontend_test

import (
	"fmt"
	"io/fs"

	"github.com/gridmap/gridmap/frontend"
)

// The pages and their vendored map library sit side by side in Assets,
// the file system the server hands to http.FileServerFS.
func ExampleAssets() {
	a := frontend.Assets()
	for _, name := range []string{"index.html", "vendor/maplibre-gl/maplibre-gl.mjs"} {
		_, err := fs.Stat(a, name)
		fmt.Println(name, err == nil)
	}
	// Output:
	// index.html true
	// vendor/maplibre-gl/maplibre-gl.mjs true
}
