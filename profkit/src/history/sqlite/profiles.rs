//! The stored profiles: a run's whole profile as deflated JSON, inflated with a size limit.

use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;

/// A stored profile inflates to at most this (the limit of a profile file).
const MAX_PROFILE_BYTES: u64 = 1 << 30;

pub(crate) fn deflate(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc = DeflateEncoder::new(Vec::with_capacity(bytes.len() / 8), Compression::fast());
    enc.write_all(bytes)?;
    enc.finish()
}

pub(crate) fn inflate(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() * 8);
    DeflateDecoder::new(bytes)
        .take(MAX_PROFILE_BYTES + 1)
        .read_to_end(&mut out)?;
    if out.len() as u64 > MAX_PROFILE_BYTES {
        return Err(std::io::Error::other("it inflates to more than 1 GiB"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_deflate_and_inflate() {
        let text = b"{\"format\":\"profkit\"}".repeat(100);
        let packed = deflate(&text).unwrap();
        assert!(packed.len() < text.len() / 10);
        assert_eq!(inflate(&packed).unwrap(), text);
        assert!(inflate(b"\xff\xff not deflate").is_err());
    }
}
