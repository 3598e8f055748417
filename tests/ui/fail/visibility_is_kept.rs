// Visibility survives the expansion: a private function stays private.
mod store {
    #[profkit::profile]
    fn secret() -> u32 {
        42
    }

    #[profkit::profile]
    pub fn public() -> u32 {
        secret()
    }
}

fn main() {
    assert_eq!(store::public(), 42);
    assert_eq!(store::secret(), 42);
}
