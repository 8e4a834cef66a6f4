//! Login and registration throttling: attempts per client address, failures
//! per username. Counts live in each API process (fixed windows), so with N
//! replicas a client gets at most N times the limit; that still turns a
//! password-guessing run from millions of tries an hour into a handful.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Entries kept before expired ones are swept out.
const SWEEP_AT: usize = 10_000;

/// The limits, from configuration.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Login attempts per client address per minute.
    pub logins_per_minute: u32,
    /// Failed logins per username per 15 minutes before it is paused.
    pub failures_per_user: u32,
    /// Registrations per client address per hour.
    pub registrations_per_hour: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Login(IpAddr),
    Failures(String),
    Register(IpAddr),
}

#[derive(Debug)]
struct Window {
    started: Instant,
    count: u32,
    /// The first refusal of a window is reported (audited), later ones not.
    reported: bool,
}

/// A refusal: when to come back, and whether this is the burst's first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub retry_after: Duration,
    pub first: bool,
    pub reason: String,
}

/// The counters of one API process.
#[derive(Debug)]
pub struct Throttle {
    limits: Limits,
    windows: Mutex<HashMap<Key, Window>>,
}

impl Throttle {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one event for `key`; refuses once the window holds `limit`.
    fn hit(
        &self,
        key: Key,
        limit: u32,
        period: Duration,
        count: bool,
        reason: impl FnOnce() -> String,
    ) -> Result<(), Refusal> {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() >= SWEEP_AT {
            windows.retain(|k, w| now.duration_since(w.started) < Self::period_of(k));
        }
        let window = windows.entry(key).or_insert(Window {
            started: now,
            count: 0,
            reported: false,
        });
        if now.duration_since(window.started) >= period {
            *window = Window {
                started: now,
                count: 0,
                reported: false,
            };
        }
        if window.count >= limit {
            let first = !window.reported;
            window.reported = true;
            return Err(Refusal {
                retry_after: period
                    .saturating_sub(now.duration_since(window.started))
                    .max(Duration::from_secs(1)),
                first,
                reason: reason(),
            });
        }
        if count {
            window.count += 1;
        }
        Ok(())
    }

    fn period_of(key: &Key) -> Duration {
        match key {
            Key::Login(_) => Duration::from_secs(60),
            Key::Failures(_) => Duration::from_secs(15 * 60),
            Key::Register(_) => Duration::from_secs(3600),
        }
    }

    /// Before a login attempt from `ip` for `username`.
    pub fn before_login(&self, ip: Option<IpAddr>, username: &str) -> Result<(), Refusal> {
        let name = username.to_lowercase();
        let failures = Key::Failures(name.clone());
        let period = Self::period_of(&failures);
        self.hit(failures, self.limits.failures_per_user, period, false, || {
            format!(
                "too many failed logins for '{name}'; paused for {} minutes",
                period.as_secs() / 60
            )
        })?;
        if let Some(ip) = ip {
            let key = Key::Login(ip);
            let period = Self::period_of(&key);
            self.hit(key, self.limits.logins_per_minute, period, true, || {
                format!("too many login attempts from {ip}")
            })?;
        }
        Ok(())
    }

    /// After a failed login for `username`.
    pub fn login_failed(&self, username: &str) {
        let key = Key::Failures(username.to_lowercase());
        let period = Self::period_of(&key);
        let _ = self.hit(key, u32::MAX, period, true, String::new);
    }

    /// After a successful login: the username's failures are forgotten.
    pub fn login_succeeded(&self, username: &str) {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        windows.remove(&Key::Failures(username.to_lowercase()));
    }

    /// Before a registration from `ip`.
    pub fn before_register(&self, ip: Option<IpAddr>) -> Result<(), Refusal> {
        let Some(ip) = ip else { return Ok(()) };
        let key = Key::Register(ip);
        let period = Self::period_of(&key);
        self.hit(key, self.limits.registrations_per_hour, period, true, || {
            format!("too many registrations from {ip}")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle() -> Throttle {
        Throttle::new(Limits {
            logins_per_minute: 3,
            failures_per_user: 2,
            registrations_per_hour: 1,
        })
    }

    #[test]
    fn attempts_per_address_are_limited() {
        let t = throttle();
        let ip = Some("10.0.0.1".parse().expect("ip"));
        for _ in 0..3 {
            t.before_login(ip, "a").expect("allowed");
        }
        let refusal = t.before_login(ip, "a").expect_err("limited");
        assert!(refusal.first);
        assert!(refusal.retry_after <= Duration::from_secs(60));
        assert!(!t.before_login(ip, "a").expect_err("still").first, "reported once");
        t.before_login(Some("10.0.0.2".parse().expect("ip")), "a")
            .expect("another address");
    }

    #[test]
    fn failures_pause_a_username_until_a_success() {
        let t = throttle();
        t.login_failed("Bob");
        t.login_failed("bob");
        assert!(
            t.before_login(None, "BOB")
                .expect_err("paused")
                .reason
                .contains("'bob'")
        );
        t.login_succeeded("bob");
        t.before_login(None, "bob").expect("cleared");
    }

    #[test]
    fn registrations_per_address() {
        let t = throttle();
        let ip = Some("10.0.0.3".parse().expect("ip"));
        t.before_register(ip).expect("first");
        t.before_register(ip).expect_err("second");
    }
}
