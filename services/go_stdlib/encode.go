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
// *requestError, 422: the body is not UTF-8 JSON text, not a T, or not a valid one. The body is
// already bounded: limitRequestBody read it.
func decodeValid[T validator](r *http.Request) (T, error) {
	var v T
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return v, &requestError{http.StatusBadRequest, "cannot read request body"}
	}
	if err := checkUTF8(body); err != nil {
		return v, &requestError{http.StatusUnprocessableEntity, err.Error()}
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

// intInRange parses raw, plain decimal digits (^[0-9]+$, at most 10 of them), as an integer
// within [lo, hi]; name goes into the error. Signs, spaces, "1_0", "5.0" and non-ASCII digits,
// which strconv or other languages' parsers may take, are refused: the contract is the same
// for every service.
func intInRange(name, raw string, lo, hi int) (int, error) {
	n, ok := parseDigits(raw)
	if !ok || n < lo || n > hi {
		return 0, &requestError{
			http.StatusUnprocessableEntity,
			fmt.Sprintf("%s must be an integer from %d to %d, got %q", name, lo, hi, raw),
		}
	}
	return n, nil
}

// maxDigits bounds the digits parseDigits takes: 10 hold every int32 and cannot overflow.
const maxDigits = 10

// parseDigits parses s if it is 1 to maxDigits ASCII digits.
func parseDigits(s string) (int, bool) {
	if s == "" || len(s) > maxDigits {
		return 0, false
	}
	n := 0
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
