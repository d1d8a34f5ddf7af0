//! Prometheus metrics of the contract: per-operation latency and errors, and pool gauges.

use std::{future::Future, time::Instant};

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

/// The operations the contract measures, each with its `{op, db}` label pair.
#[derive(Clone, Copy, Debug)]
pub enum Op {
    InsertPostgres,
    SetMemcache,
    SelectPostgres,
    GetExternal,
    MixMysql,
}

impl Op {
    const ALL: [Op; 5] = [
        Op::InsertPostgres,
        Op::SetMemcache,
        Op::SelectPostgres,
        Op::GetExternal,
        Op::MixMysql,
    ];

    fn labels(self) -> [&'static str; 2] {
        match self {
            Op::InsertPostgres => ["insert", "postgres"],
            Op::SetMemcache => ["set", "memcache"],
            Op::SelectPostgres => ["select", "postgres"],
            Op::GetExternal => ["get", "external"],
            Op::MixMysql => ["mix", "mysql"],
        }
    }
}

pub struct Metrics {
    registry: Registry,
    /// Children of the two vectors resolved once, indexed by `Op as usize`, so that recording
    /// is two atomic updates with no label lookup.
    durations: [Histogram; 5],
    errors: [IntCounter; 5],
    pool_size: IntGaugeVec,
    pool_in_use: IntGaugeVec,
}

impl Metrics {
    pub fn new() -> Self {
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "app_op_duration_seconds",
                "Duration of dependency operations",
            ),
            &["op", "db"],
        )
        .expect("valid histogram");
        let errors = IntCounterVec::new(
            Opts::new("app_op_errors_total", "Failed dependency operations"),
            &["op", "db"],
        )
        .expect("valid counter");
        let pool_size = IntGaugeVec::new(
            Opts::new(
                "app_db_pool_size",
                "Configured maximum connections of the pool",
            ),
            &["db"],
        )
        .expect("valid gauge");
        let pool_in_use = IntGaugeVec::new(
            Opts::new(
                "app_db_pool_in_use",
                "Connections of the pool checked out right now",
            ),
            &["db"],
        )
        .expect("valid gauge");

        let registry = Registry::new();
        // The standard process_* series (CPU seconds, resident memory, open fds, start time),
        // which the Grafana dashboard's CPU and memory panels read for every service.
        #[cfg(target_os = "linux")]
        registry
            .register(Box::new(
                prometheus::process_collector::ProcessCollector::for_self(),
            ))
            .expect("process metrics register once");
        for collector in [
            Box::new(duration.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(errors.clone()),
            Box::new(pool_size.clone()),
            Box::new(pool_in_use.clone()),
        ] {
            registry
                .register(collector)
                .expect("metric names are unique");
        }

        // Resolving every label pair now makes all of them visible, at zero, from startup.
        Self {
            durations: Op::ALL.map(|op| duration.with_label_values(&op.labels())),
            errors: Op::ALL.map(|op| errors.with_label_values(&op.labels())),
            registry,
            pool_size,
            pool_in_use,
        }
    }

    /// Runs `operation`, recording its duration and, if it fails, an error.
    pub async fn track<T, E>(
        &self,
        op: Op,
        operation: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        let started = Instant::now();
        let result = operation.await;
        self.durations[op as usize].observe(started.elapsed().as_secs_f64());
        if result.is_err() {
            self.errors[op as usize].inc();
        }
        result
    }

    pub fn set_pool(&self, db: &str, size: usize, in_use: usize) {
        self.pool_size.with_label_values(&[db]).set(size as i64);
        self.pool_in_use.with_label_values(&[db]).set(in_use as i64);
    }

    /// The registry in Prometheus text format.
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buffer)
            .expect("encoding to a Vec cannot fail");
        String::from_utf8(buffer).expect("the text format is UTF-8")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
