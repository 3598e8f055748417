// A syntax error in the body is the user's, and rustc reports it as usual.
#[profkit::profile]
fn broken() -> u32 {
    let x = ;
    x
}

fn main() {
    broken();
}
