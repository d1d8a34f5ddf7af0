package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
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

func TestTrickleSendsTheHeadAtOnceAndTheBodySlowly(t *testing.T) {
	srv := httptest.NewServer(newMock(behaviour{DelayMS: 0, Status: 200, Body: "json"}))
	defer srv.Close()
	start := time.Now()
	resp, err := http.Get(srv.URL + "/external?trickle_ms=400")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if head := time.Since(start); resp.StatusCode != 200 || head > 200*time.Millisecond {
		t.Fatalf("head: %d after %v", resp.StatusCode, head)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Fatalf("whole answer in %v, want about 400 ms", took)
	}
	var out map[string]string
	if err := json.Unmarshal(body, &out); err != nil || out["message"] != "External service response" {
		t.Fatalf("body %q: %v", body, err)
	}
}

func TestTrickleIsAControlSetting(t *testing.T) {
	h := newMock(behaviour{DelayMS: 0, Status: 200, Body: "json"})
	if code, body := get(t, h, "PUT", "/control/a", `{"trickle_ms":100}`); code != 200 || body["trickle_ms"] != 100.0 {
		t.Fatalf("control: %d %v", code, body)
	}
	if code, _ := get(t, h, "PUT", "/control/a", `{"trickle_ms":-1}`); code != 422 {
		t.Fatalf("negative trickle accepted: %d", code)
	}
}
