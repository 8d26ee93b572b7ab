package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strings"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/store/backends"
	"github.com/gridmap/gridmap/frontend"
	"github.com/gridmap/gridmap/server"
)

func cmdServe(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "serve --data city.gpkg [--addr :8080]", stderr)
	path := dataFlag(fs)
	addr := fs.String("addr", ":8080", "listen address")
	var tokens stringList
	fs.Var(&tokens, "personal-token", "deprecated: a static bearer token acting as a planner token (repeatable; also $GRIDMAP_PERSONAL_TOKEN); use `gridmap token create`")
	rulesFile := fs.String("rules", "", "incident routing rules file (JSON; default: the last version stored by PUT /api/v1/rules, else built in)")
	rate := fs.Float64("rate-limit", 100, "requests per second per token; 0: no limit")
	anonRate := fs.Float64("anon-rate-limit", 0, "requests per second per address of anonymous callers; 0: no limit")
	heavyAnon := fs.Float64("heavy-anon-rate", 0, "heavy runs (siting, batch locate) per minute per address of anonymous callers; 0: the default (6), negative: no limit")
	burst := fs.Int("rate-burst", 0, "burst above the rate (default twice the rate)")
	timeout := fs.Duration("request-timeout", 30*time.Second, "timeout of each request (event streams and batch locate exempt)")
	escalate := fs.Duration("escalation-interval", 30*time.Second, "how often overdue incidents are escalated to their street")
	logLevel := fs.String("log-level", "info", "debug (every request), info, warn or error")
	debugAddr := fs.String("debug-addr", "", "serve Go's runtime profiles (/debug/pprof/) on this separate address, e.g. 127.0.0.1:6060; keep it on loopback (no auth); empty: off")
	if err := parse(fs, args); err != nil {
		return err
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*logLevel)); err != nil {
		return failf(2, "--log-level: %v", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	var rules *data.Rules
	if *rulesFile != "" {
		b, err := os.ReadFile(*rulesFile)
		if err != nil {
			return failf(2, "--rules: %v", err)
		}
		if rules, err = data.ParseRules(b); err != nil {
			return failf(2, "--rules %s: %v", *rulesFile, err)
		}
	}
	st, _, err := openCity(ctx, *path)
	if err != nil {
		return err
	}
	defer st.Close()
	if t := os.Getenv("GRIDMAP_PERSONAL_TOKEN"); t != "" {
		tokens = append(tokens, t)
	}
	srv, err := server.New(ctx, server.Config{Store: st, Logger: log, Assets: frontend.Assets(), PersonalTokens: tokens,
		Rules: rules, RateLimit: *rate, AnonRateLimit: *anonRate, RateBurst: *burst, RequestTimeout: *timeout, EscalationInterval: *escalate,
		HeavyAnonRate: *heavyAnon / 60})
	if err != nil {
		return err
	}
	defer srv.Close() // after the HTTP server has drained: the committer finishes, then the store closes
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	hs.RegisterOnShutdown(srv.CloseEvents) // event streams never end by themselves
	if *debugAddr != "" {
		dln, err := net.Listen("tcp", *debugAddr)
		if err != nil {
			return fmt.Errorf("--debug-addr: %w", err)
		}
		ds := &http.Server{Handler: debugMux(), ReadHeaderTimeout: 10 * time.Second}
		defer ds.Close()
		go ds.Serve(dln)
		log.Info("runtime profiles", "url", "http://"+dln.Addr().String()+"/debug/pprof/")
	}
	host := ln.Addr().(*net.TCPAddr)
	fmt.Fprintf(stdout, "gridmap serving %s on http://localhost:%d/ (map) — Ctrl-C to stop\n", backends.Describe(*path), host.Port)
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

// debugMux serves net/http/pprof's profiles on their own mux, so that they
// never reach the public listener (and its route registry).
func debugMux() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("/debug/pprof/", pprof.Index)
	m.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	m.HandleFunc("/debug/pprof/profile", pprof.Profile)
	m.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	m.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return m
}
