package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-sql-driver/mysql"
)

type fakeMixStore struct {
	calls  int
	failAt int   // 1-based transaction that fails; 0 for none
	err    error // its error; "down" if nil
}

func (s *fakeMixStore) MixTransaction(context.Context) (mixCounts, error) {
	s.calls++
	if s.calls == s.failAt {
		if s.err != nil {
			return mixCounts{}, s.err
		}
		return mixCounts{}, errors.New("down")
	}
	return mixCounts{Created: 10, Updated: 5, Deleted: 10}, nil
}

func TestIOMixAddsUpEightTransactions(t *testing.T) {
	store := &fakeMixStore{}
	w := serve(handleIOMix(discardLogger(), store, newMetrics(nil)), http.MethodPost, "/api/io-mix", `ignored`)
	want := `{"transactions":8,"rows_created":80,"rows_updated":40,"rows_deleted":80,"file_operations":2}`
	if w.Code != http.StatusOK || w.Body.String() != want {
		t.Fatalf("POST /api/io-mix = %d %s, want 200 %s", w.Code, w.Body, want)
	}
	if store.calls != mixTransactions {
		t.Errorf("ran %d transactions, want %d", store.calls, mixTransactions)
	}
}

func TestIOMixStopsAtTheFirstFailedTransaction(t *testing.T) {
	store := &fakeMixStore{failAt: 3}
	w := serve(handleIOMix(discardLogger(), store, newMetrics(nil)), http.MethodPost, "/api/io-mix", "")
	if want := `{"detail":"mysql unavailable"}`; w.Code != http.StatusServiceUnavailable || w.Body.String() != want {
		t.Errorf("POST /api/io-mix = %d %s, want 503 %s", w.Code, w.Body, want)
	}
	if store.calls != 3 {
		t.Errorf("ran %d transactions after a failure at the 3rd", store.calls)
	}
}

func TestIOMixCommitWithoutAnswerIs504(t *testing.T) {
	store := &fakeMixStore{failAt: 2, err: fmt.Errorf("commit: %w: %w", errOutcomeUnknown, mysql.ErrInvalidConn)}
	w := serve(handleIOMix(discardLogger(), store, newMetrics(nil)), http.MethodPost, "/api/io-mix", "")
	if want := `{"detail":"mysql timed out: outcome unknown"}`; w.Code != http.StatusGatewayTimeout || w.Body.String() != want {
		t.Errorf("POST /api/io-mix = %d %s, want 504 %s", w.Code, w.Body, want)
	}
}

func TestFileRoundTripLeavesNoFile(t *testing.T) {
	before, _ := filepath.Glob(filepath.Join(os.TempDir(), "go_stdlib-io-mix-*"))
	ops, err := fileRoundTrip()
	if err != nil || ops != 2 {
		t.Fatalf("fileRoundTrip() = %d, %v; want 2, nil", ops, err)
	}
	after, _ := filepath.Glob(filepath.Join(os.TempDir(), "go_stdlib-io-mix-*"))
	if len(after) > len(before) {
		t.Errorf("left files behind: %v", after)
	}
	if n := len(mixDocument); n < 900 || n > 1200 {
		t.Errorf("document is %d bytes, want about 1 KiB", n)
	}
}
