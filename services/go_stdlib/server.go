package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
)

// NewServer returns the service's whole HTTP handler: the routes of routes.go behind the
// request-body limit that every endpoint shares.
func NewServer(
	logger *slog.Logger,
	pg *Postgres,
	my *MySQL,
	cache *Cache,
	upstream *Upstream,
	metrics *Metrics,
) http.Handler {
	mux := http.NewServeMux()
	addRoutes(mux, logger, pg, my, cache, upstream, metrics)
	return limitRequestBody(mux, maxBodyBytes)
}

// limitRequestBody answers 413 to a request whose declared body is larger than limit, and caps
// the body of every other one (a chunked body is caught when a handler reads past the limit).
func limitRequestBody(next http.Handler, limit int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			writeError(w, http.StatusRequestEntityTooLarge, errBodyTooLarge.Error())
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// handleNotFound answers every path no route knows, with a JSON body where ServeMux's own
// answer would be plain text.
func handleNotFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "Not Found")
	})
}

// handleMethodNotAllowed answers a known path requested with a method it does not serve.
// allow lists the methods it does serve, for the Allow header.
func handleMethodNotAllowed(allow string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed, "Method Not Allowed")
	})
}

// logFailure logs a failed dependency call. A call abandoned because the client went away
// (context.Canceled) is no failure, and is not logged.
func logFailure(logger *slog.Logger, msg string, err error) {
	if !errors.Is(err, context.Canceled) {
		logger.Warn(msg, "err", err)
	}
}
