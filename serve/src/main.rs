//! `latent-lab-serve`: the page as static files on 127.0.0.1, through hyper and tower-http's
//! `ServeDir`, for command 1 and the tests. Only what the page loads is served: `index.html`,
//! `www/`, the two wasm packages, `data/` and `assets/`; never `.git/`, `src/`, `target/` or a
//! dotted name.
//!
//! - Request heads are bounded in size and in time, so a slow or endless head costs nothing.
//! - Text, wasm and data are gzipped on the fly at the fastest level, but not files that are
//!   gzipped already (MNIST, 11 MB). A compressed response has no Content-Length; the worker's
//!   progress bars then count against the sizes it expects.
//! - Every file is revalidated (`no-cache`) with its Last-Modified date, so a reload costs a
//!   304, not a second download, and a rebuilt package is never stale.

use std::convert::Infallible;
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tower::{ServiceBuilder, ServiceExt, service_fn};
use tower_http::compression::predicate::{NotForContentType, Predicate};
use tower_http::compression::{CompressionLayer, CompressionLevel, DefaultPredicate};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// Files gzipped already (the page's MNIST files), sent as they are, with their length.
const GZIPPED: NotForContentType = NotForContentType::const_new("application/gzip");
/// The top-level names the page loads; everything else is 404.
const SERVED: [&str; 6] = ["index.html", "www", "pkg", "pkg-gpu", "data", "assets"];
/// A request head larger than this is refused (hyper's smallest buffer; the page's are < 1 KB).
const MAX_HEAD: usize = 8 * 1024;
/// A connection that has not sent a whole request head within this time is closed.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether a URL path is one the page loads: a served top-level name, no dotted segment.
fn is_served(path: &str) -> bool {
    let mut segments = path.trim_start_matches('/').split('/');
    let first = segments.next().unwrap_or("");
    (first.is_empty() || SERVED.contains(&first))
        && !path.split('/').any(|s| s.starts_with('.') || s.starts_with("%2e") || s.starts_with("%2E"))
}

/// A response body: a file's, or a short text.
type Body = UnsyncBoxBody<Bytes, std::io::Error>;

/// 404 with a line of text: Chromium shows its own error page, and fails a navigation, for an
/// empty one.
fn not_found() -> Response<Body> {
    let text = Full::new(Bytes::from_static(b"not found")).map_err(|never| match never {}).boxed_unsync();
    let mut response = Response::new(text);
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

#[derive(Parser)]
#[command(name = "latent-lab-serve", version, about = "Serve the Latent Lab page on 127.0.0.1 and print its URL")]
struct Cli {
    /// 0 picks a free port
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// The folder to serve: the repository, or a static build (`dist/`)
    #[arg(long, default_value = ".")]
    root: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let served = if cli.root.join("index.html").is_file() {
        serve(&cli.root, cli.port)
    } else {
        Err(format!("{} has no index.html: run from the repository or pass --root DIR", cli.root.display()))
    };
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("latent-lab-serve: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Serves `root` on 127.0.0.1:`port` (0 picks a free port) until killed, after printing the
/// URL as the first line of stdout.
fn serve(root: &Path, port: u16) -> Result<(), String> {
    let listener = TcpListener::bind(("127.0.0.1", port)).map_err(|e| format!("cannot listen on port {port}: {e}"))?;
    println!("Latent Lab is served at http://{}/", listener.local_addr().map_err(|e| e.to_string())?);
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    run(listener, root, HEAD_TIMEOUT)
}

/// Serves `root` on `listener` until the process ends, closing connections whose request head
/// takes longer than `head_timeout`.
fn run(listener: TcpListener, root: &Path, head_timeout: Duration) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    let _entered = runtime.enter();
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::from_std(listener).map_err(|e| e.to_string())?;
    let files = ServeDir::new(root);
    let allowed = service_fn(move |request: Request<Incoming>| {
        let files = files.clone();
        async move {
            if is_served(request.uri().path()) {
                Ok(files.oneshot(request).await?.map(BodyExt::boxed_unsync))
            } else {
                Ok::<_, Infallible>(not_found())
            }
        }
    });
    let service = ServiceBuilder::new()
        .layer(CompressionLayer::new().quality(CompressionLevel::Fastest).compress_when(DefaultPredicate::new().and(GZIPPED)))
        .layer(SetResponseHeaderLayer::overriding(CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        .layer(SetResponseHeaderLayer::if_not_present(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8")))
        .service(allowed);

    runtime.block_on(async move {
        loop {
            // A failed accept (too many open files, a reset) drops that one connection.
            let Ok((stream, _)) = listener.accept().await else { continue };
            let service = TowerToHyperService::new(service.clone());
            tokio::spawn(async move {
                let mut http = hyper::server::conn::http1::Builder::new();
                http.timer(TokioTimer::new()).header_read_timeout(head_timeout).max_buf_size(MAX_HEAD);
                // A browser that goes away mid-download is its own business.
                let _ = http.serve_connection(TokioIo::new(stream), service).await;
            });
        }
    })
}

#[cfg(test)]
mod tests {
    use std::io::Read;
    use std::net::{SocketAddr, TcpStream};
    use std::path::PathBuf;
    use std::time::Instant;

    use super::*;

    #[test]
    fn only_what_the_page_loads_is_served() {
        for path in [
            "/",
            "/index.html",
            "/www/js/main.js",
            "/pkg/latent_lab_bg.wasm",
            "/pkg-gpu/latent_lab.js",
            "/data/mnist/t10k-labels-idx1-ubyte",
        ] {
            assert!(is_served(path), "{path}");
        }
        for path in [
            "/.git/config",
            "/src/lib.rs",
            "/target/debug/latent-lab",
            "/Cargo.toml",
            "/README.md",
            "/www/.hidden",
            "/data/%2e%2e/Cargo.toml",
        ] {
            assert!(!is_served(path), "{path}");
        }
    }

    /// A folder laid out like the repository, served on a free port; its address.
    fn start(name: &str) -> SocketAddr {
        let root: PathBuf = std::env::temp_dir().join(format!("latent-lab-serve-{name}-{}", std::process::id()));
        for (file, text) in [
            ("index.html", "<!doctype html>page"),
            ("www/js/main.js", "export const x = 1;"),
            ("data/set.npy", &"0123456789".repeat(1000)),
            ("data/set.gz", &"0123456789".repeat(1000)),
            ("src/lib.rs", "secret"),
            (".git/config", "secret"),
            ("README.md", "secret"),
        ] {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let address = listener.local_addr().unwrap();
        std::thread::spawn(move || run(listener, &root, Duration::from_millis(500)));
        address
    }

    /// Sends `raw` and reads the answer until the server closes the connection (or 5 s pass).
    fn exchange(address: SocketAddr, raw: &[u8]) -> String {
        let mut stream = TcpStream::connect(address).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        // The server may stop reading (and reset) before an oversized head is all sent.
        let _ = stream.write_all(raw);
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    }

    fn get(address: SocketAddr, path: &str, headers: &str) -> String {
        exchange(address, format!("GET {path} HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n{headers}\r\n").as_bytes())
    }

    fn header<'a>(answer: &'a str, name: &str) -> Option<&'a str> {
        let head = answer.split("\r\n\r\n").next()?;
        head.lines().find_map(|l| l.split_once(": ").filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v))
    }

    #[test]
    fn the_page_its_types_lengths_and_revalidation() {
        let address = start("page");
        let page = get(address, "/", "");
        assert!(page.starts_with("HTTP/1.1 200") && page.ends_with("page"), "{page}");
        let script = get(address, "/www/js/main.js", "");
        assert_eq!(header(&script, "content-type"), Some("text/javascript"));
        assert_eq!(header(&script, "content-length"), Some("19"));
        assert_eq!(header(&script, "cache-control"), Some("no-cache"));
        let modified = header(&script, "last-modified").expect("a Last-Modified date");
        let again = get(address, "/www/js/main.js", &format!("If-Modified-Since: {modified}\r\n"));
        assert!(again.starts_with("HTTP/1.1 304"), "{again}");
        let zipped = get(address, "/data/set.npy", "Accept-Encoding: gzip\r\n");
        assert_eq!(header(&zipped, "content-encoding"), Some("gzip"), "{zipped}");
        assert!(zipped.len() < 10_000, "compressed: {} bytes", zipped.len());
        let gzipped = get(address, "/data/set.gz", "Accept-Encoding: gzip\r\n");
        assert_eq!(header(&gzipped, "content-type"), Some("application/gzip"));
        assert_eq!((header(&gzipped, "content-encoding"), header(&gzipped, "content-length")), (None, Some("10000")));
    }

    #[test]
    fn nothing_else_and_no_other_method() {
        let address = start("refusals");
        for path in ["/.git/config", "/src/lib.rs", "/README.md", "/www/../src/lib.rs", "/data/%2e%2e/src/lib.rs"] {
            let answer = get(address, path, "");
            assert!(answer.starts_with("HTTP/1.1 404") || answer.starts_with("HTTP/1.1 400"), "{path}: {answer}");
            assert!(!answer.contains("secret"), "{path}");
            assert!(answer.starts_with("HTTP/1.1 400") || answer.ends_with("not found"), "{path}: {answer}");
        }
        let post = exchange(address, b"POST /index.html HTTP/1.1\r\nHost: lab\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        assert!(post.starts_with("HTTP/1.1 405"), "{post}");
        assert_eq!(header(&post, "allow"), Some("GET,HEAD"));
    }

    #[test]
    fn oversized_and_unfinished_heads_are_cut_off() {
        let address = start("heads");
        // A 4 MB request line: refused once the bounded buffer is full, not read into memory.
        let line = format!("GET /{} HTTP/1.1\r\n", "a".repeat(4 << 20));
        let answer = exchange(address, line.as_bytes());
        assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 431"), "{}", &answer[..answer.len().min(200)]);
        // Sixty heads that never finish: each connection is closed after the head time-out.
        let started = Instant::now();
        let streams: Vec<TcpStream> = (0..60)
            .map(|_| {
                let mut s = TcpStream::connect(address).unwrap();
                s.write_all(b"GET / HTTP/1.1\r\nHost: lab\r\n").unwrap();
                s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                s
            })
            .collect();
        for mut s in streams {
            let mut rest = Vec::new();
            let _ = s.read_to_end(&mut rest);
        }
        assert!(started.elapsed() < Duration::from_secs(4), "held for {:?}", started.elapsed());
    }
}
