//! Publishing under failure: a build killed at any moment, or failing while
//! writing, leaves the previous site published and intact, and the next
//! build succeeds.

use crate::common::{Site, snapshot_tree};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

type Tree = Vec<(String, Vec<u8>)>;

fn build(site: &Site, epoch: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mangetamain"));
    c.args(["build", "-q", "--root"]).arg(site.root()).env("SOURCE_DATE_EPOCH", epoch);
    c.stdout(Stdio::null()).stderr(Stdio::null());
    c
}

/// Two complete editions of the same site, differing by their build date.
fn two_editions(site: &Site) -> (Tree, Tree, Duration) {
    assert!(build(site, "1700000000").status().unwrap().success());
    let a = snapshot_tree(&site.public());
    let started = Instant::now();
    assert!(build(site, "1800000000").status().unwrap().success());
    let took = started.elapsed();
    let b = snapshot_tree(&site.public());
    assert_ne!(a, b);
    (a, b, took)
}

#[test]
fn a_build_killed_at_any_moment_leaves_a_whole_site() {
    let site = Site::fixture("minimal");
    let (a, b, took) = two_editions(&site);
    // a small deterministic sequence of kill times across the build
    let mut seed = 0x9e37_79b9_u64;
    let span = took.as_micros().max(1000) as u64 * 3 / 2;
    for i in 0..30 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let epoch = if i % 2 == 0 { "1700000000" } else { "1800000000" };
        let mut child = build(&site, epoch).spawn().unwrap();
        std::thread::sleep(Duration::from_micros(seed % span));
        let _ = child.kill();
        let _ = child.wait();
        let now = snapshot_tree(&site.public());
        assert!(now == a || now == b, "iteration {i}: the published site is neither edition");
    }
    assert!(build(&site, "1700000000").status().unwrap().success());
    assert_eq!(snapshot_tree(&site.public()), a);
}

/// Limits every file the command writes to `bytes` (`RLIMIT_FSIZE`), with
/// `SIGXFSZ` ignored: a longer write then fails with "File too large",
/// a real write error, as a full disk gives.
fn limit_file_size(cmd: &mut Command, bytes: u64) {
    use std::os::unix::process::CommandExt;
    let limit = libc::rlimit { rlim_cur: bytes as libc::rlim_t, rlim_max: libc::RLIM_INFINITY };
    // SAFETY: between fork and exec only async-signal-safe calls are made
    unsafe {
        cmd.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[test]
fn a_write_error_keeps_the_published_site() {
    let site = Site::fixture("minimal");
    let (_, b, _) = two_editions(&site);
    let mut cmd = build(&site, "1700000000");
    // the data and the query results are unchanged and not written again;
    // the site has files larger than this
    limit_file_size(&mut cmd, 4096);
    let out = cmd.stderr(Stdio::piped()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot write `") && stderr.contains("public"), "a file of the site failed: {stderr}");
    assert_eq!(snapshot_tree(&site.public()), b);
    assert!(build(&site, "1700000000").status().unwrap().success());
}

#[test]
fn a_data_error_keeps_the_published_site() {
    let site = Site::fixture("minimal");
    let (_, b, _) = two_editions(&site);
    site.write("data/sample/RAW_interactions.csv", "user_id,recipe_id,date,rating,review\n1,38,2006-01-05,9,x\n");
    let out = build(&site, "1700000000").status().unwrap();
    assert_eq!(out.code(), Some(1));
    assert_eq!(snapshot_tree(&site.public()), b);
}
