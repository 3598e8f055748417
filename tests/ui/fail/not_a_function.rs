/// What the program was started with.
#[profkit::profile]
struct Config {
    verbose: bool,
}

fn main() {
    let c = Config { verbose: true };
    assert!(c.verbose);
}
