package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
)

// mixTransactions is how many transactions one io-mix request runs.
const mixTransactions = 8

// mixCounts are the rows one or more io-mix transactions touched, as the database reported.
type mixCounts struct {
	Created int64
	Updated int64
	Deleted int64
}

// mixStore runs one io-mix transaction; *MySQL is the real one.
type mixStore interface {
	MixTransaction(ctx context.Context) (mixCounts, error)
}

// handleIOMix runs the MySQL workload of CONTRACT.md, then the temporary-file round trip.
// The request body is ignored; limitRequestBody has already read it, so that a body over the
// limit is 413 here too.
func handleIOMix(logger *slog.Logger, store mixStore, metrics *Metrics) http.Handler {
	type response struct {
		Transactions   int   `json:"transactions"`
		RowsCreated    int64 `json:"rows_created"`
		RowsUpdated    int64 `json:"rows_updated"`
		RowsDeleted    int64 `json:"rows_deleted"`
		FileOperations int   `json:"file_operations"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		done := metrics.Track("mix", "mysql")
		total, err := runMix(r.Context(), store)
		done(err)
		if err != nil {
			logFailure(logger, "io-mix", err)
			writeWriteFailure(w, "mysql", err)
			return
		}
		fileOps, err := fileRoundTrip()
		if err != nil {
			logger.Error("io-mix file", "err", err)
			writeError(w, http.StatusInternalServerError, "file operations failed")
			return
		}
		encode(w, http.StatusOK, response{ //nolint:errcheck // ints always encode
			mixTransactions, total.Created, total.Updated, total.Deleted, fileOps,
		})
	})
}

// runMix runs the transactions one after the other, all within one dbTimeout, and adds up
// their counts. One deadline for the whole workload: eight transactions each given its own
// would let a slow, then hung, database hold the request for far longer.
func runMix(ctx context.Context, store mixStore) (mixCounts, error) {
	ctx, cancel := context.WithTimeout(ctx, dbTimeout)
	defer cancel()
	var total mixCounts
	for range mixTransactions {
		counts, err := store.MixTransaction(ctx)
		if err != nil {
			return mixCounts{}, err
		}
		total.Created += counts.Created
		total.Updated += counts.Updated
		total.Deleted += counts.Deleted
	}
	return total, nil
}

// mixDocument is the JSON written to disk: about 1 KiB.
var mixDocument = func() []byte {
	doc, err := json.Marshal(map[string]any{
		"kind":    "io-mix",
		"payload": strings.Repeat("0123456789abcdef", 62),
	})
	if err != nil {
		panic(err)
	}
	return doc
}()

// fileRoundTrip writes mixDocument to a new file in the temporary directory, reads it back,
// checks it and deletes the file. It returns the operations done: a write and a read.
func fileRoundTrip() (int, error) {
	f, err := os.CreateTemp("", "go_stdlib-io-mix-*.json")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(mixDocument)
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", f.Name(), err)
	}
	back, err := os.ReadFile(f.Name())
	if err != nil {
		return 0, err
	}
	if !bytes.Equal(back, mixDocument) {
		return 0, errors.New("file read back differs from what was written")
	}
	return 2, nil
}
