//! Tests of rendering.

use super::*;

fn sources(pairs: &[(&str, &str)]) -> BTreeMap<String, (PathBuf, String)> {
    let mut m: BTreeMap<String, (PathBuf, String)> = REQUIRED
        .iter()
        .map(|n| (n.to_string(), (PathBuf::from(format!("templates/{n}")), String::from("x"))))
        .collect();
    for (n, t) in pairs {
        m.insert(n.to_string(), (PathBuf::from(format!("templates/{n}")), t.to_string()));
    }
    m
}

#[test]
fn template_syntax_errors_are_located() {
    let err = Templates::from_sources(sources(&[("page.html", "ok\n{% if %}\n")]), String::new()).err().unwrap();
    let e = err.downcast_ref::<SourceError>().unwrap();
    assert_eq!(e.location.path, PathBuf::from("templates/page.html"));
    assert_eq!(e.location.line, 2, "{e}");
}

#[test]
fn unknown_variables_are_located() {
    let t = Templates::from_sources(sources(&[("page.html", "a\nb {{ nope.x }}\n")]), String::new()).unwrap();
    let e = t.render("page.html", &tera::Context::new()).unwrap_err();
    assert_eq!(e.location.path, PathBuf::from("templates/page.html"));
    assert_eq!((e.location.line, e.location.column), (2, 6), "{e}");
    assert!(e.message.contains("nope.x"), "{e}");
}

#[test]
fn missing_templates_are_named() {
    let mut s = sources(&[]);
    s.remove("404.html");
    let err = Templates::from_sources(s, String::new()).err().unwrap().to_string();
    assert!(err.contains("missing template `404.html`"), "{err}");
}

#[test]
fn text_files_lose_control_characters() {
    let mut files = vec![
        OutputFile { rel_path: "a.html".into(), contents: "a\u{0}b\u{7}c\td\ne\u{85}f\u{FFFE}".as_bytes().to_vec() },
        OutputFile { rel_path: "data/a.csv".into(), contents: "x\u{0}\r\n".as_bytes().to_vec() },
        OutputFile { rel_path: "status.json".into(), contents: b"\"\\u0000\"".to_vec() },
    ];
    clean_text(&mut files);
    assert_eq!(String::from_utf8_lossy(&files[0].contents), "a\u{FFFD}b\u{FFFD}c\td\ne\u{FFFD}f\u{FFFD}");
    assert_eq!(String::from_utf8_lossy(&files[1].contents), "x\u{FFFD}\r\n");
    assert_eq!(files[2].contents, b"\"\\u0000\"");
}

#[test]
fn data_bars_are_proportional_to_the_largest_magnitude() {
    let bars = bar_lengths([Some(50.0), Some(-100.0), None, Some(0.0), Some(25.0)].into_iter());
    let shown: Vec<Option<(&str, bool)>> = bars.iter().map(|b| b.as_ref().map(|(l, n)| (l.as_str(), *n))).collect();
    assert_eq!(
        shown,
        [Some(("50.0", false)), Some(("100.0", true)), None, Some(("0.0", false)), Some(("25.0", false))]
    );
    assert!(bar_lengths([Some(0.0), Some(0.0)].into_iter()).iter().all(Option::is_none), "no bar says nothing");
    assert!(bar_lengths([Some(f64::NAN), Some(2.0)].into_iter())[0].is_none());
}

#[test]
fn stylesheet_maps_every_palette_colour() {
    let css = stylesheet("body {}");
    for s in PALETTE {
        assert!(css.contains(&format!("[fill=\"{}\"]", chart::hex(s.light))));
        assert!(css.contains(&format!("--{}: {};", s.name, chart::hex(s.dark))));
    }
}

#[test]
fn control_characters_are_found_anywhere_in_long_text() {
    // the naive definition, char by char
    let naive = |t: &str| -> String {
        t.chars()
            .map(|c| {
                let bad = (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
                    || ('\u{FDD0}'..='\u{FDEF}').contains(&c)
                    || (c as u32 & 0xFFFE) == 0xFFFE;
                if bad { '\u{FFFD}' } else { c }
            })
            .collect()
    };
    for filler in ["a", "é", "€", "𝄞", "a\n"] {
        for bad in ['\u{0}', '\u{1b}', '\u{7f}', '\u{85}', '\u{FDD0}', '\u{FFFF}', '\u{1FFFE}'] {
            for at in [0, 1, 127, 255, 256, 257, 300, 511, 512, 700] {
                let text = format!("{}{bad}{}", filler.repeat(at), filler.repeat(40));
                let cleaned = clean(&text);
                assert!(matches!(cleaned, std::borrow::Cow::Owned(_)), "{bad:?} after {at} of {filler:?}");
                assert_eq!(cleaned, naive(&text), "{bad:?} after {at} of {filler:?}");
            }
            let fine = filler.repeat(600);
            assert!(matches!(clean(&fine), std::borrow::Cow::Borrowed(_)));
        }
    }
}
