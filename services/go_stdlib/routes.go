package main

import (
	"log/slog"
	"net/http"
)

// addRoutes is the whole API surface of the service, one line per route.
func addRoutes(
	mux *http.ServeMux,
	logger *slog.Logger,
	pg *Postgres,
	my *MySQL,
	cache *Cache,
	upstream *Upstream,
	metrics *Metrics,
) {
	mux.Handle("GET /api/devices", handleDevicesList())
	mux.Handle("POST /api/devices", handleDevicesCreate(logger, pg, cache, metrics))
	mux.Handle("GET /api/users", handleUsersList(logger, pg, metrics))
	mux.Handle("GET /api/fib/{n}", handleFib())
	mux.Handle("GET /api/fetch-external", handleFetchExternal(logger, upstream, metrics))
	mux.Handle("POST /api/io-mix", handleIOMix(logger, my, metrics))
	mux.Handle("GET /livez", handleLivez())
	mux.Handle("GET /healthz", handleHealthz(logger, pg, my, cache))
	mux.Handle("GET /metrics", metrics.Handler())

	// The same paths without a method: ServeMux prefers the method patterns above, so these
	// catch only the other methods, and answer a JSON 405 where ServeMux's would be plain text.
	mux.Handle("/api/devices", handleMethodNotAllowed("GET, HEAD, POST"))
	mux.Handle("/api/users", handleMethodNotAllowed("GET, HEAD"))
	mux.Handle("/api/fib/{n}", handleMethodNotAllowed("GET, HEAD"))
	mux.Handle("/api/fetch-external", handleMethodNotAllowed("GET, HEAD"))
	mux.Handle("/api/io-mix", handleMethodNotAllowed("POST"))
	mux.Handle("/livez", handleMethodNotAllowed("GET, HEAD"))
	mux.Handle("/healthz", handleMethodNotAllowed("GET, HEAD"))
	mux.Handle("/metrics", handleMethodNotAllowed("GET, HEAD"))

	// Everything else.
	mux.Handle("/", handleNotFound())
}
