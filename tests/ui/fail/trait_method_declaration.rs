trait Number {
    /// The value as a `u32`.
    #[profkit::profile]
    fn as_u32(self) -> u32;
}

impl Number for u8 {
    fn as_u32(self) -> u32 {
        u32::from(self)
    }
}

fn main() {
    assert_eq!(7u8.as_u32(), 7);
}
