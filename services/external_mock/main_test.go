package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, method, target, body string) (int, map[string]any) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, strings.NewReader(body)))
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}

func TestDefaultsAndOverrides(t *testing.T) {
	h := newMock(behaviour{DelayMS: 0, Status: 200, Body: "json"})
	if code, body := get(t, h, "GET", "/external", ""); code != 200 || body["message"] != "External service response" {
		t.Fatalf("default: %d %v", code, body)
	}
	if code, _ := get(t, h, "GET", "/external?status=503", ""); code != 503 {
		t.Fatalf("status override: %d", code)
	}
}

func TestControlIsPerKey(t *testing.T) {
	h := newMock(behaviour{DelayMS: 0, Status: 200, Body: "json"})
	if code, _ := get(t, h, "PUT", "/control/a", `{"status":500}`); code != 200 {
		t.Fatalf("control: %d", code)
	}
	if code, _ := get(t, h, "GET", "/external/a", ""); code != 500 {
		t.Fatalf("key a: %d", code)
	}
	if code, _ := get(t, h, "GET", "/external/b", ""); code != 200 {
		t.Fatalf("key b unaffected: %d", code)
	}
	get(t, h, "DELETE", "/control/a", "")
	if code, _ := get(t, h, "GET", "/external/a", ""); code != 200 {
		t.Fatalf("after reset: %d", code)
	}
	if code, _ := get(t, h, "PUT", "/control/a", `{"status":42}`); code != 422 {
		t.Fatalf("bad control accepted: %d", code)
	}
}
