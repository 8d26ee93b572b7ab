// Command gridmap is the one binary of the gridmap service: it generates
// the demo city, validates, imports and exports layers, locates points and
// serves the API and the map.
//
// Usage:
//
//	gridmap <command> [flags]
//
// Run `gridmap help` for the commands and `gridmap <command> --help` for
// their flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// exitError carries a process exit code with its message.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

// failf returns an error that exits with code.
func failf(code int, format string, a ...any) error {
	return &exitError{code, fmt.Errorf(format, a...)}
}

type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error
}

var commands = map[string]command{
	"generate": {"generate the demo city into a GeoPackage", cmdGenerate},
	"validate": {"check the whole hierarchy of a store; exit 0 only when all holds", cmdValidate},
	"export":   {"write a layer as GeoJSON, GeoJSON text sequence or CSV", cmdExport},
	"import":   {"replace a layer from a GeoJSON or GeoPackage file, after validating it", cmdImport},
	"serve":    {"serve the API and the map over HTTP", cmdServe},
	"locate":   {"find the grid of a point, or of a batch of points (CSV or GeoJSON on stdin)", cmdLocate},
	"geocode":  {"find the grid of an address, or of a batch of addresses (one per line on stdin, CSV out)", cmdGeocode},
	"bake":     {"write the vector tiles of the urban area to a PMTiles archive", cmdBake},
	"coverage": {"station coverage figures, new-site siting and set cover", cmdCoverage},
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "gridmap: geospatial grid mapping for city grid governance")
	fmt.Fprintln(w, "\nUsage: gridmap <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'gridmap <command> --help' for a command's flags.")
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit code: 0 on success,
// 1 when the work found problems (invalid data), 2 on usage errors.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "gridmap: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	err := cmd.run(ctx, args[1:], stdin, stdout, stderr)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "gridmap %s: %v\n", args[0], err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

// newFlags makes a flag set that reports errors instead of exiting.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: gridmap %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags, turning usage problems into exit code 2.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &exitError{2, err}
	}
	return nil
}
