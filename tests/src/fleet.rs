//! Several `taichu api` and `taichu worker` processes on one database and
//! queue, which a test kills (`kill -9`) and starts again at will, and a
//! client that sends each request to an API process that is up, as a load
//! balancer would.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;

use crate::TestApp;
use crate::app::{Reply, WorkerProcess, spawn};

/// Which kind of process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Api,
    Worker,
}

/// The API processes' addresses; `None` while one is down.
#[derive(Debug, Clone, Default)]
pub struct Bases(Arc<RwLock<Vec<Option<String>>>>);

impl Bases {
    fn set(&self, index: usize, base: Option<String>) {
        let mut bases = self.0.write().unwrap_or_else(|e| e.into_inner());
        if bases.len() <= index {
            bases.resize(index + 1, None);
        }
        bases[index] = base;
    }

    /// An API process that is up, chosen by `n`.
    pub fn pick(&self, n: usize) -> Option<String> {
        let bases = self.0.read().unwrap_or_else(|e| e.into_inner());
        let up: Vec<&String> = bases.iter().flatten().collect();
        (!up.is_empty()).then(|| up[n % up.len()].clone())
    }
}

/// One start of a worker process: its name prefixes its worker id, so the
/// attempts it ran can be told from those of its successors.
#[derive(Debug)]
struct Incarnation {
    name: String,
    process: WorkerProcess,
}

/// The processes, with how often each kind was killed.
#[derive(Debug)]
pub struct Fleet {
    pub apis: Vec<TestApp>,
    workers: Vec<Option<Incarnation>>,
    /// Stopped workers, kept for their logs.
    dead: Vec<Incarnation>,
    /// Workers stopped with SIGTERM, and how long each took to exit.
    pub terminated: Vec<(String, Duration)>,
    worker_env: Vec<(String, String)>,
    bases: Bases,
    started: usize,
    pub kills: Vec<(Kind, usize, Duration)>,
    born: Instant,
}

impl Fleet {
    /// `apis` API processes and `workers` worker processes with `env` (which
    /// names the database and the queue), and `worker_env` for the workers.
    pub fn start(env: &[(&str, &str)], worker_env: &[(&str, &str)], apis: usize, workers: usize) -> Self {
        let bases = Bases::default();
        let apis: Vec<TestApp> = (0..apis).map(|_| spawn("api", env)).collect();
        for (i, api) in apis.iter().enumerate() {
            bases.set(i, Some(api.base.clone()));
        }
        let mut fleet = Self {
            apis,
            workers: Vec::new(),
            dead: Vec::new(),
            terminated: Vec::new(),
            worker_env: worker_env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            bases,
            started: 0,
            kills: Vec::new(),
            born: Instant::now(),
        };
        for _ in 0..workers {
            let worker = fleet.new_worker();
            fleet.workers.push(Some(worker));
        }
        fleet
    }

    /// A handle on the API addresses for clients.
    pub fn bases(&self) -> Bases {
        self.bases.clone()
    }

    fn new_worker(&mut self) -> Incarnation {
        self.started += 1;
        let name = format!("worker-{}", self.started);
        let mut env: Vec<(&str, &str)> = self.worker_env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        // The engine names its worker id after HOSTNAME.
        env.push(("HOSTNAME", &name));
        // A log per incarnation: a restarted worker must not overwrite its predecessor's.
        let process = self.apis[0].spawn_worker(&name, &env);
        Incarnation { name, process }
    }

    pub fn count(&self, kind: Kind) -> usize {
        match kind {
            Kind::Api => self.apis.len(),
            Kind::Worker => self.workers.len(),
        }
    }

    /// `kill -9` of process `index` of `kind`.
    pub fn kill(&mut self, kind: Kind, index: usize) {
        match kind {
            Kind::Api => {
                self.bases.set(index, None);
                self.apis[index].kill_hard();
            }
            Kind::Worker => {
                if let Some(mut worker) = self.workers[index].take() {
                    worker.process.kill_hard();
                    self.dead.push(worker);
                }
            }
        }
        self.kills.push((kind, index, self.born.elapsed()));
    }

    /// SIGTERM to worker `index`, as an orchestrator stops a pod; panics
    /// unless it exits within `grace`.
    pub fn terminate_worker(&mut self, index: usize, grace: Duration) {
        if let Some(mut worker) = self.workers[index].take() {
            let asked = Instant::now();
            let exited = worker.process.terminate(grace);
            assert!(
                exited,
                "{} did not exit within {grace:?} of SIGTERM:\n{}",
                worker.name,
                worker.process.log_text()
            );
            self.terminated.push((worker.name.clone(), asked.elapsed()));
            self.dead.push(worker);
        }
    }

    /// Starts process `index` of `kind` again.
    pub fn revive(&mut self, kind: Kind, index: usize) {
        match kind {
            Kind::Api => {
                self.apis[index].start_again(&[]);
                self.bases.set(index, Some(self.apis[index].base.clone()));
            }
            Kind::Worker => {
                let worker = self.new_worker();
                self.workers[index] = Some(worker);
            }
        }
    }

    /// Kills of `kind` so far.
    pub fn kills_of(&self, kind: Kind) -> usize {
        self.kills.iter().filter(|(k, _, _)| *k == kind).count()
    }

    /// Every process is up and still running; else what is not.
    pub fn all_running(&mut self) -> Result<(), String> {
        let mut down = Vec::new();
        for (i, api) in self.apis.iter_mut().enumerate() {
            if !api.is_running() {
                down.push(format!("api {i}:\n{}", api.log()));
            }
        }
        for (i, worker) in self.workers.iter_mut().enumerate() {
            match worker {
                Some(w) => {
                    if !w.process.is_running() {
                        down.push(format!("{} (worker {i}):\n{}", w.name, w.process.log_text()));
                    }
                }
                None => down.push(format!("worker {i} was not started again")),
            }
        }
        if down.is_empty() {
            Ok(())
        } else {
            Err(down.join("\n---\n"))
        }
    }

    /// Every process's log, the killed ones' included, for a failure message.
    pub fn logs(&self) -> String {
        let mut logs: Vec<String> = self.apis.iter().map(TestApp::log).collect();
        logs.extend(
            self.workers
                .iter()
                .flatten()
                .chain(&self.dead)
                .map(|w| format!("{}:\n{}", w.name, w.process.log_text())),
        );
        logs.join("\n---\n")
    }
}

/// How a request ended when its API process may have died under it.
#[derive(Debug)]
pub enum Sent {
    Answered(Reply),
    /// The request left, the answer never came: it may or may not have taken effect.
    Lost(String),
}

/// Sends requests to whichever API process is up.
#[derive(Debug, Clone)]
pub struct Client {
    bases: Bases,
    client: reqwest::Client,
    token: String,
}

impl Client {
    pub fn new(bases: Bases, token: &str) -> Self {
        Self {
            bases,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
            token: token.to_owned(),
        }
    }

    /// Sends once to an API process that is up. A refused connection (the
    /// process died before the request left) is tried again elsewhere; a
    /// request cut off after it left is `Lost`.
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Sent {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut n = rand::random::<u32>() as usize;
        loop {
            n += 1;
            let Some(base) = self.bases.pick(n) else {
                assert!(Instant::now() < deadline, "no API process came back within 60 s");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let mut request = self
                .client
                .request(method.clone(), format!("{base}/api/v1{path}"))
                .bearer_auth(&self.token);
            if let Some(body) = &body {
                request = request.json(body);
            }
            match request.send().await {
                Ok(response) => return Sent::Answered(TestApp::reply(response).await),
                Err(err) if err.is_connect() && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(err) => return Sent::Lost(err.to_string()),
            }
        }
    }

    /// A read, tried again until an API process answers it.
    pub async fn get(&self, path: &str) -> Reply {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match self.send(Method::GET, path, None).await {
                Sent::Answered(reply) if reply.status.as_u16() < 500 => return reply,
                other => {
                    assert!(Instant::now() < deadline, "GET {path} never answered: {other:?}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
}
