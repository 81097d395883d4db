//! Records the generator's git revision for `status.json`: taken from
//! `MANGETAMAIN_REVISION` when set (a Docker build has no `.git`), else from
//! `git rev-parse`, else `unknown`.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=MANGETAMAIN_REVISION");
    // rerun when the checked-out commit moves
    let head = Path::new(".git/HEAD");
    if head.exists() {
        println!("cargo:rerun-if-changed=.git/HEAD");
        if let Some(reference) =
            std::fs::read_to_string(head).ok().and_then(|h| h.strip_prefix("ref: ").map(str::to_owned))
        {
            let reference = Path::new(".git").join(reference.trim());
            if reference.exists() {
                println!("cargo:rerun-if-changed={}", reference.display());
            }
        }
        if Path::new(".git/packed-refs").exists() {
            println!("cargo:rerun-if-changed=.git/packed-refs");
        }
    }
    let revision = std::env::var("MANGETAMAIN_REVISION").ok().filter(|r| !r.trim().is_empty()).or_else(|| {
        let out = Command::new("git").args(["rev-parse", "--short=12", "HEAD"]).output().ok()?;
        let rev = String::from_utf8(out.stdout).ok()?.trim().to_string();
        (out.status.success() && !rev.is_empty()).then_some(rev)
    });
    println!("cargo:rustc-env=MANGETAMAIN_REVISION={}", revision.as_deref().unwrap_or("unknown").trim());
}
