//! The load generator: a fixed number of connections each sending the next
//! request as soon as the last one is answered (closed loop), or requests
//! started at fixed rates whatever the answers do (open loop).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio::time::MissedTickBehavior;

use super::percentile;

/// Builds the `n`th request of an operation against one replica's base URL.
pub type MakeRequest = Arc<dyn Fn(&reqwest::Client, &str, u64) -> reqwest::RequestBuilder + Send + Sync>;

/// What one operation measured.
#[derive(Debug, Default)]
pub struct Stats {
    pub requests: usize,
    pub errors: usize,
    /// Requests an open-loop run could not start because too many were in flight.
    pub dropped: usize,
    pub first_error: Option<String>,
    pub elapsed: Duration,
    /// Milliseconds, ascending once [`Stats::finish`] ran.
    latencies: Vec<f64>,
}

impl Stats {
    fn record(&mut self, latency: Duration, outcome: Result<(), String>) {
        self.requests += 1;
        self.latencies.push(latency.as_secs_f64() * 1000.0);
        if let Err(err) = outcome {
            self.errors += 1;
            self.first_error.get_or_insert(err);
        }
    }

    fn merge(&mut self, other: Stats) {
        self.requests += other.requests;
        self.errors += other.errors;
        self.dropped += other.dropped;
        self.latencies.extend(other.latencies);
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    fn finish(mut self, elapsed: Duration) -> Self {
        self.latencies.sort_by(f64::total_cmp);
        self.elapsed = elapsed;
        self
    }

    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    pub fn p50(&self) -> f64 {
        percentile(&self.latencies, 50.0)
    }

    pub fn p99(&self) -> f64 {
        percentile(&self.latencies, 99.0)
    }

    pub fn max(&self) -> f64 {
        self.latencies.last().copied().unwrap_or(f64::NAN)
    }
}

/// A client holding at most one idle connection, so `n` of them are `n` connections.
fn one_connection_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .timeout(Duration::from_secs(30))
        .build()?)
}

/// Sends one request and reads the whole answer; an error names the status and the start of the body.
async fn exchange(request: reqwest::RequestBuilder) -> Result<(), String> {
    let response = request.send().await.map_err(|e| format!("request failed: {e}"))?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| format!("reading the answer: {e}"))?;
    if status.is_success() {
        Ok(())
    } else {
        let text = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
        Err(format!("{status}: {text}"))
    }
}

/// `connections` connections, spread over `bases`, each sending requests back
/// to back for `duration`.
pub async fn closed_loop(
    bases: &[String],
    connections: usize,
    duration: Duration,
    make: MakeRequest,
) -> anyhow::Result<Stats> {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for c in 0..connections {
        let client = one_connection_client()?;
        let base = bases[c % bases.len()].clone();
        let make = make.clone();
        tasks.push(tokio::spawn(async move {
            let mut stats = Stats::default();
            let mut n = c as u64;
            while Instant::now() < deadline {
                let sent = Instant::now();
                let outcome = exchange(make(&client, &base, n)).await;
                stats.record(sent.elapsed(), outcome);
                n += connections as u64;
            }
            stats
        }));
    }
    let mut total = Stats::default();
    for task in tasks {
        total.merge(task.await?);
    }
    Ok(total.finish(started.elapsed()))
}

/// One operation of an open-loop profile.
pub struct Rate {
    pub name: &'static str,
    pub per_second: u32,
    pub make: MakeRequest,
}

/// Starts each operation at its fixed rate for `duration`, whatever the
/// answers do. Latency counts from when a request was due, not when it was
/// sent, so a stalled server shows as latency rather than as fewer requests.
pub async fn open_loop(
    bases: &[String],
    rates: Vec<Rate>,
    duration: Duration,
) -> anyhow::Result<Vec<(&'static str, Stats)>> {
    const MAX_IN_FLIGHT: usize = 1024;
    let clients: Vec<reqwest::Client> = bases
        .iter()
        .map(|_| reqwest::Client::builder().timeout(Duration::from_secs(30)).build())
        .collect::<Result<_, _>>()?;
    let in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let started = Instant::now();
    let mut schedulers = Vec::new();
    for rate in rates {
        let (clients, bases, in_flight) = (clients.clone(), bases.to_vec(), in_flight.clone());
        schedulers.push(tokio::spawn(async move {
            let stats = Arc::new(Mutex::new(Stats::default()));
            let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate.per_second.max(1))));
            ticks.set_missed_tick_behavior(MissedTickBehavior::Burst);
            let mut requests = Vec::new();
            let mut n = 0u64;
            loop {
                let due = ticks.tick().await;
                if due.into_std() >= started + duration {
                    break;
                }
                let Ok(permit) = in_flight.clone().try_acquire_owned() else {
                    stats.lock().expect("stats").dropped += 1;
                    continue;
                };
                let replica = (n as usize) % bases.len();
                let request = (rate.make)(&clients[replica], &bases[replica], n);
                let stats = stats.clone();
                requests.push(tokio::spawn(async move {
                    let outcome = exchange(request).await;
                    stats.lock().expect("stats").record(due.elapsed(), outcome);
                    drop(permit);
                }));
                n += 1;
            }
            for request in requests {
                let _ = request.await;
            }
            let stats = std::mem::take(&mut *stats.lock().expect("stats"));
            (rate.name, stats.finish(duration))
        }));
    }
    let mut results = Vec::new();
    for scheduler in schedulers {
        results.push(scheduler.await?);
    }
    Ok(results)
}
