package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestTrackCountsFailuresButNotAbandonedRequests(t *testing.T) {
	m := newMetrics(nil)
	m.Track("get", "external")(nil)
	m.Track("get", "external")(errors.New("refused"))
	m.Track("get", "external")(fmt.Errorf("fetch: %w", context.Canceled))

	body := scrape(t, m)
	for _, line := range []string{
		`app_op_duration_seconds_count{db="external",op="get"} 3`,
		`app_op_errors_total{db="external",op="get"} 1`,
	} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("metrics lack %q", line)
		}
	}
}
