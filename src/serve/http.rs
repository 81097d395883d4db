//! HTTP for the preview, on `httparse`: GET and HEAD only, one request per
//! connection (`Connection: close`), no request body (413), a head of at
//! most 16 KiB (431), other methods 405. Each connection gets its own
//! thread, up to a bound, and a read and a write timeout, so no client,
//! however slow or hostile, holds up the others for longer than that;
//! connections beyond the bound are closed at once.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// How much a connection may take.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections served at once.
    pub connections: usize,
    /// How long a read or a write may wait.
    pub timeout: Duration,
    /// The largest request head (request line and headers).
    pub head: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { connections: 32, timeout: Duration::from_secs(5), head: 16 * 1024 }
    }
}

/// A response, before it is sent.
#[derive(Debug, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl Reply {
    fn text(status: u16, text: &str) -> Reply {
        Reply { status, content_type: "text/plain; charset=utf-8", body: text.as_bytes().to_vec() }
    }
}

/// Serves `listener` with `answer` (given the request target, such as
/// `/about?x=1`) until the listener fails.
pub fn run(listener: TcpListener, limits: Limits, answer: impl Fn(&str) -> Reply + Send + Sync + 'static) {
    let answer = Arc::new(answer);
    let busy = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        if busy.fetch_add(1, Ordering::SeqCst) >= limits.connections {
            busy.fetch_sub(1, Ordering::SeqCst);
            tracing::debug!("a preview connection was refused: {} already open", limits.connections);
            continue;
        }
        let (answer, busy) = (Arc::clone(&answer), Arc::clone(&busy));
        let spawned = std::thread::Builder::new().name("preview-http".into()).spawn(move || {
            if let Err(e) = connection(stream, limits, answer.as_ref()) {
                tracing::debug!("a preview connection ended: {e}");
            }
            busy.fetch_sub(1, Ordering::SeqCst);
        });
        if let Err(e) = spawned {
            tracing::warn!("cannot serve a preview connection: {e}");
        }
    }
}

fn connection(mut stream: TcpStream, limits: Limits, answer: &dyn Fn(&str) -> Reply) -> std::io::Result<()> {
    stream.set_read_timeout(Some(limits.timeout))?;
    stream.set_write_timeout(Some(limits.timeout))?;
    let mut head = vec![0u8; limits.head];
    let mut len = 0;
    let (reply, is_head) = loop {
        if len == head.len() {
            break (Reply::text(431, "request head too large\n"), false);
        }
        let n = stream.read(&mut head[len..])?;
        if n == 0 {
            return Ok(());
        }
        len += n;
        match request(&head[..len]) {
            Parsed::Partial => continue,
            Parsed::Bad => break (Reply::text(400, "bad request\n"), false),
            Parsed::Body => break (Reply::text(413, "a preview takes no request body\n"), false),
            Parsed::Method => break (Reply::text(405, "only GET and HEAD\n"), false),
            Parsed::Get { target, head } => break (answer(&target), head),
        }
    };
    let mut out = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n",
        reply.status,
        reason(reply.status),
        reply.content_type,
        reply.body.len()
    );
    if reply.status == 405 {
        out.push_str("Allow: GET, HEAD\r\n");
    }
    out.push_str("\r\n");
    stream.write_all(out.as_bytes())?;
    if !is_head {
        stream.write_all(&reply.body)?;
    }
    stream.flush()?;
    // what the client still sends (pipelined requests) is not read
    stream.shutdown(std::net::Shutdown::Both)
}

/// What a request head says.
#[derive(Debug, PartialEq)]
enum Parsed {
    /// Not complete yet.
    Partial,
    /// Not HTTP.
    Bad,
    /// It announces a body.
    Body,
    /// Neither GET nor HEAD.
    Method,
    /// A request to answer.
    Get { target: String, head: bool },
}

fn request(bytes: &[u8]) -> Parsed {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(bytes) {
        Ok(httparse::Status::Partial) => return Parsed::Partial,
        Err(_) => return Parsed::Bad,
        Ok(httparse::Status::Complete(_)) => {}
    }
    let body = req.headers.iter().any(|h| {
        h.name.eq_ignore_ascii_case("transfer-encoding")
            || (h.name.eq_ignore_ascii_case("content-length") && h.value.iter().any(|b| *b != b'0'))
    });
    if body {
        return Parsed::Body;
    }
    match (req.method, req.path) {
        (Some(m @ ("GET" | "HEAD")), Some(path)) => Parsed::Get { target: path.to_string(), head: m == "HEAD" },
        (Some(_), Some(_)) => Parsed::Method,
        _ => Parsed::Bad,
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_a_request_head_says() {
        assert_eq!(request(b"GET /a?b=1 HTTP/1.1\r\nHost: x\r\n"), Parsed::Partial);
        assert_eq!(
            request(b"GET /a?b=1 HTTP/1.1\r\nHost: x\r\n\r\n"),
            Parsed::Get { target: "/a?b=1".into(), head: false }
        );
        assert_eq!(request(b"HEAD / HTTP/1.1\r\n\r\n"), Parsed::Get { target: "/".into(), head: true });
        assert_eq!(
            request(b"GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"),
            Parsed::Get { target: "/".into(), head: false }
        );
        assert_eq!(request(b"POST / HTTP/1.1\r\nContent-Length: 99999999999999\r\n\r\n"), Parsed::Body);
        assert_eq!(request(b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), Parsed::Body);
        assert_eq!(request(b"TRACE / HTTP/1.1\r\n\r\n"), Parsed::Method);
        assert_eq!(request(b"\x00\x01 nonsense\r\n\r\n"), Parsed::Bad);
    }
}
