//! What a host must be before kubeadm touches it, read in one command:
//! OS and architecture, active swap, the clock, which required ports
//! already have a listener, and whether the kernel modules Kubernetes
//! networking needs are loaded or loadable. Checked with a reason per host.

use std::collections::BTreeSet;

/// Prints `key=value` facts. Only /proc, /sys and /etc are read (no `ss`
/// needed on the host); a module counts when loaded or when `modprobe -n`
/// (a dry run) finds it; otherwise modprobe's last word on it is kept
/// for the error.
pub const PREFLIGHT: &str = r#"
os=unknown; version=
if [ -r /etc/os-release ]; then . /etc/os-release; os=${ID:-unknown}; version=${VERSION_ID:-}; fi
echo "os=$os"
echo "os_version=$version"
echo "arch=$(uname -m)"
echo "kernel=$(uname -r)"
echo "swap=$(tail -n +2 /proc/swaps 2>/dev/null | wc -l | tr -d ' ')"
echo "time=$(date +%s)"
for file in /proc/net/tcp /proc/net/tcp6; do
  [ -r "$file" ] && awk 'NR > 1 && $4 == "0A" { n = split($2, a, ":"); print "listening=" a[n] }' "$file"
done
for module in br_netfilter overlay; do
  if [ -d "/sys/module/$module" ]; then
    echo "module=$module"
  elif said=$(modprobe -n "$module" 2>&1); then
    echo "module=$module"
  else
    echo "module_missing=$module:$(printf '%s' "$said" | tail -n 1 | cut -c 1-200)"
  fi
done
"#;

/// Ports a control plane needs free (API server, etcd, kubelet, controller manager, scheduler).
pub const CONTROL_PLANE_PORTS: &[u16] = &[6443, 2379, 2380, 10250, 10257, 10259];
/// Ports a worker needs free (kubelet).
pub const WORKER_PORTS: &[u16] = &[10250];
/// Kernel modules pod networking needs.
pub const MODULES: &[&str] = &["br_netfilter", "overlay"];
/// Architectures Kubernetes ships for.
const ARCHES: &[&str] = &["x86_64", "aarch64"];

/// What a host said about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostFacts {
    pub os: String,
    pub os_version: String,
    pub arch: String,
    pub kernel: String,
    /// Active swap devices.
    pub swap: u32,
    /// The host's clock, Unix seconds.
    pub time: i64,
    pub listening: BTreeSet<u16>,
    pub modules: BTreeSet<String>,
    /// What `modprobe -n` said about each module it could not find.
    pub module_errors: Vec<String>,
}

impl HostFacts {
    pub fn parse(output: &str) -> Result<Self, String> {
        let mut facts = HostFacts::default();
        let mut saw_time = false;
        for line in output.lines() {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            match key {
                "os" => facts.os = value.to_owned(),
                "os_version" => facts.os_version = value.to_owned(),
                "arch" => facts.arch = value.to_owned(),
                "kernel" => facts.kernel = value.to_owned(),
                "swap" => {
                    facts.swap = value
                        .trim()
                        .parse()
                        .map_err(|_| format!("unexpected swap count {value:?}"))?
                }
                "time" => {
                    facts.time = value
                        .trim()
                        .parse()
                        .map_err(|_| format!("unexpected clock {value:?}"))?;
                    saw_time = true;
                }
                "listening" => {
                    if let Ok(port) = u16::from_str_radix(value.trim(), 16) {
                        facts.listening.insert(port);
                    }
                }
                "module" => {
                    facts.modules.insert(value.to_owned());
                }
                "module_missing" => facts.module_errors.push(value.to_owned()),
                _ => {}
            }
        }
        if facts.arch.is_empty() || !saw_time {
            return Err("the host's answer is incomplete (no architecture or clock)".into());
        }
        Ok(facts)
    }

    /// Every reason this host cannot take a node, or none. `now` is our
    /// clock when the facts were read; `ports` those the node's role needs.
    pub fn problems(&self, now: i64, max_skew_secs: i64, ports: &[u16]) -> Vec<String> {
        let mut problems = Vec::new();
        if !ARCHES.contains(&self.arch.as_str()) {
            problems.push(format!(
                "architecture {} is not supported (x86_64 or aarch64)",
                self.arch
            ));
        }
        if self.swap > 0 {
            problems.push(format!(
                "{} swap device(s) active; the kubelet needs swap off (swapoff -a, and remove it from /etc/fstab)",
                self.swap
            ));
        }
        let skew = (self.time - now).abs();
        if skew > max_skew_secs {
            problems.push(format!(
                "the clock is {skew} s off (more than {max_skew_secs} s); certificates will fail, run NTP"
            ));
        }
        let busy: Vec<String> = ports
            .iter()
            .filter(|p| self.listening.contains(p))
            .map(u16::to_string)
            .collect();
        if !busy.is_empty() {
            problems.push(format!("port(s) {} already in use", busy.join(", ")));
        }
        let missing: Vec<&str> = MODULES.iter().copied().filter(|m| !self.modules.contains(*m)).collect();
        if !missing.is_empty() {
            let said = if self.module_errors.is_empty() {
                String::new()
            } else {
                let said: Vec<String> = self.module_errors.iter().map(|e| crate::upstream::tidy(e)).collect();
                format!(" (modprobe -n: {})", said.join("; "))
            };
            problems.push(format!(
                "kernel module(s) {} neither loaded nor available{said}",
                missing.join(", ")
            ));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use super::*;
    use crate::ssh::RemoteCommand;

    #[test]
    fn the_script_reads_a_real_host() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
        let port = listener.local_addr().expect("addr").port();
        let line = RemoteCommand::script(PREFLIGHT).to_shell().expect("line");
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(line)
            .output()
            .expect("sh");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let facts = HostFacts::parse(&String::from_utf8_lossy(&out.stdout)).expect("facts");
        assert_eq!(facts.arch, std::env::consts::ARCH);
        assert!(facts.listening.contains(&port), "{facts:?}");
        let now = chrono::Utc::now().timestamp();
        assert!((facts.time - now).abs() < 5);
        let problems = facts.problems(now, 5, &[port]);
        assert!(problems.iter().any(|p| p.contains(&port.to_string())), "{problems:?}");
    }

    #[test]
    fn each_problem_is_named() {
        let facts = HostFacts {
            arch: "s390x".into(),
            swap: 1,
            time: 1000,
            listening: [6443].into(),
            modules: ["overlay".to_owned()].into(),
            ..Default::default()
        };
        let problems = facts.problems(1100, 30, CONTROL_PLANE_PORTS);
        assert_eq!(problems.len(), 5, "{problems:?}");
        assert!(problems[0].contains("s390x"));
        assert!(problems[1].contains("swap"));
        assert!(problems[2].contains("100 s off"));
        assert!(problems[3].contains("6443"));
        assert!(problems[4].contains("br_netfilter"));
        let good = HostFacts {
            arch: "x86_64".into(),
            time: 1100,
            modules: MODULES.iter().map(|m| (*m).to_owned()).collect(),
            ..Default::default()
        };
        assert!(good.problems(1100, 30, CONTROL_PLANE_PORTS).is_empty());
        assert!(HostFacts::parse("os=debian\n").is_err(), "incomplete");
    }
}
