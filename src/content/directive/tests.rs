//! Tests of directives.

use super::*;
use crate::chart::ChartKind;

fn parse_in_file(name: &str, body: &str) -> Result<Directive, SourceError> {
    let text = format!("```{name}\n{body}```\n");
    let src = Source { text: &text, path: Path::new("p.md"), base: name.len() + 4, fence: 0 };
    parse(name, body, &src)
}

#[test]
fn parses_a_chart_with_locations() {
    let d = parse_in_file("chart", "kind = \"bar\"\ndata = \"ratings\"\nx = \"rating\"\ny = \"n\"\ntitle = \"T\"\n")
        .unwrap();
    let Directive::Chart(c) = d else { panic!("not a chart") };
    assert_eq!(c.kind, ChartKind::Bar);
    assert_eq!(c.query.value, "ratings");
    assert_eq!((c.query.location.line, c.query.location.column), (3, 9));
    assert_eq!(c.y[0].value, "n");
}

#[test]
fn errors_on_bad_chart_options() {
    let e = parse_in_file("chart", "kind = \"pie\"\ndata = \"q\"\nx = \"a\"\ny = \"b\"\ntitle = \"T\"\n").unwrap_err();
    assert_eq!((e.location.line, e.location.column), (2, 9));
    assert!(e.message.contains("unknown chart kind `pie`"));
    let e = parse_in_file("chart", "kind = \"bar\"\ndata = \"q\"\nx = \"a\"\ny = \"b\"\ntitle = \"T\"\ncolour = 1\n")
        .unwrap_err();
    assert_eq!(e.location.line, 7);
    assert!(e.message.contains("unknown field `colour`"), "{}", e.message);
    let e = parse_in_file("chart", "kind = \"bar\"\ndata = \"q\"\nx = \"a\"\ny = [\"b\", \"c\"]\ntitle = \"T\"\n")
        .unwrap_err();
    assert!(e.message.contains("one `y` column"));
    let e = parse_in_file(
        "chart",
        "kind = \"line\"\ndata = \"q\"\nx = \"a\"\ny = \"b\"\ntitle = \"T\"\ny_format = \"pc\"\n",
    )
    .unwrap_err();
    assert_eq!((e.location.line, e.location.column), (7, 13));
}

#[test]
fn parses_tables_and_kpis() {
    let d = parse_in_file("table", "data = \"top\"\ncolumns = [\"name\"]\nformats = { n = \"int\" }\n").unwrap();
    let Directive::Table(t) = d else { panic!("not a table") };
    assert_eq!(t.formats["n"], Format::Int);
    let d = parse_in_file("kpis", "[[tile]]\nlabel = \"Recipes\"\nvalue = \"kpis.n_recipes | int\"\n").unwrap();
    let Directive::Kpis(k) = d else { panic!("not kpis") };
    assert_eq!(
        k.tiles[0].value.value.source,
        expr::Source::Cell { query: "kpis".into(), row: 0, column: "n_recipes".into() }
    );
    let e = parse_in_file("kpis", "[[tile]]\nlabel = \"R\"\nvalue = \"kpis\"\n").unwrap_err();
    assert_eq!((e.location.line, e.location.column), (4, 10));
}
