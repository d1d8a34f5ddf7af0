package main

import (
	"net/http"
	"time"
)

// Admission control: at most maxInFlight requests run at once; a request that finds no free
// slot waits for one at most slotWait (Go queues the waiters in order), then gets a fast 503.
// A wait rather than an immediate refusal: a client refused at once sends its next request at
// once, and 900 such clients would take the CPU from the requests being served.
const (
	// Four times the benchmark's largest load (100 connections), so it never refuses one of
	// them; the requests past POOL_SIZE wait on the pool, each within its own deadline.
	maxInFlight = 400
	// At ~5,000 requests/s a full queue of maxInFlight drains in 0.1 s: the wait is reached
	// only when the service is far over its capacity.
	slotWait = 1 * time.Second
)

// limitInFlight answers 503 {"detail":"overloaded"} to a request that waited slotWait for one
// of limit slots, and drops a waiting request whose client has gone.
func limitInFlight(next http.Handler, limit int, wait time.Duration) http.Handler {
	slots := make(chan struct{}, limit)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case slots <- struct{}{}:
		default:
			timer := time.NewTimer(wait)
			defer timer.Stop()
			select {
			case slots <- struct{}{}:
			case <-timer.C:
				writeError(w, http.StatusServiceUnavailable, "overloaded")
				return
			case <-r.Context().Done():
				return
			}
		}
		defer func() { <-slots }()
		next.ServeHTTP(w, r)
	})
}
