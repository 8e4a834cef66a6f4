//! `taichu bench …`: each benchmark prints its figures next to a baseline
//! measured in the same run, so a noisy machine shows as a noisy ratio.

pub mod api;
mod load;
mod replicas;
mod seed;
pub mod workflows;

/// The value at percentile `p` (0–100) of ascending `sorted`.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// A fresh directory under the system's temporary directory.
fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("taichu-bench-{}", taichu_storage::new_id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
