package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/gridmap/gridmap/frontend"
	"github.com/gridmap/gridmap/server"
)

func cmdServe(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "serve --data city.gpkg [--addr :8080]", stderr)
	path := fs.String("data", "city.gpkg", "GeoPackage store")
	addr := fs.String("addr", ":8080", "listen address")
	var tokens stringList
	fs.Var(&tokens, "personal-token", "bearer token whose callers see names and phones unmasked (repeatable; also $GRIDMAP_PERSONAL_TOKEN)")
	if err := parse(fs, args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	st, _, err := openCity(ctx, *path)
	if err != nil {
		return err
	}
	defer st.Close()
	if t := os.Getenv("GRIDMAP_PERSONAL_TOKEN"); t != "" {
		tokens = append(tokens, t)
	}
	srv, err := server.New(ctx, server.Config{Store: st, Logger: log, Assets: frontend.Assets(), PersonalTokens: tokens})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	host := ln.Addr().(*net.TCPAddr)
	fmt.Fprintf(stdout, "gridmap serving %s on http://localhost:%d/ (map) — Ctrl-C to stop\n", *path, host.Port)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }
