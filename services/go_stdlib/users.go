package main

import (
	"context"
	"log/slog"
	"math"
	"net/http"
)

// userTimeLayout is the contract's user timestamp: UTC to the second.
const userTimeLayout = "2006-01-02T15:04:05Z"

type user struct {
	UserID    int    `json:"user_id"`
	Username  string `json:"username"`
	Email     string `json:"email"`
	CreatedAt string `json:"created_at"`
}

// userStore pages through users; *Postgres is the real one.
type userStore interface {
	ListUsers(ctx context.Context, after, limit int) ([]user, error)
}

// handleUsersList answers at most limit users with user_id > after, in user_id order.
func handleUsersList(logger *slog.Logger, store userStore, metrics *Metrics) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit, after, err := usersPage(r)
		if err != nil {
			writeRequestError(w, err)
			return
		}
		done := metrics.Track("select", "postgres")
		users, err := store.ListUsers(r.Context(), after, limit)
		done(err)
		if err != nil {
			logFailure(logger, "list users", err)
			writeError(w, http.StatusServiceUnavailable, "postgres unavailable")
			return
		}
		encode(w, http.StatusOK, users) //nolint:errcheck // strings and ints always encode
	})
}

// usersPage reads ?limit= (1..100, default 100) and ?after= (0..2147483647, default 0).
func usersPage(r *http.Request) (limit, after int, err error) {
	query := r.URL.Query()
	limit, after = 100, 0
	if query.Has("limit") {
		if limit, err = intInRange("limit", query.Get("limit"), 1, 100); err != nil {
			return 0, 0, err
		}
	}
	if query.Has("after") {
		if after, err = intInRange("after", query.Get("after"), 0, math.MaxInt32); err != nil {
			return 0, 0, err
		}
	}
	return limit, after, nil
}
