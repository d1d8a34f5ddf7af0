package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// TestRunServesAndShutsDown starts the service as main does, waits until it answers, then
// cancels its context, as SIGTERM would, and expects a clean return.
func TestRunServesAndShutsDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()

	vars := map[string]string{"PORT": port}
	for k, v := range requiredEnv {
		vars[k] = v
	}
	vars["DATABASE_URL"] = "postgresql://u:p@127.0.0.1:1/db" // nothing is needed for fib
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- run(ctx, env(vars), io.Discard) }()

	url := "http://127.0.0.1:" + port + "/api/fib/5"
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s = %d", url, resp.StatusCode)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("service never answered: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run() = %v, want nil after shutdown", err)
		}
	case <-time.After(shutdownGrace + time.Second):
		t.Fatal("run() did not return after its context was cancelled")
	}
}
