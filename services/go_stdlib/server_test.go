package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// newTestServer is the real handler with every dependency pointing at a closed port: enough
// for everything answered before a dependency is used, and for the 5xx paths.
func newTestServer(t *testing.T) http.Handler {
	t.Helper()
	pg, err := openPostgres(context.Background(), "postgresql://u:p@127.0.0.1:1/db", 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pg.Close)
	my, err := openMySQL("mysql://u:p@127.0.0.1:1/db", 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { my.Close() })
	cache := newCache("127.0.0.1:1", time.Minute)
	upstream := newUpstream("http://127.0.0.1:1/external", time.Second)
	metrics := newMetrics(map[string]poolStater{"postgres": pg, "mysql": my})
	return NewServer(discardLogger(), pg, my, cache, upstream, metrics)
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// serve sends one request to h and returns the recorded response.
func serve(h http.Handler, method, target, body string) *httptest.ResponseRecorder {
	var reader io.Reader
	if body != "" {
		reader = strings.NewReader(body)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, target, reader))
	return w
}

// assertJSONError checks the contract's error shape: status, JSON content type, a detail.
func assertJSONError(t *testing.T, w *httptest.ResponseRecorder, status int) {
	t.Helper()
	if w.Code != status {
		t.Errorf("status = %d, want %d (body %s)", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if !strings.HasPrefix(w.Body.String(), `{"detail":`) {
		t.Errorf("body = %s, want a JSON object with detail", w.Body)
	}
}

func TestUnknownPathIsJSON404(t *testing.T) {
	srv := newTestServer(t)
	for _, target := range []string{"/", "/nope", "/api", "/api/devices/", "/api/fib/", "/api/fib/3/x"} {
		t.Run(target, func(t *testing.T) {
			assertJSONError(t, serve(srv, http.MethodGet, target, ""), http.StatusNotFound)
		})
	}
}

func TestWrongMethodIsJSON405(t *testing.T) {
	srv := newTestServer(t)
	cases := []struct{ method, target string }{
		{http.MethodDelete, "/api/devices"},
		{http.MethodPut, "/api/devices"},
		{http.MethodPost, "/api/users"},
		{http.MethodPost, "/api/fib/10"},
		{http.MethodDelete, "/api/fetch-external"},
		{http.MethodGet, "/api/io-mix"},
		{http.MethodPost, "/livez"},
		{http.MethodPost, "/healthz"},
		{http.MethodPost, "/metrics"},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.target, func(t *testing.T) {
			w := serve(srv, c.method, c.target, "")
			assertJSONError(t, w, http.StatusMethodNotAllowed)
			if w.Header().Get("Allow") == "" {
				t.Error("no Allow header")
			}
		})
	}
}

func TestBodyOverLimitIs413(t *testing.T) {
	srv := newTestServer(t)
	big := `{"mac":"EF-2B-C4-F5-D6-34","firmware":"` + strings.Repeat("a", maxBodyBytes) + `"}`

	t.Run("declared length", func(t *testing.T) {
		assertJSONError(t, serve(srv, http.MethodPost, "/api/devices", big), http.StatusRequestEntityTooLarge)
	})
	// Every route, chunked too: io-mix ignores its body, the others have none, all bound it.
	for _, route := range []struct{ method, target string }{
		{http.MethodPost, "/api/devices"},
		{http.MethodPost, "/api/io-mix"},
		{http.MethodGet, "/api/fib/3"},
		{http.MethodGet, "/nope"},
	} {
		t.Run("chunked "+route.method+" "+route.target, func(t *testing.T) {
			r := httptest.NewRequest(route.method, route.target, io.MultiReader(strings.NewReader(big)))
			r.ContentLength = -1
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, r)
			assertJSONError(t, w, http.StatusRequestEntityTooLarge)
		})
	}
	t.Run("declared length io-mix", func(t *testing.T) {
		assertJSONError(t, serve(srv, http.MethodPost, "/api/io-mix", big), http.StatusRequestEntityTooLarge)
	})
}

func TestBodyAtTheLimitReachesTheRoute(t *testing.T) {
	firmware := strings.Repeat("a", 255)
	body := `{"mac":"EF-2B-C4-F5-D6-34","firmware":"` + firmware + `","pad":"`
	body += strings.Repeat("x", maxBodyBytes-len(body)-2) + `"}`
	store := &fakeDeviceStore{}
	h := limitRequestBody(handleDevicesCreate(discardLogger(), store, &fakeCache{}, newMetrics(nil)), maxBodyBytes)

	r := httptest.NewRequest(http.MethodPost, "/api/devices", io.MultiReader(strings.NewReader(body)))
	r.ContentLength = -1 // chunked: read through the limit, then handed on
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)

	if w.Code != http.StatusCreated || len(store.inserted) != 1 {
		t.Fatalf("%d-byte chunked body = %d %s, want 201", len(body), w.Code, w.Body)
	}
}

func TestDevicesCreateRejectsBadBodiesWith422(t *testing.T) {
	srv := newTestServer(t)
	long := strings.Repeat("é", 256)
	bodies := map[string]string{
		"malformed":         `{"mac":`,
		"empty":             ``,
		"array":             `[{"mac":"EF-2B-C4-F5-D6-34","firmware":"1"}]`,
		"string":            `"EF-2B-C4-F5-D6-34"`,
		"null":              `null`,
		"missing mac":       `{"firmware":"1.0"}`,
		"missing firmware":  `{"mac":"EF-2B-C4-F5-D6-34"}`,
		"null mac":          `{"mac":null,"firmware":"1.0"}`,
		"number firmware":   `{"mac":"EF-2B-C4-F5-D6-34","firmware":1}`,
		"key case":          `{"MAC":"EF-2B-C4-F5-D6-34","firmware":"1.0"}`,
		"mixed separators":  `{"mac":"EF-2B-C4:F5-D6-34","firmware":"1.0"}`,
		"bad hex":           `{"mac":"EG-2B-C4-F5-D6-34","firmware":"1.0"}`,
		"five pairs":        `{"mac":"EF-2B-C4-F5-D6","firmware":"1.0"}`,
		"no separator":      `{"mac":"EF2BC4F5D634","firmware":"1.0"}`,
		"empty firmware":    `{"mac":"EF-2B-C4-F5-D6-34","firmware":""}`,
		"256 char firmware": `{"mac":"EF-2B-C4-F5-D6-34","firmware":"` + long + `"}`,
		"NUL in firmware":   `{"mac":"EF-2B-C4-F5-D6-34","firmware":"a\u0000b"}`,
		"18 char mac":       `{"mac":"EF-2B-C4-F5-D6-34 ","firmware":"1.0"}`,
		// Not UTF-8 JSON text (jsontext.go): encoding/json alone would store U+FFFD.
		"0xff in firmware":        "{\"mac\":\"EF-2B-C4-F5-D6-34\",\"firmware\":\"\xff\"}",
		"0xff in a field ignored": "{\"mac\":\"EF-2B-C4-F5-D6-34\",\"firmware\":\"1.0\",\"x\":\"\xff\"}",
		"overlong slash":          "{\"mac\":\"EF-2B-C4-F5-D6-34\",\"firmware\":\"\xc0\xaf\"}",
		"UTF-8 surrogate":         "{\"mac\":\"EF-2B-C4-F5-D6-34\",\"firmware\":\"\xed\xa0\x80\"}",
		"truncated sequence":      "{\"mac\":\"EF-2B-C4-F5-D6-34\",\"firmware\":\"1.0\xe2\x82\"}",
		"escaped lone surrogate":  `{"mac":"EF-2B-C4-F5-D6-34","firmware":"\ud800"}`,
		"UTF-16 body":             "\xff\xfe{\x00}\x00",
		"too deep":                strings.Repeat("[", 20000) + strings.Repeat("]", 20000),
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			assertJSONError(t, serve(srv, http.MethodPost, "/api/devices", body), http.StatusUnprocessableEntity)
		})
	}
}

func TestValidMAC(t *testing.T) {
	for mac, want := range map[string]bool{
		"EF-2B-C4-F5-D6-34":  true,
		"ef:2b:c4:f5:d6:34":  true,
		"Ef-2b-C4-f5-D6-34":  true,
		"EF-2B-C4-F5-D6:34":  false,
		"EF.2B.C4.F5.D6.34":  false,
		"EF-2B-C4-F5-D6-3":   false,
		"EF-2B-C4-F5-D6-345": false,
		"EF-2B-C4-F5-D6-3G":  false,
		"":                   false,
	} {
		if got := validMAC(mac); got != want {
			t.Errorf("validMAC(%q) = %v, want %v", mac, got, want)
		}
	}
}

func TestUsersRejectsBadPagesWith422(t *testing.T) {
	srv := newTestServer(t)
	for _, query := range []string{
		"limit=0", "limit=101", "limit=-1", "limit=abc", "limit=1.5", "limit=",
		"after=-1", "after=2147483648", "after=x", "after=99999999999999999999",
		"limit=%2B5", "limit=%205", "limit=5%20", "limit=1_0", "limit=1e2", "limit=%D9%A3", "after=-0",
		"after=00000000001", // 11 digits: refused before the range check
	} {
		t.Run(query, func(t *testing.T) {
			assertJSONError(t, serve(srv, http.MethodGet, "/api/users?"+query, ""), http.StatusUnprocessableEntity)
		})
	}
}

func TestUsersPageDefaults(t *testing.T) {
	limit, after, err := usersPage(httptest.NewRequest(http.MethodGet, "/api/users", nil))
	if err != nil || limit != 100 || after != 0 {
		t.Fatalf("usersPage() = %d, %d, %v; want 100, 0, nil", limit, after, err)
	}
	limit, after, err = usersPage(httptest.NewRequest(http.MethodGet, "/api/users?limit=1&after=2147483647", nil))
	if err != nil || limit != 1 || after != 2147483647 {
		t.Fatalf("usersPage() = %d, %d, %v; want 1, 2147483647, nil", limit, after, err)
	}
}

func TestFib(t *testing.T) {
	srv := newTestServer(t)
	for target, want := range map[string]string{
		"/api/fib/0":  `{"n":0,"fibonacci":0}`,
		"/api/fib/1":  `{"n":1,"fibonacci":1}`,
		"/api/fib/10": `{"n":10,"fibonacci":55}`,
		"/api/fib/30": `{"n":30,"fibonacci":832040}`,
	} {
		w := serve(srv, http.MethodGet, target, "")
		if w.Code != http.StatusOK || w.Body.String() != want {
			t.Errorf("GET %s = %d %s, want 200 %s", target, w.Code, w.Body, want)
		}
	}
	for _, n := range []string{"-1", "36", "abc", "1.5", "1e3", "99999999999999999999", "%2B5", "%205", "1_0", "%D9%A3", "5%00", "-0"} {
		assertJSONError(t, serve(srv, http.MethodGet, "/api/fib/"+n, ""), http.StatusUnprocessableEntity)
	}
}

func TestDevicesListIsTheContractsList(t *testing.T) {
	want := `[{"id":1,"uuid":"9add349c-c35c-4d32-ab0f-53da1ba40a2a","mac":"EF-2B-C4-F5-D6-34","firmware":"2.1.5","created_at":"2024-05-28T15:21:51.137Z","updated_at":"2024-05-28T15:21:51.137Z"},` +
		`{"id":2,"uuid":"d2293412-36eb-46e7-9231-af7e9249fffe","mac":"E7-34-96-33-0C-4C","firmware":"1.0.3","created_at":"2024-01-28T15:20:51.137Z","updated_at":"2024-01-28T15:20:51.137Z"},` +
		`{"id":3,"uuid":"eee58ca8-ca51-47a5-ab48-163fd0e44b77","mac":"68-93-9B-B5-33-B9","firmware":"4.3.1","created_at":"2024-08-28T15:18:21.137Z","updated_at":"2024-08-28T15:18:21.137Z"}]`
	w := serve(newTestServer(t), http.MethodGet, "/api/devices", "")
	if w.Code != http.StatusOK || w.Body.String() != want {
		t.Fatalf("GET /api/devices = %d %s", w.Code, w.Body)
	}
}

func TestDeadDependenciesGive5xx(t *testing.T) {
	srv := newTestServer(t)
	cases := []struct {
		method, target, body string
		status               int
	}{
		{http.MethodPost, "/api/devices", `{"mac":"EF-2B-C4-F5-D6-34","firmware":"1"}`, http.StatusServiceUnavailable},
		{http.MethodGet, "/api/users", "", http.StatusServiceUnavailable},
		{http.MethodPost, "/api/io-mix", "", http.StatusServiceUnavailable},
		{http.MethodGet, "/api/fetch-external", "", http.StatusBadGateway},
	}
	for _, c := range cases {
		t.Run(c.target, func(t *testing.T) {
			assertJSONError(t, serve(srv, c.method, c.target, c.body), c.status)
		})
	}
	t.Run("/livez", func(t *testing.T) {
		w := serve(srv, http.MethodGet, "/livez", "")
		if w.Code != http.StatusOK || w.Body.String() != `{"status":"ok"}` {
			t.Fatalf("GET /livez = %d %s, want 200 {\"status\":\"ok\"}", w.Code, w.Body)
		}
	})
	t.Run("/healthz", func(t *testing.T) {
		w := serve(srv, http.MethodGet, "/healthz", "")
		want := `{"status":"unavailable","detail":"postgres, mysql, memcached unavailable","down":["postgres","mysql","memcached"]}`
		if w.Code != http.StatusServiceUnavailable || w.Body.String() != want {
			t.Fatalf("GET /healthz = %d %s, want 503 %s", w.Code, w.Body, want)
		}
	})
}

func TestMetricsArePresentFromStartup(t *testing.T) {
	body := serve(newTestServer(t), http.MethodGet, "/metrics", "").Body.String()
	var want []string
	for _, labels := range operations {
		op, db := labels[0], labels[1]
		want = append(want,
			`app_op_duration_seconds_count{db="`+db+`",op="`+op+`"} 0`,
			`app_op_errors_total{db="`+db+`",op="`+op+`"} 0`)
	}
	for _, db := range []string{"postgres", "mysql"} {
		want = append(want,
			`app_db_pool_size{db="`+db+`"} 2`,
			`app_db_pool_in_use{db="`+db+`"} 0`)
	}
	for _, line := range want {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("metrics lack %q", line)
		}
	}
}

func TestParseDigits(t *testing.T) {
	for s, want := range map[string]int{"0": 0, "05": 5, "35": 35, "2147483647": 2147483647, "9999999999": 9999999999} {
		if n, ok := parseDigits(s); !ok || n != want {
			t.Errorf("parseDigits(%q) = %d, %v; want %d, true", s, n, ok, want)
		}
	}
	for _, s := range []string{"", "+5", "-5", "-0", " 5", "5 ", "5.0", "1_0", "1e2", "0x10", "٣", "5\x00", "12345678901"} {
		if n, ok := parseDigits(s); ok {
			t.Errorf("parseDigits(%q) = %d, true; want false", s, n)
		}
	}
}
