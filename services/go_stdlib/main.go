// Command go_stdlib serves the benchmark's HTTP contract (CONTRACT.md at the repository root)
// with the standard library's net/http, pgx, go-sql-driver/mysql and gomemcache.
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
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx := context.Background()
	if err := run(ctx, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "go_stdlib: %s\n", err)
		os.Exit(1)
	}
}

// shutdownGrace is how long in-flight requests get to finish after SIGTERM or SIGINT.
const shutdownGrace = 10 * time.Second

// run wires the dependencies and serves until ctx is cancelled or a signal arrives. It takes
// its environment as arguments so that tests can call it like main does.
func run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	logger := slog.New(slog.NewTextHandler(stdout, nil))
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}

	// None of these connects yet: the service starts, and reports 503, while a dependency is down.
	pg, err := openPostgres(ctx, cfg.DatabaseURL, cfg.PoolSize)
	if err != nil {
		return err
	}
	defer pg.Close()
	my, err := openMySQL(cfg.MySQLURL, cfg.PoolSize)
	if err != nil {
		return err
	}
	defer my.Close()
	cache := newCache(cfg.MemcachedAddr, cfg.CacheTTL)
	upstream := newUpstream(cfg.ExternalURL, cfg.ExternalTimeout)
	metrics := newMetrics(map[string]poolStater{"postgres": pg, "mysql": my})

	srv := &http.Server{
		Handler:           NewServer(logger, pg, my, cache, upstream, metrics),
		ReadHeaderTimeout: 5 * time.Second,
		// The whole request, body included (a client trickling its body holds a goroutine
		// and a connection, not a slot: the body is read before admission).
		ReadTimeout: 10 * time.Second,
		// Past any answer: slotWait plus the 5 s bound of a request with a failing dependency.
		WriteTimeout: 15 * time.Second,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.Host, cfg.Port))
	if err != nil {
		return err
	}
	logger.Info("listening", "addr", ln.Addr().String(), "pool_size", cfg.PoolSize)

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
