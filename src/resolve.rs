//! Resolve: a page's pieces against the query results. Inline values
//! become text, directives become HTML (charts, tables, lists, KPI tiles),
//! the rows a generated page links to are found, and every link of the
//! rendered site is checked. Called by the build (`site.rs`) once per page,
//! in the page's locale.

use crate::chart;
use crate::content::directive::Directive;
use crate::content::expr::{Expr, Source};
use crate::content::{self, Page, Piece, markdown};
use crate::error::{Located, Location, SourceError};
use crate::format::Format;
use crate::plan;
use crate::publish;
use crate::render::{OutputFile, PageView, Templates};
use crate::table::{Table, Value};
use std::collections::BTreeMap;

/// Looks up an inline value and formats it; a missing row or a NULL takes
/// the value's fallback (`or("...")`), and a missing row without one is an error.
pub(crate) fn value_of(expr: &Located<Expr>, tables: &BTreeMap<String, Table>) -> Result<String, SourceError> {
    let e = &expr.value;
    let v = match &e.source {
        Source::Const(v) => return Ok(content::generate::shown(e, v)),
        Source::Row { column } => {
            return Err(SourceError::new(expr.location.clone(), format!("`row.{column}` outside a generated page")));
        }
        Source::Cell { query, row, column } => {
            let table = tables
                .get(query)
                .ok_or_else(|| SourceError::new(expr.location.clone(), format!("unknown query `{query}`")))?;
            match cell(table, query, *row, column, &expr.location)? {
                Some(v) => v,
                None => match &e.fallback {
                    Some(fallback) => return Ok(fallback.clone()),
                    None => {
                        return Err(SourceError::new(
                            expr.location.clone(),
                            format!(
                                "query `{query}` returned {} rows; there is no row {row} (give a fallback for an empty result: `| or(\"...\")`)",
                                table.rows.len()
                            ),
                        ));
                    }
                },
            }
        }
    };
    match (&e.fallback, v) {
        (Some(fallback), v) if v.is_missing() => Ok(fallback.clone()),
        (_, v) => Ok(e.format.unwrap_or_else(|| Format::default_for(v)).apply(v)),
    }
}

/// The cell of `table` at `row`, `column`: `None` when there is no such row.
pub(crate) fn cell<'a>(
    table: &'a Table,
    query: &str,
    row: usize,
    column: &str,
    location: &Location,
) -> Result<Option<&'a Value>, SourceError> {
    let ci = table.column_at(query, column, location)?;
    Ok(table.rows.get(row).map(|r| &r[ci]))
}

/// Checks the links of the site ([`publish::broken_links`]); a broken link
/// written in a page is reported where it is written.
pub(crate) fn check_links(
    files: &[OutputFile],
    beside: &std::collections::BTreeSet<String>,
    root: &str,
    pages: &[Page],
    page_files: &markdown::PageFiles,
) -> anyhow::Result<()> {
    let broken = publish::broken_links(files, beside, root);
    for broken in &broken {
        let written = pages.iter().filter(|p| p.file_name() == broken.file).find_map(|p| {
            p.links.iter().find(|l| {
                let as_built = markdown::page_link(&l.value, page_files).unwrap_or_else(|| l.value.clone());
                as_built == broken.link || publish::percent_decode(&as_built).as_deref() == Some(broken.link.as_str())
            })
        });
        if let Some(link) = written {
            let shown = match link.value == broken.link {
                true => format!("`{}`", broken.link),
                false => format!("`{}` (`{}` in the page)", link.value, broken.link),
            };
            return Err(
                SourceError::new(link.location.clone(), format!("broken link to {shown}: {}", broken.why)).into()
            );
        }
    }
    publish::links_error(&broken)
}

/// Resolves a page's values and directives and renders its body.
pub(crate) fn render_page(
    page: &Page,
    tables: &BTreeMap<String, Table>,
    templates: &Templates,
    generated: &BTreeMap<String, plan::Generated>,
    page_files: &markdown::PageFiles,
) -> Result<(PageView, usize), SourceError> {
    let holes = markdown::Holes::new(page.pieces.iter().filter_map(|p| match p {
        Piece::Markdown(m) => Some(m.as_str()),
        _ => None,
    }));
    let mut md = String::new();
    let mut values = Vec::new();
    let mut blocks = Vec::new();
    let mut ids: BTreeMap<String, usize> = BTreeMap::new();
    let mut charts = 0;
    let mut unique_id = |base: &str| {
        let n = ids.entry(base.to_string()).or_insert(0);
        *n += 1;
        if *n == 1 { base.to_string() } else { format!("{base}-{n}") }
    };
    for piece in &page.pieces {
        match piece {
            Piece::Markdown(m) => md.push_str(m),
            Piece::Value(v) => {
                md.push_str(&holes.hole(values.len()));
                values.push(value_of(v, tables)?);
            }
            Piece::Directive(d) => {
                let html = match d.as_ref() {
                    Directive::Chart(spec) => {
                        let table = &tables[&spec.query.value];
                        let id = unique_id(&format!("chart-{}", local_name(&spec.query.value)));
                        let drawn = chart::render(spec, table, &id)?;
                        charts += 1;
                        templates.chart(&id, spec, &drawn, table)?
                    }
                    Directive::Table(spec) => {
                        let table = &tables[&spec.query.value];
                        let columns = if spec.columns.is_empty() {
                            (0..table.columns.len()).collect::<Vec<_>>()
                        } else {
                            let query = local_name(&spec.query.value);
                            spec.columns.iter().map(|c| table.column_named(query, c)).collect::<Result<Vec<_>, _>>()?
                        };
                        for name in spec.formats.keys().chain(spec.labels.keys()) {
                            let named = Located { value: name.clone(), location: spec.defined_at.clone() };
                            table.column_named(local_name(&spec.query.value), &named)?;
                        }
                        // data bars: numbers only
                        let mut bars = Vec::new();
                        for bar in &spec.bars {
                            let column = table.column_named(local_name(&spec.query.value), bar)?;
                            if table.columns[column].kind != crate::table::ColumnType::Number {
                                return Err(SourceError::new(
                                    bar.location.clone(),
                                    format!(
                                        "column `{}` of query `{}` is not numeric; `bars` draws numbers",
                                        bar.value,
                                        local_name(&spec.query.value)
                                    ),
                                ));
                            }
                            if !columns.contains(&column) {
                                return Err(SourceError::new(
                                    bar.location.clone(),
                                    format!("column `{}` has bars but is not one of the table's `columns`", bar.value),
                                ));
                            }
                            bars.push(column);
                        }
                        let mut links = BTreeMap::new();
                        for link in spec.links.values() {
                            let column = table.column_named(local_name(&spec.query.value), &link.column)?;
                            let key = table.column_named(local_name(&spec.query.value), &link.key)?;
                            let pages = generated
                                .get(&link.template.value)
                                .ok_or_else(|| no_template(&link.template, generated))?;
                            if pages.rows.column_index(&link.row).is_none() {
                                return Err(SourceError::new(
                                    link.key.location.clone(),
                                    format!(
                                        "the rows that `{}` is generated from have no column `{}` (columns: {}): set `row`",
                                        link.template.value,
                                        link.row,
                                        pages.rows.column_list()
                                    ),
                                ));
                            }
                            let hrefs = table
                                .rows
                                .iter()
                                .map(|r| pages.page_for(&link.row, &r[key].to_csv_field()).map(|s| format!("{s}.html")))
                                .collect();
                            links.insert(column, hrefs);
                        }
                        let id = unique_id(&format!("table-{}", local_name(&spec.query.value)));
                        templates.table(&id, spec, &columns, table, &links, &bars)?
                    }
                    Directive::List(spec) => {
                        let table = &tables[&spec.query.value];
                        let column = table.column_named(local_name(&spec.query.value), &spec.column)?;
                        let items: Vec<String> =
                            table.rows.iter().map(|r| Format::default_for(&r[column]).apply(&r[column])).collect();
                        templates.list(&spec.title, spec.ordered, &items)?
                    }
                    Directive::Pages(spec) => {
                        let made = generated
                            .get(&spec.template.value)
                            .ok_or_else(|| no_template(&spec.template, generated))?;
                        templates.pages(&spec.title, &made.pages)?
                    }
                    Directive::Kpis(spec) => {
                        let values =
                            spec.tiles.iter().map(|t| value_of(&t.value, tables)).collect::<Result<Vec<_>, _>>()?;
                        templates.kpis(spec, &values)?
                    }
                };
                md.push('\n');
                md.push_str(&markdown::placeholder(blocks.len()));
                md.push('\n');
                blocks.push(html);
            }
        }
    }
    let mut body = markdown::to_html_with(&md, &holes, &values, page_files);
    for (i, html) in blocks.iter().enumerate() {
        body = body.replacen(&markdown::placeholder(i), html, 1);
    }
    let meta = &page.meta;
    Ok((
        PageView {
            slug: page.slug.clone(),
            title: meta.title.clone(),
            nav_title: meta.nav_title.clone().unwrap_or_else(|| meta.title.clone()),
            in_nav: meta.in_nav,
            description: meta.description.clone(),
            body,
            lang: String::new(),
        },
        charts,
    ))
}

/// The error for a `template` that generates no pages.
pub(crate) fn no_template(template: &Located<String>, generated: &BTreeMap<String, plan::Generated>) -> SourceError {
    SourceError::new(
        template.location.clone(),
        format!(
            "no pages are generated from `{}` (templates: {})",
            template.value,
            generated.keys().cloned().collect::<Vec<_>>().join(", ")
        ),
    )
}

/// A query's name within its page: a generated page's `SLUG.NAME` is `NAME` there.
pub(crate) fn local_name(query: &str) -> &str {
    query.rsplit('.').next().unwrap_or(query)
}
