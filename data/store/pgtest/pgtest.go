// Package pgtest runs a throwaway PostgreSQL with PostGIS for tests: one
// server per test binary (initdb in a temporary folder, listening on a
// loopback port, run as the postgres user when the tests run as root) and
// a fresh database for each test. No docker, no mocks: Debian's
// postgresql-15-postgis-3 (scripts/ensure-test-deps.sh installs it).
//
// A package that uses it runs its tests through Main, which stops the
// server when they end:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		url := pgtest.DB(t) // a new database with PostGIS and gridmap's schema
//		…
//	}
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridmap/gridmap/data/store/postgis"
)

// Server is one PostgreSQL cluster in a temporary folder.
type Server struct {
	Dir   string // the data directory
	Port  int
	bin   string
	cred  *syscall.Credential // the postgres user's, when run as root
	log   string
	fsync bool

	mu  sync.Mutex
	cmd *exec.Cmd
	n   atomic.Int64

	tmplMu sync.Mutex
	tmpl   map[string]bool
}

// BinDir finds PostgreSQL's programs (the newest of Debian's
// /usr/lib/postgresql/N/bin, or $PG_BINDIR).
func BinDir() (string, error) {
	if d := os.Getenv("PG_BINDIR"); d != "" {
		return d, nil
	}
	ms, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(ms, func(i, j int) bool { return version(ms[i]) > version(ms[j]) })
	for _, m := range ms {
		dir := filepath.Dir(m)
		if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "lib", "postgis-3.so")); err == nil {
			return dir, nil
		}
	}
	if len(ms) > 0 {
		return "", errors.New("pgtest: PostgreSQL is installed but PostGIS 3 is not (apt-get install postgresql-15-postgis-3)")
	}
	return "", errors.New("pgtest: PostgreSQL is not installed (apt-get install postgresql-15-postgis-3)")
}

func version(initdb string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return n
}

// Options configure Start.
type Options struct {
	// Fsync keeps PostgreSQL's fsync on. Tests run without it: a process
	// killed (even the server stopped with -m immediate) loses nothing
	// the operating system holds, and every commit still reaches the WAL
	// before it is acknowledged; benchmarks turn it on to measure the
	// real cost of a durable commit.
	Fsync bool
}

// Start creates a cluster in a new temporary folder and starts it on a
// free loopback port.
func Start(opt Options) (*Server, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "gridmap-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: filepath.Join(dir, "data"), bin: bin, log: filepath.Join(dir, "postgres.log"), fsync: opt.Fsync}
	if os.Getuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pgtest: running as root needs the postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	out, err := s.command("initdb", "-D", s.Dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions").CombinedOutput()
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pgtest: initdb: %v\n%s", err, out)
	}
	if err := s.start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// command runs one of PostgreSQL's programs as the cluster's owner.
func (s *Server) command(prog string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bin, prog), args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8")
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	return cmd
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// start runs the postmaster as a child of the test process (it gets
// SIGQUIT, an immediate shutdown, if the test process dies) and waits
// until it accepts connections. The first start picks a free port; a
// restart keeps it.
func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	first := s.Port == 0
	for try := 0; ; try++ {
		if first {
			p, err := freePort()
			if err != nil {
				return err
			}
			s.Port = p
		}
		logf, err := os.OpenFile(s.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		cmd := s.command("postgres", "-D", s.Dir, "-p", strconv.Itoa(s.Port),
			"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
			"-c", "max_connections=300", "-c", "shared_buffers=64MB", "-c", "log_min_messages=warning",
			"-c", "max_wal_size=1GB", "-c", "checkpoint_timeout=30min", "-c", "fsync="+onOff(s.fsync))
		cmd.Stdout, cmd.Stderr = logf, logf
		if cmd.SysProcAttr == nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{}
		}
		cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT
		if err := cmd.Start(); err != nil {
			logf.Close()
			return fmt.Errorf("pgtest: start postgres: %w", err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait(); logf.Close() }()
		if err := s.waitReady(exited); err != nil {
			cmd.Process.Kill()
			if first && try < 3 && strings.Contains(s.tail(), "could not bind") {
				continue // the port was taken meanwhile
			}
			return fmt.Errorf("pgtest: %w\n%s", err, s.tail())
		}
		s.cmd = cmd
		go func() {
			<-exited
			s.mu.Lock()
			if s.cmd == cmd {
				s.cmd = nil
			}
			s.mu.Unlock()
		}()
		return nil
	}
}

func (s *Server) waitReady(exited chan error) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			exited <- err
			return fmt.Errorf("postgres exited: %v", err)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		c, err := pgx.Connect(ctx, s.URL("postgres"))
		if err == nil {
			c.Close(ctx)
			cancel()
			return nil
		}
		cancel()
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("postgres did not accept connections within 60 s")
}

func (s *Server) tail() string {
	b, _ := os.ReadFile(s.log)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// URL returns the connection URL of database db on this server.
func (s *Server) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.Port, db)
}

// StopImmediate stops the server the hard way, as `pg_ctl stop -m
// immediate` does: no checkpoint, recovery from the WAL at the next start.
func (s *Server) StopImmediate() error {
	out, err := s.command("pg_ctl", "stop", "-D", s.Dir, "-m", "immediate", "-w").CombinedOutput()
	if err != nil {
		return fmt.Errorf("pgtest: pg_ctl stop -m immediate: %v\n%s", err, out)
	}
	s.waitExit()
	return nil
}

// Restart starts a stopped server again on the same port.
func (s *Server) Restart() error { return s.start() }

func (s *Server) waitExit() {
	for i := 0; i < 200; i++ {
		s.mu.Lock()
		running := s.cmd != nil
		s.mu.Unlock()
		if !running {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// Stop shuts the server down (fast mode) and removes its folder.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd != nil {
		cmd.Process.Signal(syscall.SIGINT) // fast shutdown
		done := make(chan struct{})
		go func() { s.waitExit(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
		}
	}
	os.RemoveAll(filepath.Dir(s.Dir))
}

// Database creates a new database with the PostGIS extension and returns
// its URL; with migrated, gridmap's schema is applied too. Both are copies
// of template databases made once per server, so a new one takes a
// fraction of a second.
func (s *Server) Database(ctx context.Context, migrated bool) (string, error) {
	tmpl, err := s.template(ctx, migrated)
	if err != nil {
		return "", err
	}
	name := fmt.Sprintf("t%d_%d", os.Getpid(), s.n.Add(1))
	if err := s.exec(ctx, "postgres", "CREATE DATABASE "+name+" TEMPLATE "+tmpl); err != nil {
		return "", fmt.Errorf("pgtest: create database: %w", err)
	}
	return s.URL(name), nil
}

func (s *Server) exec(ctx context.Context, db string, stmts ...string) error {
	c, err := pgx.Connect(ctx, s.URL(db))
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	defer c.Close(ctx)
	for _, q := range stmts {
		if _, err := c.Exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// template makes (once) the template database with PostGIS, or with
// PostGIS and the migrated schema.
func (s *Server) template(ctx context.Context, migrated bool) (string, error) {
	s.tmplMu.Lock()
	defer s.tmplMu.Unlock()
	name := "tmpl_postgis"
	if migrated {
		name = "tmpl_gridmap"
	}
	if s.tmpl[name] {
		return name, nil
	}
	if err := s.exec(ctx, "postgres", "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("pgtest: create template: %w", err)
	}
	if err := s.exec(ctx, name, "CREATE EXTENSION postgis"); err != nil {
		return "", fmt.Errorf("pgtest: create extension postgis: %w", err)
	}
	if migrated {
		if _, err := postgis.Migrate(ctx, s.URL(name)); err != nil {
			return "", err
		}
	}
	if err := s.exec(ctx, "postgres", "ALTER DATABASE "+name+" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"); err != nil {
		return "", err
	}
	if s.tmpl == nil {
		s.tmpl = map[string]bool{}
	}
	s.tmpl[name] = true
	return name, nil
}

// DropDatabase drops a database made by Database, ending its sessions.
func (s *Server) DropDatabase(ctx context.Context, url string) error {
	name := url[strings.LastIndexByte(url, '/')+1:]
	name, _, _ = strings.Cut(name, "?")
	c, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	return err
}

var (
	shared     *Server
	sharedErr  error
	sharedOnce sync.Once
	inMain     bool
)

// Main runs the package's tests, stops the shared server (if one was
// started) and exits. Call it from TestMain.
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run is Main for a TestMain that has more to do: it runs the tests,
// stops the shared server and returns the exit code.
func Run(m *testing.M) int {
	inMain = true
	code := m.Run()
	if shared != nil {
		shared.Stop()
	}
	return code
}

// Shared returns the test binary's server, starting it on first use. When
// PostgreSQL is not installed and cannot be (the tests do not run as
// root), the test is skipped with the reason; otherwise that is a failure.
func Shared(t testing.TB) *Server {
	t.Helper()
	if !inMain {
		t.Fatal("pgtest: call pgtest.Main(m) from the package's TestMain")
	}
	sharedOnce.Do(func() { shared, sharedErr = Start(Options{}) })
	if sharedErr != nil {
		if _, err := BinDir(); err != nil && os.Getuid() != 0 {
			t.Skipf("SKIP (PostgreSQL tests): %v; run scripts/ensure-test-deps.sh as root", err)
		}
		t.Fatal(sharedErr)
	}
	return shared
}

// EmptyDB returns the URL of a new database with PostGIS and nothing
// else, dropped when the test ends.
func EmptyDB(t testing.TB) string { return newDB(t, false) }

// DB returns the URL of a new database with gridmap's schema applied
// (postgis.Migrate), dropped when the test ends.
func DB(t testing.TB) string { return newDB(t, true) }

func newDB(t testing.TB, migrated bool) string {
	t.Helper()
	s := Shared(t)
	url, err := s.Database(context.Background(), migrated)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.DropDatabase(context.Background(), url); err != nil {
			t.Logf("pgtest: drop database: %v", err)
		}
	})
	return url
}
