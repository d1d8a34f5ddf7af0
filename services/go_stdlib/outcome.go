package main

import (
	"errors"
	"net/http"
)

// errOutcomeUnknown marks a failed write that may still have been committed: the writing
// statement (or the COMMIT) reached the database, then the time ran out or the connection
// broke before its answer came back. Every other failed write did not happen. The stores,
// which know their driver, decide; the handlers only answer.
var errOutcomeUnknown = errors.New("outcome unknown")

// writeWriteFailure answers a write that failed, telling the truth about its outcome: 504
// when it may have happened (a client resolves it by retrying with the same Idempotency-Key),
// 503 when it did not. db names the database in the detail: "postgres" or "mysql".
func writeWriteFailure(w http.ResponseWriter, db string, err error) {
	if errors.Is(err, errOutcomeUnknown) {
		writeError(w, http.StatusGatewayTimeout, db+" timed out: outcome unknown")
		return
	}
	writeError(w, http.StatusServiceUnavailable, db+" unavailable")
}
