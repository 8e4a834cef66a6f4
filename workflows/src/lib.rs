//! The workflow engine and the adapters to the outside world.
//!
//! Nothing lives here yet: the engine is the next piece of work (see the
//! project's issue on durable workflows). The crate exists so that the
//! dependency direction `storage <- workflows <- workers <- api` holds from
//! the first commit.
