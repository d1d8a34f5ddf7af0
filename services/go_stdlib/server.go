package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
)

// maxBodyBytes is the largest request body the contract accepts; larger ones get 413.
const maxBodyBytes = 64 << 10

var errBodyTooLarge = fmt.Errorf("request body larger than %d bytes", maxBodyBytes)

// NewServer returns the service's whole HTTP handler: the routes of routes.go behind the
// admission control of overload.go and the request-body limit that every endpoint shares.
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
	return limitInFlight(limitRequestBody(mux, maxBodyBytes), maxInFlight, slotWait)
}

// limitRequestBody reads the body of every request, at most limit bytes, before any route
// runs: a larger one is 413 whether declared by Content-Length or streamed chunked, even on a
// route that ignores its body. Routes then read the body from memory.
func limitRequestBody(next http.Handler, limit int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			writeError(w, http.StatusRequestEntityTooLarge, errBodyTooLarge.Error())
			return
		}
		if r.ContentLength != 0 { // declared within the limit, or chunked (-1)
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
			if err != nil {
				writeBodyReadError(w, err)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		next.ServeHTTP(w, r)
	})
}

// writeBodyReadError answers a body that could not be read: 413 past the limit, 400 for
// broken framing (a bad chunk, a connection cut short).
func writeBodyReadError(w http.ResponseWriter, err error) {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		writeError(w, http.StatusRequestEntityTooLarge, errBodyTooLarge.Error())
		return
	}
	writeError(w, http.StatusBadRequest, "cannot read request body")
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
