package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// maxBodyBytes is the largest request body the contract accepts; larger ones get 413.
const maxBodyBytes = 64 << 10

var errBodyTooLarge = fmt.Errorf("request body larger than %d bytes", maxBodyBytes)

// marshal encodes v as compact JSON, leaving <, > and & as they are: the service answers
// strings as clients sent them, not escaped for HTML pages.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// encode writes v as the JSON response body with the given status.
func encode[T any](w http.ResponseWriter, status int, v T) error {
	body, err := marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "cannot encode response")
		return fmt.Errorf("encode json: %w", err)
	}
	writeJSON(w, status, body)
	return nil
}

// writeJSON writes body, already JSON, with the given status.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body) //nolint:errcheck // the client has gone; nothing left to tell it
}

// writeError writes the contract's error body, {"detail": "..."}.
func writeError(w http.ResponseWriter, status int, detail string) {
	encode(w, status, struct { //nolint:errcheck // a struct of one string always encodes
		Detail string `json:"detail"`
	}{detail})
}

// validator is a decoded request body that can check its own values.
type validator interface {
	// Valid returns the problems of the value, by field name; none if it is valid.
	Valid() map[string]string
}

// requestError is a request the service refuses, with the status to answer.
type requestError struct {
	status int
	detail string
}

func (e *requestError) Error() string { return e.detail }

// writeRequestError answers err: its own status for a *requestError, 400 otherwise.
func writeRequestError(w http.ResponseWriter, err error) {
	if reqErr, ok := errors.AsType[*requestError](err); ok {
		writeError(w, reqErr.status, reqErr.detail)
		return
	}
	writeError(w, http.StatusBadRequest, err.Error())
}

// decodeValid reads the JSON body of r into a T and validates it. Its error is a
// *requestError: 413 for a body over maxBodyBytes, 422 for anything that is not a valid T.
func decodeValid[T validator](w http.ResponseWriter, r *http.Request) (T, error) {
	var v T
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return v, &requestError{http.StatusRequestEntityTooLarge, errBodyTooLarge.Error()}
		}
		return v, &requestError{http.StatusBadRequest, "cannot read request body"}
	}
	if err := json.Unmarshal(body, &v); err != nil {
		if _, ok := errors.AsType[*json.SyntaxError](err); ok {
			err = fmt.Errorf("malformed JSON: %w", err)
		}
		return v, &requestError{http.StatusUnprocessableEntity, err.Error()}
	}
	if problems := v.Valid(); len(problems) > 0 {
		return v, &requestError{http.StatusUnprocessableEntity, describe(problems)}
	}
	return v, nil
}

// describe renders problems as one line, fields in a stable order.
func describe(problems map[string]string) string {
	var b strings.Builder
	for i, field := range slices.Sorted(maps.Keys(problems)) {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %s", field, problems[field])
	}
	return b.String()
}

// jsonObject decodes data as a JSON object. null, arrays and scalars are errors.
func jsonObject(data []byte) (map[string]json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil || fields == nil {
		return nil, errors.New("body must be a JSON object")
	}
	return fields, nil
}

// optionalString returns the string field name of fields, or nil when the field is absent or
// null; a value of any other type is an error.
func optionalString(fields map[string]json.RawMessage, name string) (*string, error) {
	raw, ok := fields[name]
	if !ok || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("%s must be a string", name)
	}
	return &s, nil
}

// intInRange parses a decimal integer within [lo, hi]; name goes into the error.
func intInRange(name, raw string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, &requestError{
			http.StatusUnprocessableEntity,
			fmt.Sprintf("%s must be an integer from %d to %d, got %q", name, lo, hi, raw),
		}
	}
	return n, nil
}
