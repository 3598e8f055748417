//! The complexity view as an SVG picture (`profkit view --complexity --svg FILE`): per sized
//! function, its fitted points (median time per size group) and the fitted curve on log-log
//! axes. Hand-written SVG 1.1: no script, no external asset, no font file.

use std::fmt::Write as _;
use std::time::Duration;

use crate::model::Complexity;

use super::complexity::{ComplexityView, fit_summary};
use super::units::human;

const WIDTH: f64 = 640.0;
/// A fitted function's panel: title, plot, axis labels.
const PANEL: f64 = 300.0;
/// A function without a fit: its one line.
const LINE: f64 = 28.0;
const LEFT: f64 = 90.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 44.0;
const BOTTOM: f64 = 48.0;
/// Points of the fitted curve.
const CURVE: usize = 64;

/// `text` safe inside an XML element or attribute.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A log10 axis over `[lo, hi]` (both positive) mapped onto `[from, to]` pixels.
struct Axis {
    lo: f64,
    hi: f64,
    from: f64,
    to: f64,
}

impl Axis {
    fn new(lo: f64, hi: f64, from: f64, to: f64) -> Axis {
        let (lo, hi) = (lo.max(1.0).log10(), hi.max(1.0).log10());
        // A flat range (every time equal) still needs a height: half a decade each way.
        let (lo, hi) = if hi - lo < 1e-9 {
            (lo - 0.5, hi + 0.5)
        } else {
            (lo, hi)
        };
        Axis { lo, hi, from, to }
    }

    fn at(&self, v: f64) -> f64 {
        let l = v.max(1.0).log10();
        self.from + (l - self.lo) / (self.hi - self.lo) * (self.to - self.from)
    }

    /// The powers of ten within the axis.
    fn decades(&self) -> impl Iterator<Item = f64> + '_ {
        (self.lo.ceil() as i32..=self.hi.floor() as i32).map(|e| 10f64.powi(e))
    }
}

/// One fitted function's panel, its top at `y`.
fn panel(out: &mut String, name: &str, c: &Complexity, y: f64) {
    let (lo, hi) = c.size_range();
    let sizes: Vec<f64> = (0..CURVE)
        .map(|i| {
            let t = i as f64 / (CURVE - 1) as f64;
            (lo.max(1) as f64) * ((hi.max(1) as f64) / (lo.max(1) as f64)).powf(t)
        })
        .collect();
    let curve: Vec<(f64, f64)> = sizes
        .iter()
        .map(|&n| (n, c.predict(n.round() as u64)))
        .collect();
    let values = c
        .values()
        .map(|(_, v)| v as f64)
        .chain(curve.iter().map(|p| p.1).filter(|v| v.is_finite()));
    let (vlo, vhi) = values.fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    let plot = (y + TOP, y + PANEL - BOTTOM);
    let xs = Axis::new(lo as f64, hi as f64, LEFT, WIDTH - RIGHT);
    let ys = Axis::new(vlo, vhi, plot.1, plot.0);
    let _ = writeln!(
        out,
        r#"<g class="function"><text class="title" x="{LEFT}" y="{:.1}">{}</text>"#,
        y + 24.0,
        escape(&format!("{name} grows as {}", fit_summary(c)))
    );
    let _ = writeln!(
        out,
        r#"<rect class="frame" x="{LEFT}" y="{:.1}" width="{:.1}" height="{:.1}"/>"#,
        plot.0,
        WIDTH - RIGHT - LEFT,
        plot.1 - plot.0
    );
    for d in xs.decades() {
        let x = xs.at(d);
        let _ = writeln!(
            out,
            r#"<line class="grid" x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}"/><text class="tick" x="{x:.1}" y="{:.1}" text-anchor="middle">{d}</text>"#,
            plot.0,
            plot.1,
            plot.1 + 16.0
        );
    }
    for d in ys.decades() {
        let yy = ys.at(d);
        let label = human(Duration::from_nanos(d as u64));
        let _ = writeln!(
            out,
            r#"<line class="grid" x1="{LEFT}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}"/><text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            WIDTH - RIGHT,
            LEFT - 6.0,
            yy + 4.0,
            escape(&label)
        );
    }
    let line: Vec<String> = curve
        .iter()
        .filter(|p| p.1.is_finite())
        .map(|&(n, v)| format!("{:.1},{:.1}", xs.at(n), ys.at(v).clamp(plot.0, plot.1)))
        .collect();
    let _ = writeln!(
        out,
        r#"<polyline class="fit" points="{}"><title>{}</title></polyline>"#,
        line.join(" "),
        escape(c.class().notation())
    );
    for (n, t) in c.points() {
        let _ = writeln!(
            out,
            r#"<circle class="point" cx="{:.1}" cy="{:.1}" r="3.5" data-size="{n}" data-ns="{}"><title>size {n}: {}</title></circle>"#,
            xs.at(n as f64),
            ys.at(t.as_nanos() as f64),
            t.as_nanos(),
            escape(&human(t))
        );
    }
    let _ = writeln!(
        out,
        r#"<text class="axis" x="{:.1}" y="{:.1}" text-anchor="middle">size (log scale)</text></g>"#,
        (LEFT + WIDTH - RIGHT) / 2.0,
        plot.1 + 36.0
    );
}

impl ComplexityView<'_> {
    /// The view as an SVG picture: per function with sized calls, its fitted points (the
    /// median time of each size group, one `<circle class="point">` each, with `data-size`
    /// and `data-ns`) and the fitted curve (`<polyline class="fit">`) on log-log axes, or the
    /// reason there is no fit. Self-contained: no script, no external asset.
    ///
    /// ```
    /// #[profkit::profile(size = n)]
    /// fn work(n: u64) {
    ///     profkit::testing::advance(std::time::Duration::from_nanos(10 * n));
    /// }
    ///
    /// let _clock = profkit::testing::TestClock::install().unwrap();
    /// let (_, report) = profkit::record(|| {
    ///     for n in [100, 300, 1_000, 3_000, 10_000] { work(n); work(n); }
    /// });
    /// let svg = report.complexity_view().to_svg();
    /// assert!(svg.starts_with("<?xml"));
    /// assert_eq!(svg.matches(r#"<circle class="point""#).count(), 5);
    /// ```
    pub fn to_svg(&self) -> String {
        let rows = self.rows();
        let height: f64 = rows
            .iter()
            .map(|(_, fit)| if fit.is_ok() { PANEL } else { LINE })
            .sum::<f64>()
            .max(LINE)
            + 12.0;
        let mut out = String::new();
        let _ = writeln!(
            out,
            r#"<?xml version="1.0" encoding="UTF-8" standalone="no"?>"#
        );
        let _ = writeln!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}">"#
        );
        out.push_str(concat!(
            "<style>text{font-family:sans-serif;font-size:12px;fill:#222}",
            ".title{font-size:13px;font-weight:bold}.tick{font-size:10px;fill:#555}",
            ".frame{fill:#fff;stroke:#888}.grid{stroke:#ddd}",
            ".fit{fill:none;stroke:#d62728;stroke-width:2}",
            ".point{fill:#1f77b4;stroke:#fff}</style>\n"
        ));
        out.push_str("<rect width=\"100%\" height=\"100%\" fill=\"#fafafa\"/>\n");
        let mut y = 0.0;
        if rows.is_empty() {
            let _ = writeln!(
                out,
                r#"<text x="12" y="20">no function has sized calls: give one #[profile(size = &lt;expr&gt;)]</text>"#
            );
        }
        for (name, fit) in &rows {
            match fit {
                Ok(c) => {
                    panel(&mut out, name, c, y);
                    y += PANEL;
                }
                Err(why) => {
                    let _ = writeln!(
                        out,
                        r#"<text class="nofit" x="12" y="{:.1}">{}</text>"#,
                        y + 20.0,
                        escape(&format!("{name}: no growth fitted ({why})"))
                    );
                    y += LINE;
                }
            }
        }
        out.push_str("</svg>\n");
        out
    }
}
