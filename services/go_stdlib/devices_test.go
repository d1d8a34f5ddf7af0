package main

import (
	"context"
	"encoding/json"
	"errors"
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
	inserted []string // mac/firmware pairs
}

func (s *fakeDeviceStore) InsertDevice(_ context.Context, _ uuid.UUID, mac, firmware string, _ time.Time) (int64, error) {
	if s.err != nil {
		return 0, s.err
	}
	s.inserted = append(s.inserted, mac+"/"+firmware)
	return int64(41 + len(s.inserted)), nil
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
