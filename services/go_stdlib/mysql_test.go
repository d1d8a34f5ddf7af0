package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

var (
	errDeadlock    = &mysql.MySQLError{Number: 1213, Message: "Deadlock found when trying to get lock; try restarting transaction"}
	errLockTimeout = &mysql.MySQLError{Number: 1205, Message: "Lock wait timeout exceeded; try restarting transaction"}
)

func TestIsDeadlock(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{errDeadlock, true},
		{fmt.Errorf("update: %w", errDeadlock), true},
		{errLockTimeout, false},
		{&mysql.MySQLError{Number: 1062}, false},
		{mysql.ErrInvalidConn, false},
		{driver.ErrBadConn, false},
		{context.DeadlineExceeded, false},
		{errors.New("Error 1213: deadlock"), false},
		{nil, false},
	} {
		if got := isDeadlock(tc.err); got != tc.want {
			t.Errorf("isDeadlock(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// failing returns a transaction that fails with errs in turn, then succeeds, counting its runs.
func failing(runs *int, errs ...error) func(context.Context) (mixCounts, error) {
	return func(context.Context) (mixCounts, error) {
		*runs++
		if *runs <= len(errs) {
			return mixCounts{}, errs[*runs-1]
		}
		return mixCounts{Created: 10, Updated: 5, Deleted: 10}, nil
	}
}

func TestRetryDeadlocks(t *testing.T) {
	wrapped := fmt.Errorf("delete: %w", errDeadlock)
	for _, tc := range []struct {
		name     string
		errs     []error
		wantRuns int
		wantErr  error
	}{
		{"success", nil, 1, nil},
		{"two deadlocks then success", []error{errDeadlock, wrapped}, 3, nil},
		{"three deadlocks", []error{errDeadlock, errDeadlock, wrapped}, 3, errDeadlock},
		{"lock wait timeout", []error{errLockTimeout}, 1, errLockTimeout},
		{"broken connection", []error{mysql.ErrInvalidConn}, 1, mysql.ErrInvalidConn},
		{"deadlock then another error", []error{errDeadlock, driver.ErrBadConn}, 2, driver.ErrBadConn},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runs := 0
			counts, err := retryDeadlocks(t.Context(), failing(&runs, tc.errs...))
			if runs != tc.wantRuns {
				t.Errorf("ran %d times, want %d", runs, tc.wantRuns)
			}
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			if want := (mixCounts{Created: 10, Updated: 5, Deleted: 10}); err == nil && counts != want {
				t.Errorf("counts = %+v, want %+v", counts, want)
			}
		})
	}
}

func TestRetryDeadlocksStopsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	runs := 0
	start := time.Now()
	_, err := retryDeadlocks(ctx, failing(&runs, errDeadlock, errDeadlock))
	if runs != 1 || !errors.Is(err, context.Canceled) || !errors.Is(err, errDeadlock) {
		t.Errorf("ran %d times, err = %v; want 1 run, canceled after the deadlock", runs, err)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("took %v", elapsed)
	}
}

func TestCommitOutcome(t *testing.T) {
	done, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name    string
		ctx     context.Context
		err     error
		want    error
		unknown bool
	}{
		{"rolled back when ctx ended", done, sql.ErrTxDone, context.Canceled, false},
		{"ctx ended before COMMIT", done, context.Canceled, context.Canceled, false},
		{"nothing written", context.Background(), driver.ErrBadConn, driver.ErrBadConn, false},
		{"server refused", context.Background(), errLockTimeout, errLockTimeout, false},
		{"no answer to COMMIT", context.Background(), mysql.ErrInvalidConn, mysql.ErrInvalidConn, true},
		{"read timeout", context.Background(), os.ErrDeadlineExceeded, os.ErrDeadlineExceeded, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := commitOutcome(tc.ctx, tc.err)
			if !errors.Is(got, tc.want) {
				t.Errorf("commitOutcome(%v) = %v, want %v", tc.err, got, tc.want)
			}
			if errors.Is(got, errOutcomeUnknown) != tc.unknown {
				t.Errorf("commitOutcome(%v) = %v; outcome unknown: want %v", tc.err, got, tc.unknown)
			}
		})
	}
}
