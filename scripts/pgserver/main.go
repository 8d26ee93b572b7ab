// Command pgserver runs a throwaway PostgreSQL with PostGIS on a loopback
// port for `make bench-pg` and `make cluster-demo`: initdb in a temporary
// folder (as the postgres user when run as root), one database with
// PostGIS, fsync on. It prints the database URL as its first line, then
// runs until SIGINT or SIGTERM and removes everything.
//
//	go run ./scripts/pgserver > /tmp/pg.url &
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/gridmap/gridmap/data/store/pgtest"
)

func main() {
	s, err := pgtest.Start(pgtest.Options{Fsync: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgserver:", err)
		os.Exit(1)
	}
	url, err := s.Database(context.Background(), false)
	if err != nil {
		s.Stop()
		fmt.Fprintln(os.Stderr, "pgserver:", err)
		os.Exit(1)
	}
	fmt.Println(url)
	fmt.Fprintf(os.Stderr, "pgserver: PostgreSQL in %s on port %d; Ctrl-C stops it and removes it\n", s.Dir, s.Port)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	s.Stop()
}
