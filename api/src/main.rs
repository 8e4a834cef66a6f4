fn main() -> anyhow::Result<()> {
    taichu_api::cli::main()
}
