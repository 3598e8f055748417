//! A reader for the subset of Python's `marshal` format that pstats files use
//! (`../shared/pstats-format.md` sections 4 and 5), including back-references.
//!
//! Every value remembers the byte offset it starts at, so the pstats reader can say where a
//! file is wrong. Nothing is allocated beyond what the input holds: a length is checked against
//! the bytes that remain before anything is reserved, and nesting is limited.

use std::fmt;

/// How deep tuples and dicts may nest (pstats needs 4).
const MAX_DEPTH: usize = 32;

/// A decoded value and the offset of its type byte.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Value {
    pub(crate) offset: usize,
    pub(crate) kind: Kind,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Kind {
    None,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Tuple(Vec<Value>),
    List(Vec<Value>),
    Dict(Vec<(Value, Value)>),
}

impl Kind {
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Kind::None => "None",
            Kind::Bool(_) => "a bool",
            Kind::Int(_) => "an int",
            Kind::Float(_) => "a float",
            Kind::Str(_) => "a str",
            Kind::Tuple(_) => "a tuple",
            Kind::List(_) => "a list",
            Kind::Dict(_) => "a dict",
        }
    }
}

/// What is wrong at a byte offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MarshalError {
    pub(crate) offset: usize,
    pub(crate) message: String,
}

impl fmt::Display for MarshalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at byte {}: {}", self.offset, self.message)
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Objects flagged for back-reference, in the order they were started (`None` while a
    /// container is still being read), with the number of values each holds.
    refs: Vec<Option<(Value, usize)>>,
    /// Values that may still be produced. A back-reference copies its value, so nested
    /// references could otherwise expand a few kilobytes into gigabytes.
    budget: usize,
}

/// Values a file may decode to, per byte of input (a pstats file needs about one).
const VALUES_PER_BYTE: usize = 8;

/// Decodes one value from the start of `bytes`; the rest must be empty.
pub(crate) fn decode(bytes: &[u8]) -> Result<Value, MarshalError> {
    let mut r = Reader {
        bytes,
        pos: 0,
        refs: Vec::new(),
        budget: bytes
            .len()
            .saturating_mul(VALUES_PER_BYTE)
            .saturating_add(1024),
    };
    let v = r.value(0)?;
    if r.pos != bytes.len() {
        return Err(r.error(
            r.pos,
            format!("{} bytes after the end of the data", bytes.len() - r.pos),
        ));
    }
    Ok(v)
}

impl Reader<'_> {
    fn error(&self, offset: usize, message: impl Into<String>) -> MarshalError {
        MarshalError {
            offset,
            message: message.into(),
        }
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&[u8], MarshalError> {
        let start = self.pos;
        match self.bytes.get(start..start.saturating_add(n)) {
            Some(s) if start.checked_add(n).is_some() => {
                self.pos += n;
                Ok(s)
            }
            _ => Err(self.error(
                start,
                format!(
                    "truncated: {what} needs {n} bytes, {} remain",
                    self.bytes.len().saturating_sub(start)
                ),
            )),
        }
    }

    fn u8(&mut self, what: &str) -> Result<u8, MarshalError> {
        Ok(self.take(1, what)?[0])
    }

    fn i32(&mut self, what: &str) -> Result<i32, MarshalError> {
        let b = self.take(4, what)?;
        Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A length that must fit in what remains, at `min_each` bytes per element.
    fn len(&mut self, what: &str, min_each: usize) -> Result<usize, MarshalError> {
        let at = self.pos;
        let n = self.i32(what)?;
        let n = usize::try_from(n).map_err(|_| self.error(at, format!("negative {what}: {n}")))?;
        let remaining = self.bytes.len() - self.pos;
        if n.saturating_mul(min_each) > remaining {
            return Err(self.error(
                at,
                format!("{what} {n} is beyond the end of the data ({remaining} bytes remain)"),
            ));
        }
        Ok(n)
    }

    fn value(&mut self, depth: usize) -> Result<Value, MarshalError> {
        let offset = self.pos;
        if depth > MAX_DEPTH {
            return Err(self.error(offset, "values nested too deeply"));
        }
        if self.budget == 0 {
            return Err(self.error(
                offset,
                "the data expands to too many values (back-references)",
            ));
        }
        self.budget -= 1;
        let budget_before = self.budget;
        let code = self.u8("a type code")?;
        let flagged = code & 0x80 != 0;
        let code = code & 0x7f;
        // A flagged value takes its reference index before its contents are read.
        let slot = if flagged && code != b'r' {
            self.refs.push(None);
            Some(self.refs.len() - 1)
        } else {
            None
        };
        let kind = match code {
            b'N' => Kind::None,
            b'T' => Kind::Bool(true),
            b'F' => Kind::Bool(false),
            b'i' => Kind::Int(i128::from(self.i32("an int")?)),
            b'l' => {
                let at = self.pos;
                let n = self.i32("a big int's size")?;
                let digits = n.unsigned_abs() as usize;
                if digits > 8 || digits * 2 > self.bytes.len() - self.pos {
                    return Err(self.error(at, format!("big int of {digits} digits is too large")));
                }
                let mut v: i128 = 0;
                for i in 0..digits {
                    let b = self.take(2, "a big int digit")?;
                    v |= i128::from(u16::from_le_bytes([b[0], b[1]])) << (15 * i);
                }
                Kind::Int(if n < 0 { -v } else { v })
            }
            b'g' => {
                let b = self.take(8, "a float")?;
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                Kind::Float(f64::from_le_bytes(a))
            }
            b'f' => {
                let n = usize::from(self.u8("a float's length")?);
                let at = self.pos;
                let text = self.take(n, "a float's text")?;
                let parsed = std::str::from_utf8(text)
                    .ok()
                    .and_then(|t| t.parse::<f64>().ok());
                Kind::Float(parsed.ok_or_else(|| self.error(at, "a float's text does not parse"))?)
            }
            b'z' | b'Z' => {
                let n = usize::from(self.u8("a string's length")?);
                Kind::Str(
                    self.take(n, "a string")?
                        .iter()
                        .map(|&b| char::from(b))
                        .collect(),
                )
            }
            b'a' | b'A' => {
                let n = self.len("string length", 1)?;
                Kind::Str(
                    self.take(n, "a string")?
                        .iter()
                        .map(|&b| char::from(b))
                        .collect(),
                )
            }
            b'u' | b't' => {
                let n = self.len("string length", 1)?;
                let at = self.pos;
                let text = std::str::from_utf8(self.take(n, "a string")?).map(str::to_owned);
                Kind::Str(text.map_err(|e| self.error(at, format!("a string is not UTF-8: {e}")))?)
            }
            b')' => {
                let n = usize::from(self.u8("a tuple's length")?);
                Kind::Tuple(self.items(n, depth)?)
            }
            b'(' => {
                let n = self.len("tuple length", 1)?;
                Kind::Tuple(self.items(n, depth)?)
            }
            b'[' => {
                let n = self.len("list length", 1)?;
                Kind::List(self.items(n, depth)?)
            }
            b'{' => {
                let mut pairs = Vec::new();
                loop {
                    if self.bytes.get(self.pos) == Some(&b'0') {
                        self.pos += 1;
                        break;
                    }
                    let k = self.value(depth + 1)?;
                    let v = self.value(depth + 1)?;
                    pairs.push((k, v));
                }
                Kind::Dict(pairs)
            }
            b'r' => {
                let at = self.pos;
                let index = self.i32("a reference")?;
                let found = usize::try_from(index)
                    .ok()
                    .and_then(|i| self.refs.get(i))
                    .and_then(Option::as_ref);
                let Some((value, size)) = found else {
                    return Err(self.error(at, format!("reference {index} to no earlier value")));
                };
                // Checked before the copy is made.
                if *size > self.budget {
                    return Err(
                        self.error(at, "the data expands to too many values (back-references)")
                    );
                }
                let value = value.clone();
                self.budget -= size;
                return Ok(Value { offset, ..value });
            }
            other => {
                return Err(self.error(
                    offset,
                    format!(
                        "type code {:?} (0x{other:02x}) is not one a pstats file holds",
                        char::from(other)
                    ),
                ));
            }
        };
        let value = Value { offset, kind };
        if let Some(slot) = slot {
            let size = budget_before - self.budget + 1;
            self.refs[slot] = Some((value.clone(), size));
        }
        Ok(value)
    }

    fn items(&mut self, n: usize, depth: usize) -> Result<Vec<Value>, MarshalError> {
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(self.value(depth + 1)?);
        }
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_specs_worked_example_with_and_without_references() {
        // marshal.dumps({("x.rs", 1, "main"): (1, 1, 0.25, 1.0, {})}) with references.
        let with_refs: Vec<u8> = [
            &[0xfb, 0xa9, 0x03, 0xfa, 0x04][..],
            b"x.rs",
            &[0xe9, 1, 0, 0, 0, 0xda, 0x04],
            b"main",
            &[0x29, 0x05, 0x72, 3, 0, 0, 0, 0x72, 3, 0, 0, 0],
            &[0x67, 0, 0, 0, 0, 0, 0, 0xd0, 0x3f],
            &[0x67, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f],
            &[0x7b, 0x30, 0x30],
        ]
        .concat();
        let v = decode(&with_refs).unwrap();
        let Kind::Dict(pairs) = v.kind else { panic!() };
        let (key, entry) = &pairs[0];
        let Kind::Tuple(k) = &key.kind else { panic!() };
        assert_eq!(k[0].kind, Kind::Str("x.rs".into()));
        assert_eq!(k[1].kind, Kind::Int(1));
        let Kind::Tuple(e) = &entry.kind else {
            panic!()
        };
        assert_eq!((&e[0].kind, &e[1].kind), (&Kind::Int(1), &Kind::Int(1)));
        assert_eq!(e[2].kind, Kind::Float(0.25));
    }

    #[test]
    fn bad_input_is_an_error_at_an_offset() {
        assert_eq!(decode(&[]).unwrap_err().offset, 0);
        let e = decode(&[b'a', 0xff, 0xff, 0xff, 0x7f]).unwrap_err();
        assert_eq!(e.offset, 1);
        assert!(e.message.contains("beyond the end"), "{e}");
        let e = decode(&[b'r', 5, 0, 0, 0]).unwrap_err();
        assert!(e.message.contains("reference 5"), "{e}");
        let e = decode(b"X").unwrap_err();
        assert!(e.message.contains("0x58"), "{e}");
        let deep: Vec<u8> = std::iter::repeat_n([b')', 1], 100)
            .flatten()
            .chain([b'N'])
            .collect();
        assert!(
            decode(&deep)
                .unwrap_err()
                .message
                .contains("nested too deeply")
        );
    }
}
