package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

type fakeDeviceStore struct {
	err      error
	inserted []string          // mac/firmware pairs
	byKey    map[string]device // devices stored under an Idempotency-Key
}

func (s *fakeDeviceStore) InsertDevice(_ context.Context, _ uuid.UUID, mac, firmware string, _ time.Time) (int64, error) {
	if s.err != nil {
		return 0, s.err
	}
	s.inserted = append(s.inserted, mac+"/"+firmware)
	return int64(41 + len(s.inserted)), nil
}

func (s *fakeDeviceStore) InsertDeviceOnce(ctx context.Context, key string, id uuid.UUID, mac, firmware string, at time.Time) (device, bool, error) {
	if stored, ok := s.byKey[key]; ok {
		return stored, false, nil
	}
	rowID, err := s.InsertDevice(ctx, id, mac, firmware, at)
	if err != nil {
		return device{}, false, err
	}
	stamp := at.Format(deviceTimeLayout)
	if s.byKey == nil {
		s.byKey = make(map[string]device)
	}
	s.byKey[key] = device{rowID, id.String(), mac, firmware, stamp, stamp}
	return s.byKey[key], true, nil
}

type fakeCache struct {
	err    error
	values map[string][]byte
}

func (c *fakeCache) Set(key string, value []byte) error {
	if c.err != nil {
		return c.err
	}
	if c.values == nil {
		c.values = make(map[string][]byte)
	}
	c.values[key] = value
	return nil
}

// scrape returns the text exposition of m.
func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	return w.Body.String()
}

var createdDevice = regexp.MustCompile(`^\{"id":42,"uuid":"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",` +
	`"mac":"ef:2b:c4:f5:d6:34","firmware":"1.0 <beta>",` +
	`"created_at":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)","updated_at":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"\}$`)

func TestDevicesCreateAnswersAndCachesTheSameBytes(t *testing.T) {
	store, cache, metrics := &fakeDeviceStore{}, &fakeCache{}, newMetrics(nil)
	h := handleDevicesCreate(discardLogger(), store, cache, metrics)

	w := serve(h, http.MethodPost, "/api/devices", `{"mac":"ef:2b:c4:f5:d6:34","firmware":"1.0 <beta>","extra":[1]}`)

	if w.Code != http.StatusCreated {
		t.Fatalf("status = %d, want 201 (body %s)", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	m := createdDevice.FindStringSubmatch(w.Body.String())
	if m == nil {
		t.Fatalf("body = %s, does not match %s", w.Body, createdDevice)
	}
	if m[1] != m[2] {
		t.Errorf("created_at %s != updated_at %s", m[1], m[2])
	}
	if at, _ := time.Parse(deviceTimeLayout, m[1]); time.Since(at).Abs() > time.Minute {
		t.Errorf("created_at %s is not now", m[1])
	}

	var got device
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	cached, ok := cache.values["device:"+got.UUID]
	if !ok || string(cached) != w.Body.String() {
		t.Errorf("cached %q under device:%s, want the response body %q", cached, got.UUID, w.Body)
	}
}

func TestDevicesCreateDatabaseFailureIs503AndCachesNothing(t *testing.T) {
	store, cache, metrics := &fakeDeviceStore{err: errors.New("down")}, &fakeCache{}, newMetrics(nil)
	h := handleDevicesCreate(discardLogger(), store, cache, metrics)

	w := serve(h, http.MethodPost, "/api/devices", `{"mac":"EF-2B-C4-F5-D6-34","firmware":"1"}`)

	assertJSONError(t, w, http.StatusServiceUnavailable)
	if len(cache.values) != 0 {
		t.Errorf("cached %v after a failed insert", cache.values)
	}
	if !strings.Contains(scrape(t, metrics), `app_op_errors_total{db="postgres",op="insert"} 1`) {
		t.Error("insert error not counted")
	}
}

func TestDevicesCreateCacheFailureIsStill201AndCounted(t *testing.T) {
	store, cache, metrics := &fakeDeviceStore{}, &fakeCache{err: errors.New("down")}, newMetrics(nil)
	h := handleDevicesCreate(discardLogger(), store, cache, metrics)

	w := serve(h, http.MethodPost, "/api/devices", `{"mac":"EF-2B-C4-F5-D6-34","firmware":"1"}`)

	if w.Code != http.StatusCreated {
		t.Fatalf("status = %d, want 201", w.Code)
	}
	if !strings.Contains(scrape(t, metrics), `app_op_errors_total{db="memcache",op="set"} 1`) {
		t.Error("set error not counted")
	}
}

func TestDevicesCreateAcceptsFirmwareOf255Characters(t *testing.T) {
	store := &fakeDeviceStore{}
	h := handleDevicesCreate(discardLogger(), store, &fakeCache{}, newMetrics(nil))
	firmware := strings.Repeat("é", 255) // 510 bytes, 255 characters
	w := serve(h, http.MethodPost, "/api/devices", `{"mac":"EF-2B-C4-F5-D6-34","firmware":"`+firmware+`"}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("status = %d, want 201 (body %s)", w.Code, w.Body)
	}
}

func TestDevicesCreateFailureSaysWhetherTheDeviceMayExist(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		status int
		body   string
	}{
		{"not written", errors.New("no connection"), http.StatusServiceUnavailable,
			`{"detail":"postgres unavailable"}`},
		{"outcome unknown", fmt.Errorf("%w: %w", errOutcomeUnknown, context.DeadlineExceeded), http.StatusGatewayTimeout,
			`{"detail":"postgres timed out: outcome unknown"}`},
	} {
		for _, key := range []string{"", "k-1"} {
			t.Run(tc.name+"/key="+key, func(t *testing.T) {
				cache := &fakeCache{}
				h := handleDevicesCreate(discardLogger(), &fakeDeviceStore{err: tc.err}, cache, newMetrics(nil))
				w := serveWithKey(h, `{"mac":"EF-2B-C4-F5-D6-34","firmware":"1"}`, key)
				if w.Code != tc.status || w.Body.String() != tc.body {
					t.Errorf("POST /api/devices = %d %s, want %d %s", w.Code, w.Body, tc.status, tc.body)
				}
				if len(cache.values) != 0 {
					t.Errorf("cached %v after a failed insert", cache.values)
				}
			})
		}
	}
}

func TestDevicesCreateRepeatWithTheSameKeyAnswersTheFirstDevice(t *testing.T) {
	store, cache := &fakeDeviceStore{}, &fakeCache{}
	h := handleDevicesCreate(discardLogger(), store, cache, newMetrics(nil))
	const body = `{"mac":"EF-2B-C4-F5-D6-34","firmware":"1.0"}`

	first := serveWithKey(h, body, "order-7")
	again := serveWithKey(h, body, "order-7")

	if first.Code != http.StatusCreated || again.Code != http.StatusCreated {
		t.Fatalf("statuses %d, %d; want 201 twice (%s)", first.Code, again.Code, again.Body)
	}
	if again.Body.String() != first.Body.String() {
		t.Errorf("repeat answered %s, want the first answer %s", again.Body, first.Body)
	}
	if len(store.inserted) != 1 {
		t.Errorf("stored %d devices, want 1", len(store.inserted))
	}
	var got device
	if err := json.Unmarshal(first.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if string(cache.values["device:"+got.UUID]) != first.Body.String() {
		t.Errorf("cache holds %q, want the response body", cache.values["device:"+got.UUID])
	}
}

func TestDevicesCreateKeyReusedWithADifferentRequestIs422(t *testing.T) {
	store := &fakeDeviceStore{}
	h := handleDevicesCreate(discardLogger(), store, &fakeCache{}, newMetrics(nil))
	serveWithKey(h, `{"mac":"EF-2B-C4-F5-D6-34","firmware":"1.0"}`, "order-7")

	for _, body := range []string{
		`{"mac":"EF-2B-C4-F5-D6-35","firmware":"1.0"}`,
		`{"mac":"ef-2b-c4-f5-d6-34","firmware":"1.0"}`,
		`{"mac":"EF-2B-C4-F5-D6-34","firmware":"1.1"}`,
	} {
		w := serveWithKey(h, body, "order-7")
		want := `{"detail":"idempotency key reused with a different request"}`
		if w.Code != http.StatusUnprocessableEntity || w.Body.String() != want {
			t.Errorf("%s = %d %s, want 422 %s", body, w.Code, w.Body, want)
		}
	}
	if len(store.inserted) != 1 {
		t.Errorf("stored %d devices, want 1", len(store.inserted))
	}
}

func TestIdempotencyKey(t *testing.T) {
	for _, tc := range []struct {
		values []string
		want   string
		ok     bool
	}{
		{nil, "", true},
		{[]string{"a"}, "a", true},
		{[]string{"!~"}, "!~", true},
		{[]string{"9b2f0e6c-4f1e-4c1b-8d0a-3b7c2a1d5e6f"}, "9b2f0e6c-4f1e-4c1b-8d0a-3b7c2a1d5e6f", true},
		{[]string{strings.Repeat("k", 255)}, strings.Repeat("k", 255), true},
		{[]string{strings.Repeat("k", 256)}, "", false},
		{[]string{""}, "", false},
		{[]string{"a b"}, "", false},
		{[]string{"a\tb"}, "", false},
		{[]string{"clé"}, "", false},
		{[]string{"a\x7f"}, "", false},
		{[]string{"a", "a"}, "", false},
	} {
		h := http.Header{}
		for _, v := range tc.values {
			h.Add("Idempotency-Key", v)
		}
		got, err := idempotencyKey(h)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("idempotencyKey(%q) = %q, %v; want %q, ok %v", tc.values, got, err, tc.want, tc.ok)
		}
		if reqErr, isReq := errors.AsType[*requestError](err); err != nil && (!isReq || reqErr.status != http.StatusUnprocessableEntity) {
			t.Errorf("idempotencyKey(%q) error %v, want a 422 *requestError", tc.values, err)
		}
	}
}

func TestDevicesCreateInvalidKeyIs422AndStoresNothing(t *testing.T) {
	store := &fakeDeviceStore{}
	h := handleDevicesCreate(discardLogger(), store, &fakeCache{}, newMetrics(nil))
	w := serveWithKey(h, `{"mac":"EF-2B-C4-F5-D6-34","firmware":"1"}`, "two words")
	assertJSONError(t, w, http.StatusUnprocessableEntity)
	if len(store.inserted) != 0 {
		t.Errorf("stored %v", store.inserted)
	}
}

// serveWithKey posts body to h with the Idempotency-Key key, or none when key is "".
func serveWithKey(h http.Handler, body, key string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/api/devices", strings.NewReader(body))
	if key != "" {
		r.Header.Set("Idempotency-Key", key)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}
