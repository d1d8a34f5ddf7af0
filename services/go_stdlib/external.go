package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// maxUpstreamBody bounds what the service reads from the upstream.
const maxUpstreamBody = 1 << 20

var (
	errUpstreamTimeout = errors.New("upstream timed out")
	errUpstreamBad     = errors.New("bad upstream answer")
)

// Upstream is the one HTTP client shared by every request to EXTERNAL_URL.
type Upstream struct {
	client *http.Client
	url    string
}

func newUpstream(url string, timeout time.Duration) *Upstream {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	// The default keeps 2 idle connections per host: under concurrency most requests would
	// dial again. Keep as many as the load may use at once.
	transport.MaxIdleConns = 512
	transport.MaxIdleConnsPerHost = 512
	return &Upstream{
		// Timeout covers the whole exchange, body included: the contract's "complete answer".
		client: &http.Client{Timeout: timeout, Transport: transport},
		url:    url,
	}
}

// Fetch returns the upstream's JSON body. Its errors wrap errUpstreamTimeout when no complete
// answer came in time, and errUpstreamBad for everything else.
func (u *Upstream) Fetch(ctx context.Context) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.url, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUpstreamBad, err)
	}
	resp, err := u.client.Do(req)
	if err != nil {
		return nil, classify(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxUpstreamBody+1))
	switch {
	case err != nil:
		return nil, classify(err)
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return nil, fmt.Errorf("%w: status %d", errUpstreamBad, resp.StatusCode)
	case len(body) > maxUpstreamBody:
		return nil, fmt.Errorf("%w: body over %d bytes", errUpstreamBad, maxUpstreamBody)
	case !json.Valid(body):
		return nil, fmt.Errorf("%w: body is not JSON", errUpstreamBad)
	}
	return body, nil
}

func classify(err error) error {
	if netErr, ok := errors.AsType[net.Error](err); ok && netErr.Timeout() ||
		errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %v", errUpstreamTimeout, err)
	}
	return fmt.Errorf("%w: %v", errUpstreamBad, err)
}

// handleFetchExternal relays the upstream's JSON: 504 when it is too slow, 502 when it fails.
func handleFetchExternal(logger *slog.Logger, upstream *Upstream, metrics *Metrics) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		done := metrics.Track("get", "external")
		body, err := upstream.Fetch(r.Context())
		done(err)
		switch {
		case errors.Is(err, errUpstreamTimeout):
			logFailure(logger, "fetch external", err)
			writeError(w, http.StatusGatewayTimeout, "upstream timed out")
		case err != nil:
			logFailure(logger, "fetch external", err)
			writeError(w, http.StatusBadGateway, "upstream failed")
		default:
			writeJSON(w, http.StatusOK, body)
		}
	})
}
