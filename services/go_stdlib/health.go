package main

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// handleLivez answers while the process serves HTTP, touching no dependency: it is the
// liveness probe, and restarting the process cures no database or memcached outage.
func handleLivez() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, []byte(`{"status":"ok"}`))
	})
}

// healthTimeout bounds each dependency check of /healthz.
const healthTimeout = time.Second

// pinger is a dependency that can tell whether it answers.
type pinger interface {
	Ping(ctx context.Context) error
}

// handleHealthz checks PostgreSQL, MySQL and memcached at once and lists those that are down.
func handleHealthz(logger *slog.Logger, pg, my, cache pinger) http.Handler {
	type response struct {
		Status string   `json:"status"`
		Detail string   `json:"detail,omitempty"`
		Down   []string `json:"down,omitempty"`
	}
	checks := []struct {
		name string
		dep  pinger
	}{{"postgres", pg}, {"mysql", my}, {"memcached", cache}}

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
		defer cancel()
		errs := make([]error, len(checks))
		var wg sync.WaitGroup
		for i, check := range checks {
			wg.Go(func() { errs[i] = check.dep.Ping(ctx) })
		}
		wg.Wait()

		var down []string
		for i, err := range errs {
			if err != nil {
				logger.Warn("health check", "dependency", checks[i].name, "err", err)
				down = append(down, checks[i].name)
			}
		}
		if len(down) > 0 {
			encode(w, http.StatusServiceUnavailable, response{ //nolint:errcheck // strings always encode
				Status: "unavailable",
				Detail: strings.Join(down, ", ") + " unavailable",
				Down:   down,
			})
			return
		}
		encode(w, http.StatusOK, response{Status: "ok"}) //nolint:errcheck // strings always encode
	})
}
