//! The `gossip-lab` binary: the command line natively, the page on wasm32.

/// Counts live bytes: the page sizes its checkpoints by them, the command line reports them.
#[global_allocator]
static ALLOC: gossip_lab::sim::mem::Counting = gossip_lab::sim::mem::Counting;

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(gossip_lab::cli::main());
}

#[cfg(target_arch = "wasm32")]
fn main() {
    gossip_lab::ui::start();
}
