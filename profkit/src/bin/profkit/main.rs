//! The `profkit` command line: view, merge, diff and check profile files, draw flame graphs,
//! keep a history of runs.
//!
//! `main` only parses the arguments and runs one subcommand; each lives in its own module.
//! Exit status: 0 ok, 1 a regression (`diff`, `history check`) or a broken error-level budget
//! (`check`), 2 bad input or usage. Every failure is one line on stderr, `profkit: FILE: what is wrong`.

mod budgets;
mod check;
mod diff;
mod flame;
mod history;
mod input;
mod merge;
mod output;
mod view;
mod what_if;

use clap::{Parser, Subcommand};

use output::{EXIT_BAD_INPUT, Outcome};

/// Exit status of a bug in profkit itself (a panic): neither a result nor bad input.
const EXIT_INTERNAL: i32 = 101;

/// View, merge, compare and check profiles of profkit (.json, .prof) and Python's cProfile.
#[derive(Debug, Parser)]
#[command(
    name = "profkit",
    version,
    after_help = "\
Examples:
  profkit view profile.json --sort tottime --limit 20
  profkit view profile.json --what-if 'app::parse=5x'
  profkit merge run1.json run2.json -o all.json
  profkit diff baseline.json profile.json --metric p99 --threshold 10% --min-delta 1ms
  profkit check profile.json --budgets budgets.toml
  profkit flame profile.json -o flame.svg
  profkit history record --db runs.db --commit $SHA profile.json
  profkit history check --db runs.db profile.json --format markdown

Exit status: 0 ok, 1 a regression (diff, history check) or a broken error-level budget
(check), 2 bad input or usage. Colours only on a terminal and never with NO_COLOR set."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    View(view::ViewArgs),
    Merge(merge::MergeArgs),
    Diff(diff::DiffArgs),
    Check(check::CheckArgs),
    Flame(flame::FlameArgs),
    History(history::HistoryArgs),
}

fn run(cli: Cli) -> Outcome {
    match cli.command {
        Command::View(a) => view::run(&a),
        Command::Merge(a) => merge::run(&a),
        Command::Diff(a) => diff::run(&a),
        Command::Check(a) => check::run(&a),
        Command::Flame(a) => flame::run(&a),
        Command::History(a) => history::run(&a),
    }
}

/// Prints `profkit: {line}` on stderr, on one line; a closed stderr is not worth a panic.
fn say(line: &str) {
    use std::io::Write;
    let line = line.replace(['\n', '\r'], " ");
    let _ = writeln!(std::io::stderr().lock(), "profkit: {line}");
}

fn main() {
    // A bug must still end in one line, not a backtrace; its status tells it from bad input.
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".to_owned());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        say(&format!("internal error{at}: {what}"));
    }));
    // clap prints help and version to stdout (status 0) and usage errors to stderr (status 2).
    let cli = Cli::try_parse().unwrap_or_else(|e| e.exit());
    let code = match std::panic::catch_unwind(|| run(cli)) {
        Ok(Ok(code)) => code,
        Ok(Err(failure)) => {
            say(&failure.line());
            failure.code
        }
        Err(_) => EXIT_INTERNAL,
    };
    debug_assert!(code == EXIT_INTERNAL || (0..=EXIT_BAD_INPUT).contains(&code));
    std::process::exit(code);
}
