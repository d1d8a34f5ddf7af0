// Command external_mock is the slow upstream of /api/fetch-external (see CONTRACT.md).
//
// It must never be the bottleneck: a goroutine per request sleeping on a timer costs a few
// KiB, so tens of thousands of requests per second at a 10 ms delay fit in one core.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string) error {
	delay := 500
	if v := getenv("DELAY_MS"); v != "" {
		d, err := strconv.Atoi(v)
		if err != nil || d < 0 {
			return fmt.Errorf("DELAY_MS: want a non-negative integer, got %q", v)
		}
		delay = d
	}
	host, port := getenv("HOST"), getenv("PORT")
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "28081"
	}
	srv := &http.Server{
		Addr:              net.JoinHostPort(host, port),
		Handler:           newMock(behaviour{DelayMS: delay, Status: http.StatusOK, Body: "json"}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	errs := make(chan error, 1)
	go func() { errs <- srv.ListenAndServe() }()
	log.Printf("external_mock listening on %s (delay %d ms)", srv.Addr, delay)
	select {
	case err := <-errs:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

// behaviour is what GET /external/{key} does; PUT /control/{key} replaces it.
type behaviour struct {
	DelayMS int    `json:"delay_ms"`
	Status  int    `json:"status"`
	Body    string `json:"body"` // "json" or "invalid"
	// TrickleMS > 0: the status line, headers and first body byte go out at once (after
	// DelayMS), the rest of the body a byte at a time over TrickleMS. A client with a timeout
	// per read never times out; only a deadline for the whole answer ends it.
	TrickleMS int `json:"trickle_ms"`
}

type mock struct {
	defaults behaviour
	mu       sync.Mutex
	perKey   map[string]behaviour
	counts   map[string]int64
}

func newMock(defaults behaviour) http.Handler {
	m := &mock{defaults: defaults, perKey: map[string]behaviour{}, counts: map[string]int64{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /external", m.external)
	mux.HandleFunc("GET /external/{key}", m.external)
	mux.HandleFunc("PUT /control", m.control)
	mux.HandleFunc("PUT /control/{key}", m.control)
	mux.HandleFunc("DELETE /control", m.reset)
	mux.HandleFunc("DELETE /control/{key}", m.reset)
	mux.HandleFunc("GET /stats", m.stats)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	return mux
}

func keyOf(r *http.Request) string {
	if k := r.PathValue("key"); k != "" {
		return k
	}
	return "default"
}

func (m *mock) external(w http.ResponseWriter, r *http.Request) {
	key := keyOf(r)
	m.mu.Lock()
	b, ok := m.perKey[key]
	if !ok {
		b = m.defaults
	}
	m.counts[key]++
	m.mu.Unlock()

	q := r.URL.Query()
	if v, err := strconv.Atoi(q.Get("delay_ms")); err == nil && v >= 0 {
		b.DelayMS = v
	}
	if v, err := strconv.Atoi(q.Get("status")); err == nil && v >= 100 && v <= 599 {
		b.Status = v
	}
	if q.Get("body") == "invalid" {
		b.Body = "invalid"
	}
	if v, err := strconv.Atoi(q.Get("trickle_ms")); err == nil && v >= 0 {
		b.TrickleMS = v
	}

	select {
	case <-time.After(time.Duration(b.DelayMS) * time.Millisecond):
	case <-r.Context().Done(): // the caller gave up: don't hold the goroutine
		return
	}
	status, body := b.Status, answer(b)
	if b.TrickleMS > 0 {
		trickle(w, r, status, body, time.Duration(b.TrickleMS)*time.Millisecond)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// answer is the body a behaviour gives: the message, the error's detail, or not JSON.
func answer(b behaviour) []byte {
	switch {
	case b.Status < 200 || b.Status > 299:
		return encode(map[string]string{"detail": "mock error"})
	case b.Body == "invalid":
		return []byte("this is not json")
	default:
		return encode(map[string]string{"message": "External service response"})
	}
}

// trickle sends the answer's head and first byte at once, then one byte per len(body)th of
// `over`, flushed each time (Content-Length is set: the client knows how much is to come).
func trickle(w http.ResponseWriter, r *http.Request, status int, body []byte, over time.Duration) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	flusher, _ := w.(http.Flusher)
	step := over / time.Duration(max(len(body), 1))
	for i := range body {
		if i > 0 {
			select {
			case <-time.After(step):
			case <-r.Context().Done(): // the caller gave up
				return
			}
		}
		if _, err := w.Write(body[i : i+1]); err != nil {
			return
		}
		if flusher != nil {
			flusher.Flush()
		}
	}
}

func (m *mock) control(w http.ResponseWriter, r *http.Request) {
	b := m.defaults
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"detail": "invalid control body: " + err.Error()})
		return
	}
	if b.DelayMS < 0 || b.TrickleMS < 0 || b.Status < 100 || b.Status > 599 || (b.Body != "json" && b.Body != "invalid") {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"detail": "delay_ms >= 0, trickle_ms >= 0, status 100..599, body json|invalid"})
		return
	}
	m.mu.Lock()
	m.perKey[keyOf(r)] = b
	m.mu.Unlock()
	writeJSON(w, http.StatusOK, b)
}

func (m *mock) reset(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	delete(m.perKey, keyOf(r))
	m.mu.Unlock()
	writeJSON(w, http.StatusOK, m.defaults)
}

func (m *mock) stats(w http.ResponseWriter, _ *http.Request) {
	m.mu.Lock()
	counts := make(map[string]int64, len(m.counts))
	for k, v := range m.counts {
		counts[k] = v
	}
	m.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"requests": counts})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(encode(v))
}

// encode is v as JSON with a final newline, as json.Encoder writes it.
func encode(v any) []byte {
	out, _ := json.Marshal(v)
	return append(out, '\n')
}
