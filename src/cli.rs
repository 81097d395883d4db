//! The command line: clap types only, and their conversion into validated
//! options. Relative defaults are taken from `--root`; paths given on the
//! command line are taken as written (relative to the working directory).

use crate::sample::SampleOptions;
use crate::site::BuildOptions;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// mangetamain: build a static analytics site from Markdown + SQL pages.
#[derive(Debug, Parser)]
#[command(name = "mangetamain", version, about, long_about = None, after_help = EXIT_CODES)]
pub struct Cli {
    /// More log output (`-v` debug, `-vv` trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only warnings and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Log lines as text or as one JSON object per line (for log collectors).
    #[arg(long, global = true, value_enum, default_value_t = crate::logging::LogFormat::Text)]
    pub log_format: crate::logging::LogFormat,
    /// Also write the log to this file, rotated daily, keeping 14 old files.
    #[arg(long, global = true, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

const EXIT_CODES: &str = "Exit codes: 0 success, 1 build failed (the published site is left as it was), 2 usage error, 75 another build is running for the same output or database.

Environment:
  MANGETAMAIN_LOG    a log filter instead of -v/-q: a level (`debug`) or per module (`mangetamain::query=debug,info`)
  SOURCE_DATE_EPOCH  seconds since 1970: the edition date, and no build time in status.json (reproducible builds)";

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the site: ingest the data, run the queries, draw the charts and publish the pages.
    Build(BuildArgs),
    /// Do everything `build` does except writing the site; exit 0 only when it would build.
    Check(SiteArgs),
    /// Start a new site in DIR (new or empty): `content/site.toml`, an index page and, for each
    /// `--from FILE`, a source and a profile page of the file to edit into a report.
    New(NewArgs),
    /// Write a deterministic Food.com-shaped data set (`RAW_recipes.csv`, `RAW_interactions.csv`).
    Sample(SampleArgs),
    /// Archive the published site: `mangetamain-DATE.tar.gz`, `.zip` and a single `.html` file.
    Archive(ArchiveArgs),
    /// Preview: build in memory, serve on 127.0.0.1 and rebuild when content, templates or data change.
    Serve(ServeArgs),
}

/// Options of `new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The directory of the new site (created when missing; it must be empty).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// A data file (CSV, TSV, Parquet, JSON, newline-delimited JSON or DuckDB) to read as a
    /// source, with a profile page; give it several times for several files.
    #[arg(long, value_name = "FILE")]
    pub from: Vec<PathBuf>,
}

impl NewArgs {
    /// The options of `new`.
    pub fn options(&self) -> crate::new::NewOptions {
        crate::new::NewOptions { dir: self.dir.clone(), from: self.from.clone() }
    }
}

/// Options of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// What to build (as for `check`: nothing is published).
    #[command(flatten)]
    pub site: SiteArgs,
    /// The port on 127.0.0.1 (0 picks a free one).
    #[arg(long, value_name = "PORT", default_value_t = 8000)]
    pub port: u16,
}

impl ServeArgs {
    /// Validated preview options.
    pub fn into_options(self, source_date_epoch: Option<i64>) -> crate::serve::ServeOptions {
        crate::serve::ServeOptions {
            port: self.port,
            build: self.site.into_options(false, source_date_epoch),
            poll: std::time::Duration::from_millis(300),
        }
    }
}

/// Options shared by `build` and `check`.
#[derive(Debug, Args)]
pub struct SiteArgs {
    /// The site directory, holding `content/`, `templates/` and `data/`.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub root: PathBuf,
    /// Where the sources' relative paths start [default: `data_dir` in content/site.toml, else ROOT].
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Where `build` publishes the site [default: ROOT/public]; `check` and `serve` write nothing
    /// there, but wait for no build to be publishing there (its lock).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The DuckDB database file [default: ROOT/data/mangetamain.duckdb].
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// Re-read the input files even when they are unchanged since the last build.
    #[arg(long)]
    pub force_ingest: bool,
    /// Fail when more than this percentage of a file's rows is quarantined.
    #[arg(long, value_name = "PERCENT", default_value = "1", value_parser = parse_percent)]
    pub max_quarantine: f64,
    /// DuckDB's memory limit: what its buffers and query results may hold before DuckDB
    /// spills to disk or fails. It does not bound the build's own memory (the batches being
    /// read, the results and pages in memory).
    #[arg(long, value_name = "SIZE", default_value = crate::ingest::DEFAULT_MEMORY_LIMIT)]
    pub memory_limit: String,
    /// How many queries run at once, and DuckDB's threads for them (one per query when there are many more queries; ingest loads each table on its own thread).
    #[arg(long, value_name = "N", default_value_t = crate::site::DEFAULT_THREADS, value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: u16,
}

/// Options of `build`: those of `check`, and the archives.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// What to build and where to publish it.
    #[command(flatten)]
    pub site: SiteArgs,
    /// Also write this edition's archives (`.tar.gz`, `.zip`, single `.html`) into DIR,
    /// and list the editions found there on an Editions page.
    #[arg(long, value_name = "DIR")]
    pub archive: Option<PathBuf>,
    /// With `--archive`: keep only N editions, the one just built and the most recently
    /// built others (whatever their dates), removing the rest.
    #[arg(long, value_name = "N", requires = "archive", value_parser = clap::value_parser!(u32).range(1..))]
    pub keep: Option<u32>,
}

/// Options of `archive`.
#[derive(Debug, Args)]
pub struct ArchiveArgs {
    /// The site directory; the published site is ROOT/public unless `--out` says otherwise.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub root: PathBuf,
    /// The published site to archive [default: ROOT/public].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Where the archives are written.
    #[arg(long, value_name = "DIR")]
    pub archive: PathBuf,
    /// Keep only N editions, the one just archived and the most recently archived
    /// others (whatever their dates), removing the rest.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub keep: Option<u32>,
}

impl ArchiveArgs {
    /// The published site's directory.
    pub fn site(&self) -> PathBuf {
        self.out.clone().unwrap_or_else(|| self.root.join("public"))
    }
}

/// `1`, `0.5` or `2%` as a fraction (0.01, 0.005, 0.02).
fn parse_percent(s: &str) -> Result<f64, String> {
    let v: f64 = s.trim().trim_end_matches('%').parse().map_err(|_| format!("expected a percentage, found `{s}`"))?;
    if (0.0..=100.0).contains(&v) {
        Ok(v / 100.0)
    } else {
        Err(format!("expected a percentage between 0 and 100, found `{s}`"))
    }
}

/// Options of `sample`.
#[derive(Debug, Args)]
pub struct SampleArgs {
    /// The directory to write the two CSV files into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Number of recipes (the real data set has 231637).
    #[arg(long, value_name = "N", default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..))]
    pub recipes: u64,
    /// Number of interactions (the real data set has 1132367).
    #[arg(long, value_name = "M", default_value_t = 20000)]
    pub interactions: u64,
    /// Seed: the same seed and sizes always give the same files.
    #[arg(long, value_name = "S", default_value_t = 42)]
    pub seed: u64,
}

impl BuildArgs {
    /// Validated options of `build`.
    pub fn into_options(self, source_date_epoch: Option<i64>) -> BuildOptions {
        BuildOptions {
            archive: self.archive,
            keep: self.keep.map(|k| k as usize),
            ..self.site.into_options(true, source_date_epoch)
        }
    }
}

impl SiteArgs {
    /// Validated build options, with no archive; `write` is false for `check` and `serve`.
    pub fn into_options(self, write: bool, source_date_epoch: Option<i64>) -> BuildOptions {
        let defaults = BuildOptions::with_root(&self.root);
        BuildOptions {
            data_dir: self.data,
            out_dir: self.out.unwrap_or(defaults.out_dir),
            db: self.db.unwrap_or(defaults.db),
            root: self.root,
            write,
            source_date_epoch,
            force_ingest: self.force_ingest,
            max_quarantine: self.max_quarantine,
            memory_limit: self.memory_limit,
            threads: usize::from(self.threads),
            archive: None,
            keep: None,
        }
    }
}

impl SampleArgs {
    /// The sample's options.
    pub fn options(&self) -> SampleOptions {
        SampleOptions { recipes: self.recipes as usize, interactions: self.interactions as usize, seed: self.seed }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults_follow_root() {
        let cli = Cli::try_parse_from(["mangetamain", "build", "--root", "site"]).unwrap();
        let Command::Build(args) = cli.command else { panic!("not build") };
        let o = args.into_options(None);
        assert_eq!(o.data_dir, None, "the configuration says where the data is");
        assert_eq!(o.out_dir, PathBuf::from("site/public"));
        assert_eq!(o.db, PathBuf::from("site/data/mangetamain.duckdb"));
    }

    #[test]
    fn the_command_line_defaults_are_the_librarys() {
        let cli = Cli::try_parse_from(["mangetamain", "check", "--root", "site"]).unwrap();
        let Command::Check(args) = cli.command else { panic!("not check") };
        let o = args.into_options(false, None);
        let library = BuildOptions::with_root("site");
        assert_eq!(
            (o.max_quarantine, o.memory_limit, o.threads),
            (library.max_quarantine, library.memory_limit, library.threads)
        );
    }

    #[test]
    fn parses_percentages() {
        assert_eq!(parse_percent("1"), Ok(0.01));
        assert_eq!(parse_percent("2.5%"), Ok(0.025));
        assert!(parse_percent("x").is_err());
        assert!(parse_percent("101").is_err());
    }

    #[test]
    fn keep_needs_an_archive() {
        assert!(Cli::try_parse_from(["mangetamain", "build", "--keep", "3"]).is_err());
        assert!(Cli::try_parse_from(["mangetamain", "build", "--archive", "a", "--keep", "0"]).is_err());
        let cli = Cli::try_parse_from(["mangetamain", "archive", "--archive", "a", "--root", "r"]).unwrap();
        let Command::Archive(args) = cli.command else { panic!("not archive") };
        assert_eq!(args.site(), PathBuf::from("r/public"));
    }

    #[test]
    fn only_build_writes_archives() {
        for command in ["check", "serve"] {
            let err = Cli::try_parse_from(["mangetamain", command, "--archive", "a"]).unwrap_err();
            assert_eq!(err.kind(), clap::error::ErrorKind::UnknownArgument, "{command}");
        }
        let cli = Cli::try_parse_from(["mangetamain", "build", "--archive", "a", "--keep", "2"]).unwrap();
        let Command::Build(args) = cli.command else { panic!("not build") };
        let o = args.into_options(None);
        assert_eq!((o.archive, o.keep, o.write), (Some(PathBuf::from("a")), Some(2), true));
    }

    #[test]
    fn rejects_zero_recipes() {
        assert!(Cli::try_parse_from(["mangetamain", "sample", "--out", "x", "--recipes", "0"]).is_err());
    }
}
