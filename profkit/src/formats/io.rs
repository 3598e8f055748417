//! Files on disk: every profile file is written through [`write_atomic`] and read through
//! [`read_bounded`].

use std::ffi::OsString;
use std::fs;
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{ReadError, WriteError};

/// Files larger than this are refused before they are read.
pub(crate) const MAX_FILE_BYTES: u64 = 1 << 30;

/// Reads a whole file, refusing one larger than any profile can be before reading it.
pub(crate) fn read_bounded(path: &Path) -> Result<Vec<u8>, ReadError> {
    let len = std::fs::metadata(path)
        .map_err(|e| ReadError::io(path, e))?
        .len();
    if len > MAX_FILE_BYTES {
        return Err(ReadError::new(format!(
            "{len} bytes is more than a profile can be (the limit is {MAX_FILE_BYTES})"
        ))
        .in_file(path));
    }
    std::fs::read(path).map_err(|e| ReadError::io(path, e))
}

/// Reads a whole stream (standard input, a pipe), refusing one larger than any profile can
/// be as soon as it has read that much.
pub(crate) fn read_bounded_from(reader: impl io::Read) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::from_io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ReadError::new(format!(
            "more than {MAX_FILE_BYTES} bytes: more than a profile can be"
        )));
    }
    Ok(bytes)
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so
/// the path holds either its old content or the whole new one.
///
/// A path that exists and is not a regular file (a device such as `/dev/stdout`, a named
/// pipe) is written in place: renaming over it would replace the device with a file. Every
/// profile file profkit writes goes through it; it is public for what a program or the `profkit`
/// command line writes beside them (a folded stack, a chart).
///
/// # Errors
/// A [`WriteError`](crate::WriteError) that names the path and says why.
///
/// ```
/// let path = std::env::temp_dir().join(format!("profkit-doc-{}.txt", std::process::id()));
/// profkit::write_atomic(&path, b"a;b 1\n").unwrap();
/// assert_eq!(std::fs::read(&path).unwrap(), b"a;b 1\n");
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let err = |e| WriteError::new(path, e);
    if fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        return fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|mut f| f.write_all(bytes).and_then(|()| f.flush()))
            .map_err(err);
    }
    let name = path.file_name().ok_or_else(|| {
        err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the path names no file",
        ))
    })?;
    // Unique per write, so that writers of one path never share a temporary file.
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let mut tmp_name = OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(
        ".profkit-{}-{}.tmp",
        std::process::id(),
        WRITES.fetch_add(1, Ordering::Relaxed)
    ));
    let tmp = path.with_file_name(tmp_name);
    let result = (|| {
        let mut file = fs::File::create_new(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(err(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_named_pipes_are_written_in_place_not_replaced() {
        let dir = std::env::temp_dir().join(format!("profkit-fifo-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("pipe.json");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || fs::read(&fifo).unwrap())
        };
        write_atomic(&fifo, b"{}\n").unwrap();
        assert_eq!(reader.join().unwrap(), b"{}\n");
        assert!(!fs::metadata(&fifo).unwrap().is_file(), "still a pipe");
        fs::remove_dir_all(&dir).unwrap();
        // A device that refuses the bytes is an error naming it, and stays a device.
        let full = Path::new("/dev/full");
        let e = write_atomic(full, b"x").unwrap_err();
        assert!(e.to_string().starts_with("cannot write /dev/full: "), "{e}");
        assert!(!fs::metadata(full).unwrap().is_file());
    }

    #[test]
    fn a_stream_is_read_whole_up_to_the_bound() {
        assert_eq!(read_bounded_from(&b"{}"[..]).unwrap(), b"{}");
        let endless = io::repeat(b' ');
        let e = read_bounded_from(endless).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("more than {MAX_FILE_BYTES} bytes: more than a profile can be")
        );
    }

    #[test]
    fn atomic_write_replaces_the_file_and_leaves_no_temporary() {
        let dir = std::env::temp_dir().join(format!("profkit-unit-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("r.txt");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        let e = write_atomic(&dir.join("missing/r.txt"), b"x").unwrap_err();
        assert_eq!(e.io_error().kind(), io::ErrorKind::NotFound);
        fs::remove_dir_all(&dir).unwrap();
    }
}
