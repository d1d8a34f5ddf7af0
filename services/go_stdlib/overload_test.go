package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestLimitInFlightAnswers503OnceTheWaitIsOver(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	h := limitInFlight(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		<-release
		w.WriteHeader(http.StatusOK)
	}), 1, 20*time.Millisecond)

	first := httptest.NewRecorder()
	done := make(chan struct{})
	go func() { h.ServeHTTP(first, httptest.NewRequest("GET", "/api/devices", nil)); close(done) }()
	<-started

	second := httptest.NewRecorder()
	began := time.Now()
	h.ServeHTTP(second, httptest.NewRequest("GET", "/api/devices", nil))
	if second.Code != http.StatusServiceUnavailable || second.Body.String() != `{"detail":"overloaded"}` {
		t.Fatalf("second request: %d %s", second.Code, second.Body)
	}
	if waited := time.Since(began); waited > time.Second {
		t.Fatalf("the 503 took %s", waited)
	}

	close(release)
	<-done
	if first.Code != http.StatusOK {
		t.Fatalf("first request: %d", first.Code)
	}
	third := httptest.NewRecorder() // the slot is free again
	go func() { <-started }()
	h.ServeHTTP(third, httptest.NewRequest("GET", "/api/devices", nil))
	if third.Code != http.StatusOK {
		t.Fatalf("third request: %d", third.Code)
	}
}
