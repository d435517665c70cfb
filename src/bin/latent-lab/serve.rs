//! `latent-lab serve`: the page as static files from the repository root on 127.0.0.1, with
//! the MIME types it needs (application/wasm lets the browser compile while downloading) and
//! Content-Length on every file (the page's download progress bars). One thread per
//! connection; every response closes its connection. The page needs nothing more.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};

/// A request head longer than this is not from the page.
const MAX_HEAD: usize = 16 * 1024;

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "wasm" => "application/wasm",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

/// `%xx` escapes of a URL path decoded; `None` for malformed ones or non-UTF-8 results.
fn percent_decode(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The file under `root` that a URL path names, or `None` when it would leave `root`.
fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let path = percent_decode(url_path.split(['?', '#']).next()?)?;
    let mut file = root.to_path_buf();
    for part in Path::new(&path).components() {
        match part {
            Component::Normal(name) => file.push(name),
            Component::RootDir | Component::CurDir => {}
            Component::ParentDir | Component::Prefix(_) => return None,
        }
    }
    if path.ends_with('/') || file.is_dir() {
        file.push("index.html");
    }
    Some(file)
}

fn respond(stream: &mut TcpStream, status: &str, headers: &[(&str, String)], body: &[u8]) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)
}

fn text(stream: &mut TcpStream, status: &str, message: &str) -> io::Result<()> {
    let headers = [("Content-Type", "text/plain; charset=utf-8".to_string()), ("Content-Length", message.len().to_string())];
    respond(stream, status, &headers, message.as_bytes())
}

fn handle(root: &Path, mut stream: TcpStream) -> io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Read (and ignore) the headers, within a bound.
    let mut head_len = request_line.len();
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line)?;
        head_len += n;
        if n == 0 || line == "\r\n" || line == "\n" {
            break;
        }
        if head_len > MAX_HEAD {
            return text(&mut stream, "431 Request Header Fields Too Large", "request head too large");
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method != "GET" && method != "HEAD" {
        return text(&mut stream, "405 Method Not Allowed", "only GET and HEAD");
    }
    let Some(file) = resolve(root, target) else {
        return text(&mut stream, "403 Forbidden", "forbidden");
    };
    let opened = std::fs::File::open(&file).and_then(|f| f.metadata().map(|m| (f, m)));
    let Ok((mut f, meta)) = opened.and_then(|(f, m)| if m.is_file() { Ok((f, m)) } else { Err(io::ErrorKind::NotFound.into()) }) else {
        return text(&mut stream, "404 Not Found", &format!("not found: {target}"));
    };
    let headers = [
        ("Content-Type", content_type(&file).to_string()),
        ("Content-Length", meta.len().to_string()),
        ("Cache-Control", "no-cache".to_string()),
    ];
    respond(&mut stream, "200 OK", &headers, &[])?;
    if method == "GET" {
        io::copy(&mut f, &mut stream)?;
    }
    Ok(())
}

/// Serves `root` on 127.0.0.1:`port` (0 picks a free port) until killed, after printing the
/// URL as the first line of stdout.
pub fn serve(root: &Path, port: u16) -> Result<(), String> {
    let listener = TcpListener::bind(("127.0.0.1", port)).map_err(|e| format!("cannot listen on port {port}: {e}"))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    println!("Latent Lab is served at http://{address}/");
    io::stdout().flush().map_err(|e| e.to_string())?;
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let root = root.to_path_buf();
        // A browser that goes away mid-download is its own business.
        std::thread::spawn(move || {
            let _ = handle(&root, stream);
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_root() {
        let root = Path::new("/srv/lab");
        assert_eq!(resolve(root, "/www/js/main.js?v=2"), Some(root.join("www/js/main.js")));
        assert_eq!(resolve(root, "/data/a%20b.npy"), Some(root.join("data/a b.npy")));
        assert_eq!(resolve(root, "/"), Some(root.join("index.html")));
        for escape in ["/../etc/passwd", "/www/../../etc/passwd", "/%2e%2e/etc/passwd", "/bad%zz"] {
            assert_eq!(resolve(root, escape), None, "{escape}");
        }
        assert_eq!(content_type(Path::new("pkg/latent_lab_bg.wasm")), "application/wasm");
    }
}
