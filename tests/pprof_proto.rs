//! The pprof encoder's types are generated from `profile.proto` (google/pprof's, kept beside
//! them as the contract) and checked in, so that building profkit needs neither `protoc` nor a
//! protobuf compiler. This test compiles the `.proto` again, in pure Rust (protox parses it,
//! prost-build generates the code), and requires the checked-in file to be exactly that.
//!
//! After changing `profile.proto` or upgrading prost, regenerate with
//! `PROFKIT_REGENERATE=1 cargo test -p profkit-suite --test pprof_proto` and commit the result.

use std::path::Path;

#[test]
fn the_checked_in_pprof_types_are_what_prost_makes_of_profile_proto() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("profkit/src/formats/pprof");
    let proto = dir.join("profile.proto");
    let checked_in = dir.join("profile.rs");

    let descriptors = protox::compile([&proto], [&dir]).expect("profile.proto parses");
    let out = std::env::temp_dir().join(format!("profkit-pprof-codegen-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    prost_build::Config::new()
        .out_dir(&out)
        .compile_fds(descriptors)
        .expect("prost-build generates the types");
    let generated = std::fs::read_to_string(out.join("perftools.profiles.rs")).unwrap();
    std::fs::remove_dir_all(&out).unwrap();

    if std::env::var_os("PROFKIT_REGENERATE").is_some() {
        std::fs::write(&checked_in, &generated).unwrap();
    }
    let current = std::fs::read_to_string(&checked_in).unwrap_or_default();
    assert!(
        current == generated,
        "{} is not what prost-build generates from profile.proto: run \
         `PROFKIT_REGENERATE=1 cargo test -p profkit-suite --test pprof_proto` and commit it",
        checked_in.display()
    );
    // The contract's field numbers, as the generated code spells them.
    for (field, tag) in [
        ("sample_type", 1),
        ("sample", 2),
        ("location", 4),
        ("function", 5),
        ("string_table", 6),
        ("time_nanos", 9),
        ("duration_nanos", 10),
        ("default_sample_type", 14),
    ] {
        let line = current
            .lines()
            .skip_while(|l| !l.contains("pub struct Profile {"))
            .take_while(|l| !l.starts_with('}'))
            .collect::<Vec<_>>()
            .windows(2)
            .find(|w| w[1].contains(&format!("pub {field}:")))
            .map(|w| w[0].to_owned())
            .unwrap_or_default();
        assert!(
            line.contains(&format!("tag = \"{tag}\"")),
            "{field}: {line}"
        );
    }
}
