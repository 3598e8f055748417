//! A [`Trend`] drawn as an SVG chart with `plotters`: the values, the rolling median with the
//! band between Tukey's fences (inside it a value is no outlier), regressions and improvements
//! marked, and the first bad commit of a sustained step.

use plotters::prelude::*;

use super::error::HistoryError;
use super::metric::Unit;
use super::rules::Change;
use super::trend::Trend;

const SIZE: (u32, u32) = (960, 480);
const VALUE: RGBColor = RGBColor(31, 119, 180);
const MEDIAN: RGBColor = RGBColor(110, 110, 110);
const BAND: RGBColor = RGBColor(160, 160, 160);
const WORSE: RGBColor = RGBColor(214, 39, 40);
const BETTER: RGBColor = RGBColor(44, 160, 44);

/// A scale for the y axis: the divisor and the unit's name, chosen from the largest value.
fn scale(unit: Unit, max: f64) -> (f64, &'static str) {
    match unit {
        Unit::Nanoseconds if max >= 1e9 => (1e9, "s"),
        Unit::Nanoseconds if max >= 1e6 => (1e6, "ms"),
        Unit::Nanoseconds if max >= 1e3 => (1e3, "us"),
        Unit::Nanoseconds => (1.0, "ns"),
        Unit::Bytes if max >= 1024.0 * 1024.0 => (1024.0 * 1024.0, "MiB"),
        Unit::Bytes if max >= 1024.0 => (1024.0, "KiB"),
        Unit::Bytes => (1.0, "bytes"),
        Unit::Count => (1.0, "allocations"),
        Unit::Exponent => (1000.0, "exponent"),
        Unit::Class => (1.0, "class (2: O(n), 4: O(n^2))"),
        _ => (1.0, "calls"),
    }
}

impl Trend {
    /// The trend as an SVG chart (cargo feature `history-svg`): the values (blue), the median
    /// of the runs before each one (grey) inside the band between its fences (Q1 - 1.5 x IQR
    /// to Q3 + 1.5 x IQR), regressions in red, improvements in green, and a red line at the
    /// first bad commit.
    ///
    /// # Errors
    /// Only if `plotters` fails to draw into memory.
    ///
    /// ```
    /// use profkit::history::{Metric, RunMeta, Store, TrendOptions, trend};
    /// # #[profkit::profile] fn step() {}
    /// let mut store = Store::in_memory().unwrap();
    /// for c in ["a", "b", "c"] {
    ///     let (_, report) = profkit::record(step);
    ///     store.record(&report, &RunMeta::new(c)).unwrap();
    /// }
    /// let t = trend(&store, &TrendOptions::new(Metric::named("cumtime").unwrap()).function("step"))
    ///     .unwrap();
    /// let svg = t.to_svg().unwrap();
    /// assert!(svg.starts_with("<svg") && svg.contains("cumtime"));
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "history-svg")))]
    pub fn to_svg(&self) -> Result<String, HistoryError> {
        let mut svg = String::new();
        self.draw(&mut svg)
            .map_err(|e| HistoryError::invalid(format!("cannot draw the trend: {e}")))?;
        Ok(svg)
    }

    fn draw(&self, svg: &mut String) -> Result<(), Box<dyn std::error::Error + '_>> {
        let points = self.points();
        let unit = self.metric().unit();
        let fence = |i: usize| {
            points[i]
                .assessment()
                .and_then(|a| a.baseline)
                .map(|b| (b.lower_fence().max(0.0), b.median, b.upper_fence()))
        };
        let max = points
            .iter()
            .enumerate()
            .flat_map(|(i, p)| [p.value().map(|v| v as f64), fence(i).map(|f| f.2)])
            .flatten()
            .fold(0.0f64, f64::max);
        let (div, unit_name) = scale(unit, max);
        let top = if max > 0.0 { max / div * 1.1 } else { 1.0 };
        let n = points.len().max(1);

        let root = SVGBackend::with_string(svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let title = format!(
            "{} of {} ({} on {})",
            self.metric().name(),
            self.function()
                .map_or_else(|| "the process".to_owned(), |f| f.name().to_owned()),
            self.options().branch,
            self.options().machine
        );
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(70)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..top)?;
        let label = |x: &f64| -> String {
            let i = x.round();
            if (x - i).abs() > 1e-6 || i < 0.0 {
                return String::new();
            }
            points
                .get(i as usize)
                .map(|p| p.run().short_commit().chars().take(7).collect())
                .unwrap_or_default()
        };
        chart
            .configure_mesh()
            .x_labels(n.min(12))
            .x_label_formatter(&label)
            .x_desc("commit")
            .y_desc(format!("{} ({unit_name})", self.metric().name()))
            .light_line_style(WHITE)
            .draw()?;

        // The band between the fences and the median, over the runs that had a baseline.
        let judged: Vec<(f64, (f64, f64, f64))> = (0..points.len())
            .filter_map(|i| Some((i as f64, fence(i)?)))
            .collect();
        if !judged.is_empty() {
            let mut band: Vec<(f64, f64)> = judged.iter().map(|(x, f)| (*x, f.2 / div)).collect();
            band.extend(judged.iter().rev().map(|(x, f)| (*x, f.0 / div)));
            chart
                .draw_series(std::iter::once(Polygon::new(band, BAND.mix(0.25).filled())))?
                .label("fences (Q1 - 1.5 IQR .. Q3 + 1.5 IQR)")
                .legend(|(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 16, y + 5)], BAND.mix(0.4).filled())
                });
            let median: Vec<(f64, f64)> = judged.iter().map(|(x, f)| (*x, f.1 / div)).collect();
            chart
                .draw_series(std::iter::once(PathElement::new(
                    median,
                    MEDIAN.stroke_width(2),
                )))?
                .label("rolling median")
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], MEDIAN.stroke_width(2))
                });
        }

        let values: Vec<(f64, f64)> = points
            .iter()
            .enumerate()
            .filter_map(|(i, p)| Some((i as f64, p.value()? as f64 / div)))
            .collect();
        chart
            .draw_series(std::iter::once(PathElement::new(
                values.clone(),
                VALUE.stroke_width(2),
            )))?
            .label("value")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], VALUE.stroke_width(2)));
        chart.draw_series(
            values
                .iter()
                .map(|&(x, y)| Circle::new((x, y), 3, VALUE.filled())),
        )?;

        let marked = |change: Change| -> Vec<(f64, f64)> {
            points
                .iter()
                .enumerate()
                .filter(|(_, p)| p.change() == Some(change))
                .filter_map(|(i, p)| Some((i as f64, p.value()? as f64 / div)))
                .collect()
        };
        chart
            .draw_series(
                marked(Change::Regression)
                    .into_iter()
                    .map(|(x, y)| Circle::new((x, y), 6, WORSE.filled())),
            )?
            .label("regression")
            .legend(|(x, y)| Circle::new((x + 8, y), 5, WORSE.filled()));
        chart
            .draw_series(
                marked(Change::Improvement)
                    .into_iter()
                    .map(|(x, y)| Circle::new((x, y), 6, BETTER.filled())),
            )?
            .label("improvement")
            .legend(|(x, y)| Circle::new((x + 8, y), 5, BETTER.filled()));

        if let Some(i) = points
            .iter()
            .position(|p| self.first_bad().is_some_and(|b| std::ptr::eq(p, b)))
        {
            let x = i as f64;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x, 0.0), (x, top)],
                WORSE.stroke_width(1),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                format!("first bad: {}", points[i].run().short_commit()),
                (x, top * 0.97),
                ("sans-serif", 13).into_font().color(&WORSE),
            )))?;
        }

        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()?;
        root.present()?;
        Ok(())
    }
}
