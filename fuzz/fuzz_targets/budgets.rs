//! The budgets file of `profkit check` (the CLI's own parser, compiled from its source): any
//! text gives budgets or a line-numbered error, never a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code, unreachable_pub)]
#[path = "../../profkit/src/bin/profkit/budgets.rs"]
mod budgets;
#[allow(dead_code, unreachable_pub)]
#[path = "../../profkit/src/bin/profkit/input.rs"]
mod input;
#[allow(dead_code, unreachable_pub)]
#[path = "../../profkit/src/bin/profkit/output.rs"]
mod output;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        match budgets::parse(text) {
            Ok(list) => assert!(list.iter().all(|b| !b.limits.is_empty() && b.line >= 1)),
            Err((line, message)) => {
                assert!(
                    line >= 1 && line <= text.lines().count().max(1) + 1,
                    "{line}"
                );
                assert!(
                    !message.is_empty() && !message.contains('\n'),
                    "{message:?}"
                );
            }
        }
    }
});
