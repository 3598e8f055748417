//! `profkit view --complexity`: the growth of each function with sized calls, from a file.

use std::time::Duration;

use profkit::testing::{TestClock, advance};

use super::support::{Shape, arg, profkit, scratch, write};

#[profkit::profile(size = n)]
fn scan(n: u64) {
    advance(Duration::from_nanos(40 * n));
}

#[profkit::profile(size = n)]
fn pairs(n: u64) {
    advance(Duration::from_nanos(n * n / 10));
}

fn sized_profile(dir: &std::path::Path) -> String {
    let _clock = TestClock::install().unwrap();
    let (_, report) = profkit::record(|| {
        for n in [200, 500, 1_000, 2_000, 5_000, 10_000] {
            scan(n);
            scan(n);
            pairs(n);
            pairs(n);
        }
    });
    let path = arg(dir, "sized.json");
    report.write(&path).unwrap();
    path
}

#[test]
fn view_complexity_prints_each_fit_with_its_plot() {
    let dir = scratch("view-complexity");
    let file = sized_profile(&dir);
    let out = profkit(["view", &file, "--complexity"]).ok().to_owned();
    assert!(
        out.contains(
            "complexity::pairs grows as O(n^2) (exponent 2.00, 6 sizes from 200 to 10000), 12 \
             calls; error 0.0%, r^2 1.000\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("complexity::scan grows as O(n) (exponent 1.00, 6 sizes from 200 to 10000)"),
        "{out}"
    );
    assert!(out.contains("  size 10000:    400 µs\n"), "{out}");
    // Short names by default, as every table; --full-names gives the full path.
    assert!(!out.contains("cli::complexity::pairs"), "{out}");
    let full = profkit(["view", &file, "--complexity", "--full-names"])
        .ok()
        .to_owned();
    assert!(
        full.contains("cli::complexity::pairs grows as O(n^2)"),
        "{full}"
    );
    // The table shows the class in its growth column (and the short name, issue 22's default).
    let table = profkit(["view", &file]).ok().to_owned();
    let pairs = table
        .lines()
        .find(|l| l.ends_with("(complexity::pairs)"))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(pairs.contains(" O(n^2) "), "{table}");

    let json = profkit(["view", &file, "--complexity", "--format", "json"]).json();
    let rows = json["functions"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let pairs = rows
        .iter()
        .find(|r| r["name"] == "cli::complexity::pairs")
        .unwrap();
    assert_eq!(pairs["growth"]["class"], "O(n^2)");
    assert_eq!(pairs["growth"]["calls"], 12);
    assert_eq!(pairs["growth"]["points"][0][0], 200);
}

#[test]
fn view_complexity_of_a_profile_without_sized_calls_is_bad_input() {
    let dir = scratch("view-complexity-none");
    let file = write(&dir, "p.json", Shape::default());
    profkit(["view", &file, "--complexity"]).bad_input("has no sized calls");
}

#[test]
fn view_complexity_svg_draws_each_fit_as_well_formed_svg_with_one_point_per_size() {
    use quick_xml::Reader;
    use quick_xml::events::Event;

    let dir = scratch("view-complexity-svg");
    let file = sized_profile(&dir);
    let svg_path = arg(&dir, "growth.svg");
    let out = profkit(["view", &file, "--complexity", "--svg", &svg_path])
        .ok()
        .to_owned();
    // The text still prints; the picture goes to the file.
    assert!(out.contains("complexity::scan grows as O(n)"), "{out}");
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    // `-` writes the picture to stdout instead of the text.
    let stdout = profkit(["view", &file, "--complexity", "--svg", "-"])
        .ok()
        .to_owned();
    assert_eq!(stdout, svg);

    // Well-formed XML (every element closed, attributes quoted, text escaped), an <svg> root.
    let mut reader = Reader::from_str(&svg);
    let mut depth = 0usize;
    let mut root = None;
    // Per function panel (<g class="function">): its title and its points' sizes.
    let mut panels: Vec<(String, Vec<u64>, usize)> = Vec::new();
    let mut in_title = false;
    loop {
        let event = reader.read_event().unwrap_or_else(|e| {
            panic!(
                "not well-formed at {}: {e}\n{svg}",
                reader.buffer_position()
            )
        });
        let attr = |e: &quick_xml::events::BytesStart<'_>, name: &str| -> Option<String> {
            e.try_get_attribute(name).unwrap().map(|a| {
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .unwrap()
                    .into_owned()
            })
        };
        let opens = matches!(event, Event::Start(_));
        match event {
            Event::Start(e) if root.is_none() => {
                root = Some(String::from_utf8(e.name().as_ref().to_vec()).unwrap());
                assert_eq!(
                    attr(&e, "xmlns").as_deref(),
                    Some("http://www.w3.org/2000/svg")
                );
                depth += 1;
            }
            Event::Start(e) | Event::Empty(e) => {
                let class = attr(&e, "class");
                let name = e.name();
                assert!(depth > 0, "an element outside the root");
                depth += usize::from(opens);
                match (name.as_ref(), class.as_deref()) {
                    (b"g", Some("function")) => panels.push((String::new(), Vec::new(), 0)),
                    (b"text", Some("title")) => in_title = true,
                    (b"circle", Some("point")) => {
                        let size = attr(&e, "data-size").unwrap().parse().unwrap();
                        panels.last_mut().unwrap().1.push(size);
                    }
                    (b"polyline", Some("fit")) => {
                        let points = attr(&e, "points").unwrap();
                        let coords: Vec<f64> = points
                            .split([' ', ','])
                            .map(|v| v.parse().unwrap())
                            .collect();
                        assert!(coords.iter().all(|v| v.is_finite() && *v >= 0.0));
                        panels.last_mut().unwrap().2 = coords.len() / 2;
                    }
                    _ => {}
                }
            }
            Event::Text(t) if in_title => {
                panels.last_mut().unwrap().0 += &t.decode().unwrap();
            }
            Event::End(_) => {
                in_title = false;
                depth = depth
                    .checked_sub(1)
                    .expect("more closing tags than opening ones");
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(root.as_deref(), Some("svg"));
    assert_eq!(panels.len(), 2, "{svg}");
    let sizes = vec![200, 500, 1_000, 2_000, 5_000, 10_000];
    for (title, points, curve) in &panels {
        assert!(title.contains(" grows as O(n"), "{title}");
        assert_eq!(points, &sizes, "one point per size: {title}");
        assert_eq!(*curve, 64, "{title}");
    }
    let titles: Vec<&str> = panels.iter().map(|p| p.0.as_str()).collect();
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("complexity::pairs grows as O(n^2)"))
            && titles
                .iter()
                .any(|t| t.starts_with("complexity::scan grows as O(n)")),
        "{titles:?}"
    );
    assert_eq!(depth, 0, "every element closed");
}
