//! The `gossip-lab` binary: the command line natively, the page on wasm32.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(gossip_lab::cli::main());
}

#[cfg(target_arch = "wasm32")]
fn main() {
    gossip_lab::ui::start();
}
