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

fn start(site: &Site) -> Server {
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
    Server { child, port }
}

/// The status line's code of the answer to the raw bytes `request`.
fn status_of(port: u16, request: &[u8]) -> u16 {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = s.write_all(request);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    String::from_utf8_lossy(&raw).split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
}

#[test]
fn previews_rebuilds_and_shows_errors() {
    let site = Site::fixture("minimal");
    let server = start(&site);
    let port = server.port;

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

#[test]
fn absurd_and_hostile_requests_leave_the_preview_answering() {
    let site = Site::fixture("minimal");
    let server = start(&site);
    let port = server.port;
    wait_for(port, "/", "the first build", |s, _| s == 200);

    // a body of absurd length is refused before any of it is read
    let huge = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999\r\n\r\nabc";
    assert_eq!(status_of(port, huge), 413);
    assert_eq!(status_of(port, b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 413);
    assert_eq!(status_of(port, b"TRACE / HTTP/1.1\r\nHost: x\r\n\r\n"), 405);
    assert_eq!(status_of(port, b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"), 200);
    let long = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(20_000));
    assert_eq!(status_of(port, long.as_bytes()), 431);
    assert_eq!(status_of(port, b"\x16\x03\x01 not http\r\n\r\n"), 400);
    assert_eq!(get(port, "/").unwrap().0, 200, "still answering");

    // clients that never finish their request, or never read the answer,
    // while another asks: it is answered
    let mut stalled = Vec::new();
    for _ in 0..4 {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
        stalled.push(s);
    }
    let mut pipelining = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let many = "GET /about HTTP/1.1\r\nHost: x\r\n\r\n".repeat(2_000);
    let _ = pipelining.write_all(many.as_bytes());
    assert_eq!(get(port, "/about").map(|(s, _)| s), Some(200), "a stalled client holds up no one");
    drop(stalled);
    drop(pipelining);
    assert_eq!(get(port, "/").unwrap().0, 200);
}
