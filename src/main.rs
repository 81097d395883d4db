//! The `mangetamain` binary: parses the command line, sets up logging, calls
//! the library and maps the outcome to an exit code (0 success, 1 failure,
//! 2 usage error).

use clap::Parser;
use mangetamain::cli::{Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let _guard = match mangetamain::logging::init(cli.verbose, cli.quiet, cli.log_format, cli.log_file.as_deref()) {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("{}", mangetamain::error::report(&e));
            return ExitCode::from(1);
        }
    };
    let json = cli.log_format == mangetamain::logging::LogFormat::Json;
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if json {
                tracing::error!(error = %mangetamain::error::report(&e), "build failed");
            } else {
                eprintln!("{}", mangetamain::error::report(&e));
            }
            if e.downcast_ref::<mangetamain::publish::Locked>().is_some() {
                ExitCode::from(75)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

fn run(command: Command) -> anyhow::Result<()> {
    let epoch = std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|s| s.trim().parse().ok());
    match command {
        Command::Build(args) => {
            let summary = mangetamain::build(&args.into_options(epoch))?;
            tracing::info!(pages = summary.pages, charts = summary.charts, "site built");
        }
        Command::Check(args) => {
            let summary = mangetamain::build(&args.into_options(false, epoch))?;
            tracing::info!(pages = summary.pages, charts = summary.charts, "check passed: the site would build");
        }
        Command::Archive(args) => {
            let site = args.site();
            let written = mangetamain::archive::archive_published(
                &args.root,
                &site,
                &args.archive,
                args.keep.map(|k| k as usize),
            )?;
            for path in written {
                tracing::info!(archive = %path.display(), "archived");
            }
        }
        Command::Serve(args) => mangetamain::serve::serve(&args.into_options(epoch))?,
        Command::New(args) => {
            let written = mangetamain::new::create(&args.options())?;
            for path in &written {
                tracing::info!(file = %args.dir.join(path).display(), "written");
            }
            tracing::info!(site = %args.dir.display(), "new site written: build it with `mangetamain build --root {}`", args.dir.display());
        }
        Command::Sample(args) => {
            mangetamain::sample::write(&args.out, args.options())?;
            tracing::info!(out = %args.out.display(), recipes = args.recipes, interactions = args.interactions, "sample written");
        }
    }
    Ok(())
}
