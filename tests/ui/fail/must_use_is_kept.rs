// `#[must_use]` survives the expansion: ignoring the result is still an error here.
#![deny(unused_must_use)]

#[must_use = "the checksum is the point"]
#[profkit::profile]
fn checksum(data: &[u8]) -> u32 {
    data.iter().map(|&b| u32::from(b)).sum()
}

fn main() {
    checksum(b"abc");
}
