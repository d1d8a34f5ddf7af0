package main

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the contract's Prometheus metrics (CONTRACT.md, "GET /metrics").
type Metrics struct {
	registry *prometheus.Registry
	duration *prometheus.HistogramVec
	errors   *prometheus.CounterVec
}

// operations are the {op, db} label pairs the contract wants present from startup.
var operations = [][2]string{
	{"insert", "postgres"},
	{"set", "memcache"},
	{"select", "postgres"},
	{"get", "external"},
	{"mix", "mysql"},
}

// poolStater is a connection pool that reports its maximum size and connections in use.
type poolStater interface {
	PoolStats() (size, inUse int)
}

// newMetrics registers the operation metrics and the gauges of pools, keyed by db label.
func newMetrics(pools map[string]poolStater) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "app_op_duration_seconds",
			Help:    "Duration of dependency operations.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"op", "db"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "app_op_errors_total",
			Help: "Failed dependency operations.",
		}, []string{"op", "db"}),
	}
	for _, labels := range operations {
		m.duration.WithLabelValues(labels[0], labels[1])
		m.errors.WithLabelValues(labels[0], labels[1])
	}
	m.registry.MustRegister(
		m.duration,
		m.errors,
		poolCollector{pools},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// Track starts timing one operation; call the returned func with its result when it ends.
// An operation abandoned because its client went away (context.Canceled) is no dependency
// failure, and is not counted as an error.
func (m *Metrics) Track(op, db string) func(error) {
	start := time.Now()
	return func(err error) {
		m.duration.WithLabelValues(op, db).Observe(time.Since(start).Seconds())
		if err != nil && !errors.Is(err, context.Canceled) {
			m.errors.WithLabelValues(op, db).Inc()
		}
	}
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

var (
	poolSizeDesc = prometheus.NewDesc("app_db_pool_size",
		"Maximum connections of the database pool.", []string{"db"}, nil)
	poolInUseDesc = prometheus.NewDesc("app_db_pool_in_use",
		"Connections of the database pool in use.", []string{"db"}, nil)
)

// poolCollector reads the pools' own statistics at scrape time, so nothing has to keep
// gauges up to date on the request path.
type poolCollector struct {
	pools map[string]poolStater
}

func (c poolCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- poolSizeDesc
	ch <- poolInUseDesc
}

func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	for db, pool := range c.pools {
		size, inUse := pool.PoolStats()
		ch <- prometheus.MustNewConstMetric(poolSizeDesc, prometheus.GaugeValue, float64(size), db)
		ch <- prometheus.MustNewConstMetric(poolInUseDesc, prometheus.GaugeValue, float64(inUse), db)
	}
}
