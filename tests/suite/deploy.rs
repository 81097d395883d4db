//! The deployment files of `docker/` agree with each other: the systemd and
//! cron units, the Compose file, the image and nginx name the same paths,
//! and the Compose builder's schedule (`docker/nightly.sh`) never skips a
//! night, checked on fixed clocks.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// The value of each `--flag VALUE` among `args`.
fn flags<S: AsRef<str>>(args: &[S]) -> BTreeMap<String, String> {
    let args: Vec<&str> = args.iter().map(|a| a.as_ref()).collect();
    args.windows(2)
        .filter(|w| w[0].starts_with("--") && !w[1].starts_with("--"))
        .map(|w| (w[0].to_string(), w[1].trim_matches('"').to_string()))
        .collect()
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(dir, _)| dir)
}

/// The items of the YAML block list under `key:` inside the `service:` entry.
fn compose_list(compose: &str, service: &str, key: &str) -> Vec<String> {
    let mut lines = compose.lines().skip_while(|l| l.trim() != format!("{service}:"));
    lines.next();
    let mut lines = lines.skip_while(|l| l.trim() != format!("{key}:"));
    lines.next();
    lines.map_while(|l| l.trim().strip_prefix("- ")).map(|v| v.trim_matches('"').to_string()).collect()
}

#[test]
fn the_units_the_compose_file_the_image_and_nginx_name_the_same_paths() {
    let service = read("docker/mangetamain.service");
    let exec = service.lines().find_map(|l| l.strip_prefix("ExecStart=")).unwrap();
    let systemd = flags(&exec.split_whitespace().collect::<Vec<_>>());
    let crontab = read("docker/crontab");
    let line = crontab.lines().find(|l| !l.starts_with('#') && !l.trim().is_empty()).unwrap();
    let cron = flags(&line.split_whitespace().skip(5).collect::<Vec<_>>());
    let compose = read("docker/docker-compose.yml");
    let builder = flags(&compose_list(&compose, "builder", "command"));
    let dockerfile = read("docker/Dockerfile");
    let cmd = dockerfile.lines().find_map(|l| l.strip_prefix("CMD ")).unwrap();
    let image = flags(&serde_json::from_str::<Vec<String>>(cmd).unwrap());

    for flag in ["--root", "--data", "--db", "--out", "--archive", "--log-file"] {
        assert!(systemd.contains_key(flag), "systemd names no {flag}");
        assert_eq!(systemd.get(flag), cron.get(flag), "{flag}: systemd and cron");
        assert_eq!(systemd.get(flag), builder.get(flag), "{flag}: systemd and Compose");
    }
    for flag in ["--root", "--db", "--out", "--archive"] {
        assert_eq!(systemd.get(flag), image.get(flag), "{flag}: systemd and the image's CMD");
    }
    let (out, archive, db) = (&systemd["--out"], &systemd["--archive"], &systemd["--db"]);

    let nginx = read("docker/nginx.conf");
    let directive = |name: &str| {
        nginx.lines().find_map(|l| l.trim().strip_prefix(name)).map(|v| v.trim().trim_end_matches(';').to_string())
    };
    assert_eq!(directive("root ").as_ref(), Some(out), "nginx serves what the build publishes");
    assert_eq!(directive("alias ").unwrap().trim_end_matches('/'), archive, "nginx serves the archives");

    // the Compose volumes hold what the builder writes and what nginx reads
    let mounted = |service: &str| -> Vec<String> {
        compose_list(&compose, service, "volumes")
            .iter()
            .filter_map(|v| v.split(':').nth(1).map(str::to_string))
            .collect()
    };
    let (builder_mounts, web_mounts) = (mounted("builder"), mounted("web"));
    for dir in [parent(out), archive, parent(db), &systemd["--data"], parent(&systemd["--log-file"])] {
        assert!(builder_mounts.iter().any(|m| m == dir), "the builder mounts no {dir}: {builder_mounts:?}");
    }
    for dir in [parent(out), archive.as_str()] {
        assert!(web_mounts.iter().any(|m| m == dir), "nginx mounts no {dir}: {web_mounts:?}");
    }
    // systemd lets the job write exactly there
    let writable: Vec<&str> =
        service.lines().find_map(|l| l.strip_prefix("ReadWritePaths=")).unwrap().split_whitespace().collect();
    for dir in [parent(out), archive, parent(db), parent(&systemd["--log-file"])] {
        assert!(writable.contains(&dir), "systemd does not let the job write {dir}: {writable:?}");
    }
    // the image makes those directories, owned by the job's user
    for dir in [parent(out), archive, parent(db)] {
        assert!(dockerfile.contains(&format!(" {dir} ")), "the image does not create {dir}");
    }
    // and the image carries the schedule the Compose file runs
    assert!(compose.contains("entrypoint: [\"/usr/local/bin/mangetamain-nightly\"]"));
    assert!(dockerfile.contains("docker/nightly.sh /usr/local/bin/mangetamain-nightly"));
}

fn next_run(at: &str) -> String {
    let epoch = |args: &[&str]| {
        let out = Command::new("date").env("TZ", "UTC").args(args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let now = epoch(&["-d", at, "+%s"]);
    let out = Command::new("sh")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("docker/nightly.sh"))
        .args(["--next", &now])
        .env("TZ", "UTC")
        .env_remove("MANGETAMAIN_AT")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let next = String::from_utf8(out.stdout).unwrap();
    epoch(&["-d", &format!("@{}", next.trim()), "+%F %T"])
}

#[test]
fn the_compose_builder_never_skips_a_night() {
    // started after midnight and before 03:15: that same night
    assert_eq!(next_run("2026-12-01 00:30"), "2026-12-01 03:15:00");
    assert_eq!(next_run("2026-12-01 03:14:59"), "2026-12-01 03:15:00");
    // at or after 03:15: the next night
    assert_eq!(next_run("2026-12-01 03:15:00"), "2026-12-02 03:15:00");
    assert_eq!(next_run("2026-12-01 23:59"), "2026-12-02 03:15:00");
    // across a month, a year and a leap day
    assert_eq!(next_run("2026-12-31 04:00"), "2027-01-01 03:15:00");
    assert_eq!(next_run("2028-02-28 12:00"), "2028-02-29 03:15:00");
}
