package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// sentNothing is an error that says, as pgconn's own do, whether it struck before anything
// was sent to the server.
type sentNothing bool

func (e sentNothing) Error() string     { return "pgconn error" }
func (e sentNothing) SafeToRetry() bool { return bool(e) }

func TestWriteOutcome(t *testing.T) {
	for _, tc := range []struct {
		name    string
		err     error
		unknown bool
	}{
		{"success", nil, false},
		{"statement_timeout", &pgconn.PgError{Severity: "ERROR", Code: "57014"}, false},
		{"read-only server", fmt.Errorf("insert: %w", &pgconn.PgError{Severity: "ERROR", Code: "25006"}), false},
		{"terminated backend", &pgconn.PgError{Severity: "FATAL", Code: "57P01"}, false},
		{"nothing sent", fmt.Errorf("timeout: %w", sentNothing(true)), false},
		{"sent, then the deadline", fmt.Errorf("timeout: %w", context.DeadlineExceeded), true},
		{"sent, then the connection broke", io.ErrUnexpectedEOF, true},
		{"pgconn: maybe sent", sentNothing(false), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := writeOutcome(tc.err)
			if !errors.Is(got, tc.err) {
				t.Errorf("writeOutcome(%v) = %v, lost the cause", tc.err, got)
			}
			if errors.Is(got, errOutcomeUnknown) != tc.unknown {
				t.Errorf("writeOutcome(%v) = %v; outcome unknown: want %v", tc.err, got, tc.unknown)
			}
		})
	}
}
