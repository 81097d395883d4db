//! `mangetamain serve` on the real binary: serves the site on loopback with
//! the reload script, rebuilds when a page changes, shows a build error in
//! the page and recovers once it is fixed. Publishes nothing.

use crate::common::Site;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Status and body of `GET path`, or `None` while nothing listens.
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).ok()?;
    let (head, body) = raw.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, body.to_string()))
}

/// Polls `GET path` until `done` holds (at most 30 seconds).
fn wait_for(port: u16, path: &str, what: &str, done: impl Fn(u16, &str) -> bool) -> String {
    let started = Instant::now();
    loop {
        if let Some((status, body)) = get(port, path)
            && done(status, &body)
        {
            return body;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn previews_rebuilds_and_shows_errors() {
    let site = Site::fixture("minimal");
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(env!("CARGO_BIN_EXE_mangetamain"))
        .args(["serve", "--root"])
        .arg(site.root())
        .args(["--port", &port.to_string()])
        .env_remove("SOURCE_DATE_EPOCH")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server { child, port };

    let page = wait_for(server.port, "/about", "the first build", |s, _| s == 200);
    assert!(page.contains("<script>") && page.contains("/__mangetamain/build"), "{page}");
    let first: u64 = get(port, "/__mangetamain/build").unwrap().1.parse().unwrap();
    assert!(!site.public().exists(), "a preview publishes nothing");

    let about = std::fs::read_to_string(site.root().join("content/about.md")).unwrap();
    site.write("content/about.md", &format!("{about}\nA sentence added while previewing.\n"));
    wait_for(port, "/about", "the rebuild", |s, b| s == 200 && b.contains("A sentence added while previewing."));
    let second: u64 = get(port, "/__mangetamain/build").unwrap().1.parse().unwrap();
    assert!(second > first);

    site.write("content/about.md", "+++\ntitle = \"About\"\nbad = 1\n+++\n");
    let error = wait_for(port, "/", "the error page", |s, _| s == 500);
    assert!(error.contains("content/about.md:3:1: unknown field `bad`"), "{error}");
    assert!(error.contains("/__mangetamain/build"), "the error page reloads itself");

    site.write("content/about.md", &about);
    wait_for(port, "/", "the recovery", |s, _| s == 200);
    assert_eq!(get(port, "/no-such-page").unwrap().0, 404);
}

#[test]
fn a_taken_port_is_a_clear_error() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let site = Site::fixture("minimal");
    let out = Command::new(env!("CARGO_BIN_EXE_mangetamain"))
        .args(["serve", "--root"])
        .arg(site.root())
        .args(["--port", &port.to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("cannot listen on 127.0.0.1:{port}")) && stderr.contains("--port"), "{stderr}");
}
