//! What the benchmark binaries share: memory read from /proc and medians.

use anyhow::Context as _;

/// A `VmRSS:`/`VmHWM:`-style line of /proc/PID/status (`self` for this
/// process), in bytes.
pub fn proc_kib(pid: &str, field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .with_context(|| format!("{field} in /proc/{pid}/status"))?;
    let kib: u64 = line.split_whitespace().nth(1).context("value")?.parse()?;
    Ok(kib * 1024)
}

/// The median of `values` (the upper one of an even count).
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / 1048576.0
}

/// Starts `test-apiserver` (next to the running binary), writing its
/// kubeconfig to `kubeconfig` and seeded from `seed`; returns once it
/// serves. It is killed when the child is dropped.
pub async fn test_apiserver(
    kubeconfig: &std::path::Path,
    seed: Option<&std::path::Path>,
) -> anyhow::Result<tokio::process::Child> {
    use tokio::io::AsyncBufReadExt as _;
    let exe = std::env::current_exe()?.with_file_name("test-apiserver");
    let mut command = tokio::process::Command::new(&exe);
    command.arg("--kubeconfig-out").arg(kubeconfig);
    if let Some(seed) = seed {
        command.arg("--seed").arg(seed);
    }
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("start {}", exe.display()))?;
    let mut lines = tokio::io::BufReader::new(child.stdout.take().context("stdout")?).lines();
    lines.next_line().await?.context("test-apiserver printed no URL")?;
    Ok(child)
}
