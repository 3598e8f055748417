// `size` takes an expression, once, on a function.
#[profkit::profile(size)]
fn a(n: u64) -> u64 {
    n
}

#[profkit::profile(size = n, size = n)]
fn b(n: u64) -> u64 {
    n
}

struct S;

#[profkit::profile(size = 3)]
impl S {
    fn c(&self) {}
}

#[profkit::profile(size = n, skip)]
fn d(n: u64) -> u64 {
    n
}

fn main() {
    assert_eq!(a(1) + b(1) + d(1), 3);
    S.c();
}
