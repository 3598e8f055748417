// A scope guard lives on one thread's call tree, so it is !Send: holding one across an
// `.await` makes the future !Send, and a multi-threaded executor rejects it at compile time.
async fn tick() {}

async fn handler() {
    profkit::profile_scope!("handler");
    tick().await;
}

fn spawn<F: std::future::Future + Send>(_: F) {}

fn main() {
    spawn(handler());
}
