/// Doubles its argument.
#[profkit::profile]
macro_rules! double {
    ($x:expr) => {
        $x * 2
    };
}

fn main() {
    assert_eq!(double!(2), 4);
}
