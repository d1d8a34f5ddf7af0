package main

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// deviceTimeLayout is the contract's device timestamp: UTC with milliseconds.
const deviceTimeLayout = "2006-01-02T15:04:05.000Z"

type device struct {
	ID        int64  `json:"id"`
	UUID      string `json:"uuid"`
	MAC       string `json:"mac"`
	Firmware  string `json:"firmware"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

// deviceStore records devices; *Postgres is the real one. An error wraps errOutcomeUnknown
// when the device may have been stored all the same.
type deviceStore interface {
	// InsertDevice stores a new device and returns its id.
	InsertDevice(ctx context.Context, id uuid.UUID, mac, firmware string, at time.Time) (int64, error)
	// InsertDeviceOnce stores a new device under key unless a device already has that key,
	// and returns the device stored under key: the new one (created) or the earlier one.
	InsertDeviceOnce(ctx context.Context, key string, id uuid.UUID, mac, firmware string, at time.Time) (stored device, created bool, err error)
}

// deviceCache keeps a copy of each created device; *Cache is the real one.
type deviceCache interface {
	Set(key string, value []byte) error
}

// devices is the contract's hard-coded list, the one of the Go-vs-FastAPI reference.
var devices = []device{
	{1, "9add349c-c35c-4d32-ab0f-53da1ba40a2a", "EF-2B-C4-F5-D6-34", "2.1.5", "2024-05-28T15:21:51.137Z", "2024-05-28T15:21:51.137Z"},
	{2, "d2293412-36eb-46e7-9231-af7e9249fffe", "E7-34-96-33-0C-4C", "1.0.3", "2024-01-28T15:20:51.137Z", "2024-01-28T15:20:51.137Z"},
	{3, "eee58ca8-ca51-47a5-ab48-163fd0e44b77", "68-93-9B-B5-33-B9", "4.3.1", "2024-08-28T15:18:21.137Z", "2024-08-28T15:18:21.137Z"},
}

// handleDevicesList answers the hard-coded list, encoded from the structs on every request:
// the contract's fairness rules forbid serving bytes encoded once at startup.
func handleDevicesList() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		encode(w, http.StatusOK, devices) //nolint:errcheck // strings and ints always encode
	})
}

// handleDevicesCreate inserts the device into PostgreSQL, the source of truth, then caches the
// exact response body under "device:<uuid>". A cache failure is counted, not answered.
//
// With an Idempotency-Key, a repeat of the same request creates nothing and answers the
// device stored under the key, byte for byte the first answer: the way to settle a 504, whose
// write may or may not have happened. A different request under a used key is 422.
func handleDevicesCreate(logger *slog.Logger, store deviceStore, cache deviceCache, metrics *Metrics) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, err := idempotencyKey(r.Header)
		if err != nil {
			writeRequestError(w, err)
			return
		}
		req, err := decodeValid[createDeviceRequest](r)
		if err != nil {
			writeRequestError(w, err)
			return
		}
		mac, firmware := *req.MAC, *req.Firmware

		id := uuid.New()
		now := time.Now().UTC().Truncate(time.Millisecond)
		var dev device
		created := true
		done := metrics.Track("insert", "postgres")
		if key == "" {
			var rowID int64
			rowID, err = store.InsertDevice(r.Context(), id, mac, firmware, now)
			stamp := now.Format(deviceTimeLayout)
			dev = device{rowID, id.String(), mac, firmware, stamp, stamp}
		} else {
			dev, created, err = store.InsertDeviceOnce(r.Context(), key, id, mac, firmware, now)
		}
		done(err)
		if err != nil {
			logFailure(logger, "insert device", err)
			writeWriteFailure(w, "postgres", err)
			return
		}
		if !created && (dev.MAC != mac || dev.Firmware != firmware) {
			writeError(w, http.StatusUnprocessableEntity, "idempotency key reused with a different request")
			return
		}

		body, err := marshal(dev)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "cannot encode response")
			return
		}
		// A repeat caches the same bytes again: after a 504 the first request may have
		// stored the device without caching it.
		done = metrics.Track("set", "memcache")
		err = cache.Set("device:"+dev.UUID, body)
		done(err)
		if err != nil {
			logFailure(logger, "cache device", err)
		}
		writeJSON(w, http.StatusCreated, body)
	})
}

// maxIdempotencyKey is the longest Idempotency-Key accepted, in bytes (all ASCII).
const maxIdempotencyKey = 255

// idempotencyKey returns the request's Idempotency-Key header, "" when it has none. A key is 1
// to 255 visible ASCII characters ('!' to '~'); any other value, or the header given twice,
// is a *requestError, 422.
func idempotencyKey(h http.Header) (string, error) {
	values := h.Values("Idempotency-Key")
	switch {
	case len(values) == 0:
		return "", nil
	case len(values) > 1:
		return "", &requestError{http.StatusUnprocessableEntity, "Idempotency-Key: give it once"}
	}
	key := values[0]
	invisible := func(r rune) bool { return r < '!' || r > '~' }
	if key == "" || len(key) > maxIdempotencyKey || strings.ContainsFunc(key, invisible) {
		return "", &requestError{
			http.StatusUnprocessableEntity,
			"Idempotency-Key: must be 1 to 255 visible ASCII characters ('!' to '~')",
		}
	}
	return key, nil
}

// createDeviceRequest is the body of POST /api/devices. A nil field was absent or null.
type createDeviceRequest struct {
	MAC      *string
	Firmware *string
}

// UnmarshalJSON matches the keys "mac" and "firmware" exactly (encoding/json alone would also
// take "MAC") and refuses a non-string value; other keys are ignored, as the contract says.
func (req *createDeviceRequest) UnmarshalJSON(data []byte) error {
	fields, err := jsonObject(data)
	if err != nil {
		return err
	}
	if req.MAC, err = optionalString(fields, "mac"); err != nil {
		return err
	}
	req.Firmware, err = optionalString(fields, "firmware")
	return err
}

func (req createDeviceRequest) Valid() map[string]string {
	problems := make(map[string]string)
	switch {
	case req.MAC == nil:
		problems["mac"] = "field required"
	case !validMAC(*req.MAC):
		problems["mac"] = "must be six hex pairs joined by one separator, '-' or ':'"
	}
	switch {
	case req.Firmware == nil:
		problems["firmware"] = "field required"
	case utf8.RuneCountInString(*req.Firmware) < 1 || utf8.RuneCountInString(*req.Firmware) > 255:
		problems["firmware"] = "must be 1 to 255 characters"
	case strings.ContainsRune(*req.Firmware, 0):
		// PostgreSQL text cannot hold NUL: this is bad input, not a database failure.
		problems["firmware"] = "must not contain NUL (\\u0000)"
	}
	return problems
}

// validMAC reports whether s is six hex pairs joined by one separator, '-' or ':', used
// throughout: "EF-2B-C4-F5-D6-34", "ef:2b:c4:f5:d6:34".
func validMAC(s string) bool {
	if len(s) != 17 || (s[2] != '-' && s[2] != ':') {
		return false
	}
	for i := range len(s) {
		if i%3 == 2 {
			if s[i] != s[2] {
				return false
			}
		} else if !isHex(s[i]) {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
