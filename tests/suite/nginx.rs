//! The project's nginx configuration, for real: nginx on 127.0.0.1 in front
//! of a freshly built site, with the configuration's paths and port swapped
//! for a temporary directory. Requests are bounded and nginx is stopped at
//! the end of each test.

use crate::common::{Site, repo};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn nginx_binary() -> Option<PathBuf> {
    ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"].iter().map(PathBuf::from).find(|p| p.is_file())
}

pub struct Nginx {
    child: Child,
    pub port: u16,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // a fast shutdown through the master, which stops its workers too
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts nginx with `docker/nginx.conf` serving `site_dir/public`.
pub fn start(site_dir: &Path) -> Option<Nginx> {
    let Some(bin) = nginx_binary() else {
        assert!(std::env::var("CI").is_err(), "nginx is required in CI (apt-get install nginx)");
        eprintln!("skipped: nginx not found (apt-get install nginx)");
        return None;
    };
    let run = site_dir.join("nginx");
    std::fs::create_dir_all(run.join("snippets")).unwrap();
    let snippet = run.join("snippets/mangetamain-headers.conf");
    std::fs::copy(repo().join("docker/snippets/mangetamain-headers.conf"), &snippet).unwrap();
    let port = free_port();
    let conf = std::fs::read_to_string(repo().join("docker/nginx.conf"))
        .unwrap()
        .replace("/tmp/", &format!("{}/", run.display()))
        .replace("listen 8080;", &format!("listen 127.0.0.1:{port};"))
        .replace("/srv/site/public", &site_dir.join("public").display().to_string())
        .replace("/srv/archive/", &format!("{}/", site_dir.join("archive").display()))
        .replace("/etc/nginx/snippets/mangetamain-headers.conf", &snippet.display().to_string())
        .replace("access_log /dev/stdout;", &format!("access_log {}/access.log;", run.display()));
    spawn(bin, site_dir, &run, conf, port)
}

/// Starts nginx as the reverse proxy of `docker/snippets/mangetamain-proxy.conf`
/// in front of the site's nginx on `site_port`.
fn start_proxy(site_dir: &Path, site_port: u16) -> Option<Nginx> {
    let bin = nginx_binary()?;
    let run = site_dir.join("proxy");
    std::fs::create_dir_all(&run).unwrap();
    let snippet = std::fs::read_to_string(repo().join("docker/snippets/mangetamain-proxy.conf"))
        .unwrap()
        .replace("127.0.0.1:8080", &format!("127.0.0.1:{site_port}"));
    let port = free_port();
    let r = run.display();
    let conf = format!(
        "pid {r}/nginx.pid;\nerror_log stderr warn;\nevents {{ worker_connections 64; }}\nhttp {{\n\
         client_body_temp_path {r}/cb; proxy_temp_path {r}/p; fastcgi_temp_path {r}/f; uwsgi_temp_path {r}/u; scgi_temp_path {r}/s;\n\
         access_log off;\nserver {{\nlisten 127.0.0.1:{port};\nserver_name _;\n{snippet}\n}}\n}}\n"
    );
    spawn(bin, site_dir, &run, conf, port)
}

fn spawn(bin: PathBuf, site_dir: &Path, run: &Path, conf: String, port: u16) -> Option<Nginx> {
    let conf_path = run.join("nginx.conf");
    std::fs::write(&conf_path, conf).unwrap();
    // `nginx -t` first: the configuration is valid as written
    let test =
        Command::new(&bin).args(["-e", "stderr", "-p"]).arg(run).arg("-t").arg("-c").arg(&conf_path).output().unwrap();
    assert!(test.status.success(), "nginx -t: {}", String::from_utf8_lossy(&test.stderr));
    // workers may run as another user: let them read the site
    let mut dir = Some(site_dir);
    while let Some(d) = dir {
        if d.starts_with(std::env::temp_dir()) && d != std::env::temp_dir() {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755));
        }
        dir = d.parent();
    }
    let child = Command::new(bin)
        .args(["-e", "stderr", "-p"])
        .arg(run)
        .arg("-c")
        .arg(&conf_path)
        .args(["-g", "daemon off;"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(run.join("error.log")).unwrap())
        .spawn()
        .unwrap();
    let nginx = Nginx { child, port };
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(10), "nginx did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(nginx)
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// The 404 page at `path` is the site's, and its stylesheet and every link
/// of it load, from the site's root at `prefix`.
fn assert_404_page_works(port: u16, prefix: &str, path: &str) {
    let nested = get(port, path, &[]);
    assert_eq!(nested.status, 404);
    let page = String::from_utf8_lossy(&nested.body).into_owned();
    assert!(page.contains("Page not found"), "{page}");
    let links = mangetamain::publish::links(&page);
    assert!(links.iter().any(|l| l.starts_with(&format!("{prefix}/style.")) && l.ends_with(".css")), "{links:?}");
    for link in links.iter().filter(|l| !l.starts_with('#')) {
        assert!(link.starts_with(&format!("{prefix}/")), "a relative link in the 404 page: {link}");
        assert_eq!(get(port, link, &[]).status, 200, "{link} from {path}");
    }
}

/// The status of one `METHOD path` request without a body.
fn request(port: u16, method: &str, path: &str) -> u16 {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let req = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let head = String::from_utf8_lossy(&raw);
    head.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
}

/// One HTTP/1.1 request with `Connection: close`.
fn get(port: u16, path: &str, extra: &[(&str, &str)]) -> Response {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (k, v) in extra {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("no header end");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect();
    Response { status, headers, body: raw[split + 4..].to_vec() }
}

#[test]
fn serves_the_site_with_its_headers() {
    let site = Site::fixture("minimal");
    site.build().unwrap();
    let Some(nginx) = start(site.root()) else { return };
    let port = nginx.port;

    let index = get(port, "/", &[]);
    assert_eq!(index.status, 200);
    assert_eq!(index.body, std::fs::read(site.public().join("index.html")).unwrap());
    assert_eq!(index.header("Cache-Control"), Some("no-cache"));
    let csp = index.header("Content-Security-Policy").unwrap();
    assert!(csp.contains("default-src 'none'") && !csp.contains("script-src"), "{csp}");
    assert_eq!(index.header("X-Content-Type-Options"), Some("nosniff"));
    assert_eq!(index.header("X-Frame-Options"), Some("DENY"));
    assert!(index.header("Referrer-Policy").is_some() && index.header("Permissions-Policy").is_some());
    assert_eq!(index.header("Server"), Some("nginx"), "no version in the Server header");

    let pretty = get(port, "/about", &[]);
    assert_eq!(pretty.status, 200);
    assert_eq!(pretty.body, std::fs::read(site.public().join("about.html")).unwrap());

    let missing = get(port, "/no-such-page", &[]);
    assert_eq!(missing.status, 404);
    assert!(String::from_utf8_lossy(&missing.body).contains("Page not found"));
    // at any depth the 404 page's stylesheet and links are found from the
    // root: the path of `base_url` (the fixture's is under /report/, see the
    // sub-path test); served at the host's root without it, from `/`
    let config = std::fs::read_to_string(site.root().join("content/site.toml")).unwrap();
    site.write("content/site.toml", &config.replace("base_url = \"https://example.org/report\"\n", ""));
    site.build().unwrap();
    assert_404_page_works(port, "", "/a/b/missing");
    // a static site answers GET and HEAD only
    for method in ["TRACE", "POST", "PUT", "DELETE", "OPTIONS"] {
        assert_eq!(request(port, method, "/"), 405, "{method}");
    }
    assert_eq!(request(port, "HEAD", "/"), 200);

    let gz = get(port, "/index.html", &[("Accept-Encoding", "gzip")]);
    assert_eq!(gz.header("Content-Encoding"), Some("gzip"));
    assert_eq!(gz.body, std::fs::read(site.public().join("index.html.gz")).unwrap(), "the precompressed file");

    let css_name = std::fs::read_dir(site.public())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with("style.") && n.ends_with(".css"))
        .unwrap();
    let css = get(port, &format!("/{css_name}"), &[]);
    assert_eq!(css.status, 200);
    assert!(css.header("Cache-Control").unwrap().contains("immutable"));
    assert!(css.header("Content-Security-Policy").is_some());

    let csv = get(port, "/data/ratings.csv", &[]);
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header("Cache-Control"), Some("no-cache"));
    assert!(csv.header("Content-Type").unwrap().starts_with("text/csv"));

    std::fs::write(site.public().join(".secret"), "x").unwrap();
    std::fs::write(site.public().join("index.html.bak"), "x").unwrap();
    assert_eq!(get(port, "/.secret", &[]).status, 404);
    assert_eq!(get(port, "/index.html.bak", &[]).status, 404);

    let health = get(port, "/healthz", &[]);
    assert_eq!((health.status, health.body.as_slice()), (200, b"ok\n".as_slice()));
    assert_eq!(get(port, "/status.json", &[]).status, 200);
}

#[test]
fn a_rebuild_swaps_the_site_under_load_without_a_failed_request() {
    let site = Site::fixture("minimal");
    let bin = env!("CARGO_BIN_EXE_mangetamain");
    let build = |epoch: &str| {
        let ok = Command::new(bin)
            .args(["build", "-q", "--root"])
            .arg(site.root())
            .env("SOURCE_DATE_EPOCH", epoch)
            .status()
            .unwrap()
            .success();
        assert!(ok);
        std::fs::read(site.public().join("index.html")).unwrap()
    };
    let a = build("1700000000");
    let b = build("1800000000");
    assert_ne!(a, b);
    let Some(nginx) = start(site.root()) else { return };
    let port = nginx.port;
    let client = std::thread::spawn(move || {
        let started = Instant::now();
        let mut bodies = Vec::new();
        // bounded: at most 5,000 requests or 20 seconds
        while bodies.len() < 5000 && started.elapsed() < Duration::from_secs(20) {
            let r = get(port, "/", &[]);
            bodies.push((r.status, r.body));
        }
        bodies
    });
    for i in 0..6 {
        build(if i % 2 == 0 { "1700000000" } else { "1800000000" });
    }
    let bodies = client.join().unwrap();
    assert!(bodies.len() >= 100, "only {} requests", bodies.len());
    for (i, (status, body)) in bodies.iter().enumerate() {
        assert_eq!(*status, 200, "request {i}");
        assert!(*body == a || *body == b, "request {i}: a page of neither edition");
    }
}

#[test]
fn serves_the_archives_as_downloads() {
    let site = Site::fixture("minimal");
    let mut opts = site.options();
    opts.archive = Some(site.root().join("archive"));
    mangetamain::build(&opts).unwrap();
    let Some(nginx) = start(site.root()) else { return };
    let port = nginx.port;
    let editions = get(port, "/editions", &[]);
    assert_eq!(editions.status, 200);
    let page = String::from_utf8_lossy(&editions.body).into_owned();
    let mut links = 0;
    for link in mangetamain::publish::links(&page).into_iter().filter(|l| l.starts_with("archive/")) {
        let r = get(port, &format!("/{link}"), &[]);
        assert_eq!(r.status, 200, "{link}");
        assert_eq!(r.header("Content-Disposition"), Some("attachment"), "{link}");
        assert!(r.header("Content-Security-Policy").is_some());
        assert_eq!(r.body, std::fs::read(site.root().join(&link)).unwrap(), "{link}");
        links += 1;
    }
    assert_eq!(links, 3, "{page}");
    std::fs::write(site.root().join("archive/.mangetamain-2008-03-02.zip.tmp-1"), "x").unwrap();
    assert_eq!(get(port, "/archive/.mangetamain-2008-03-02.zip.tmp-1", &[]).status, 404);
    // the classic alias off-by-slash: no way out of the archive directory
    assert_eq!(get(port, "/archive../nginx/nginx.conf", &[]).status, 404);
}

#[test]
fn works_under_a_sub_path_behind_a_reverse_proxy() {
    let site = Site::fixture("minimal");
    site.build().unwrap();
    let Some(nginx) = start(site.root()) else { return };
    let Some(proxy) = start_proxy(site.root(), nginx.port) else { return };
    let port = proxy.port;
    let bare = get(port, "/report", &[]);
    assert_eq!(bare.status, 301);
    assert!(bare.header("Location").unwrap().ends_with("/report/"));
    let index = get(port, "/report/", &[("X-Forwarded-For", "198.51.100.7")]);
    assert_eq!(index.status, 200);
    assert_eq!(index.body, std::fs::read(site.public().join("index.html")).unwrap());
    assert!(index.header("Content-Security-Policy").is_some(), "the site's headers pass through");
    // every link of the page resolves under the sub-path
    let html = String::from_utf8_lossy(&index.body).into_owned();
    let mut checked = 0;
    for link in mangetamain::publish::links(&html) {
        if link.starts_with("http") || link.starts_with('#') {
            continue;
        }
        let target = link.split('#').next().unwrap();
        assert_eq!(get(port, &format!("/report/{target}"), &[]).status, 200, "{link}");
        checked += 1;
    }
    assert!(checked >= 3, "{checked} links");
    assert_eq!(get(port, "/report/about", &[]).status, 200, "pretty URLs under the sub-path");
    assert_eq!(get(port, "/report/nope", &[]).status, 404);
    assert_404_page_works(port, "/report", "/report/a/b/missing");
    // the site's own redirect of a directory keeps the prefix
    let dir = get(port, "/report/data", &[]);
    assert_eq!(dir.status, 301);
    assert!(dir.header("Location").unwrap().ends_with("/report/data/"), "{:?}", dir.header("Location"));
    // the site's nginx logs the client named by the trusted proxy
    drop(proxy);
    drop(nginx);
    let log = std::fs::read_to_string(site.root().join("nginx/access.log")).unwrap();
    assert!(log.lines().any(|l| l.starts_with("198.51.100.7 ") && l.contains("GET / ")), "{log}");
}
