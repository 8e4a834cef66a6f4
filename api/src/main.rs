// glibc's malloc spent a fifth of a busy API's CPU (arena locks between the
// runtime's threads and SQLite's, and consolidating freed rows); mimalloc's
// per-thread heaps do not contend.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    taichu_api::cli::main()
}
