//! A real S3 server for tests: SeaweedFS (`weed mini`) on free loopback
//! ports with a throwaway access key, refusing anonymous requests.
//!
//! `weed` comes from `ensure_test_tools` (scripts/lib/services.sh) under
//! `$TAICHU_TEST_TOOLS`. The harness's own calls are signed here (SigV4 over
//! plain HTTP/1.1), independently of the S3 client the program uses.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// The region the harness signs for and tells clients to use.
pub const REGION: &str = "us-east-1";

/// A running SeaweedFS; stopped on drop.
#[derive(Debug)]
pub struct S3Server {
    child: Option<Child>,
    dir: tempfile::TempDir,
    /// The S3 port first, then every other port `weed mini` listens on.
    ports: Vec<u16>,
    access_key: String,
    secret_key: String,
}

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct S3Response {
    pub status: u16,
    pub body: Vec<u8>,
}

impl S3Response {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn free_ports(n: usize) -> Vec<u16> {
    // All held at once, so they differ.
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("bind"))
        .collect();
    listeners.iter().map(|l| l.local_addr().expect("addr").port()).collect()
}

impl S3Server {
    /// Starts one and waits until it accepts signed writes; `None` (after
    /// `skip`) when `weed` is not installed.
    pub fn start() -> Option<Self> {
        if !weed().exists() {
            crate::skip("SeaweedFS (ensure_test_tools in scripts/lib/services.sh)");
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("taichu-s3-")
            .tempdir()
            .expect("temp dir");
        std::fs::create_dir_all(dir.path().join("data")).expect("data dir");
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let (access_key, secret_key) = (format!("TAICHU{}", &tag[..14].to_uppercase()), tag);
        let identities = serde_json::json!({"identities": [{
            "name": "taichu",
            "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }]});
        std::fs::write(dir.path().join("s3.json"), identities.to_string()).expect("s3.json");
        let mut server = Self {
            child: None,
            dir,
            ports: free_ports(10),
            access_key,
            secret_key,
        };
        server.launch();
        Some(server)
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports[0])
    }

    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// What the program reads to use `bucket` on this server.
    pub fn env(&self, bucket: &str) -> Vec<(String, String)> {
        [
            ("TAICHU_OBJECT_STORE", format!("s3://{bucket}")),
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_REGION", REGION.to_owned()),
            ("AWS_ACCESS_KEY_ID", self.access_key.clone()),
            ("AWS_SECRET_ACCESS_KEY", self.secret_key.clone()),
            ("AWS_ALLOW_HTTP", "true".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    pub fn create_bucket(&self, name: &str) {
        let r = self.signed("PUT", name, "", &[], b"");
        assert_eq!(r.status, 200, "create bucket {name}: {}", r.text());
    }

    pub fn put(&self, bucket: &str, key: &str, body: &[u8]) {
        let r = self.signed("PUT", bucket, key, &[], body);
        assert_eq!(r.status, 200, "put {bucket}/{key}: {}", r.text());
    }

    pub fn get(&self, bucket: &str, key: &str) -> Vec<u8> {
        let r = self.signed("GET", bucket, key, &[], b"");
        assert_eq!(r.status, 200, "get {bucket}/{key}: {}", r.text());
        r.body
    }

    pub fn delete(&self, bucket: &str, key: &str) {
        let r = self.signed("DELETE", bucket, key, &[], b"");
        assert_eq!(r.status, 204, "delete {bucket}/{key}: {}", r.text());
    }

    /// Keys under `prefix` (ListObjectsV2, every page).
    pub fn list(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut query = vec![("list-type", "2"), ("prefix", prefix)];
            if let Some(t) = &token {
                query.push(("continuation-token", t));
            }
            let r = self.signed("GET", bucket, "", &query, b"");
            assert_eq!(r.status, 200, "list {bucket}/{prefix}: {}", r.text());
            let xml = r.text();
            keys.extend(elements(&xml, "Key"));
            token = (elements(&xml, "IsTruncated").first().map(String::as_str) == Some("true"))
                .then(|| elements(&xml, "NextContinuationToken").into_iter().next())
                .flatten();
            if token.is_none() {
                return keys;
            }
        }
    }

    /// A request signed with this server's key.
    pub fn signed(&self, method: &str, bucket: &str, key: &str, query: &[(&str, &str)], body: &[u8]) -> S3Response {
        self.request(
            method,
            bucket,
            key,
            query,
            body,
            Some((&self.access_key, &self.secret_key)),
        )
    }

    /// A request signed with `keys` (access key, secret), or anonymous with `None`.
    pub fn request(
        &self,
        method: &str,
        bucket: &str,
        key: &str,
        query: &[(&str, &str)],
        body: &[u8],
        keys: Option<(&str, &str)>,
    ) -> S3Response {
        let mut path = format!("/{}", uri_encode(bucket, false));
        if !key.is_empty() {
            path = format!("{path}/{}", uri_encode(key, false));
        }
        let mut pairs: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (uri_encode(k, true), uri_encode(v, true)))
            .collect();
        pairs.sort();
        let query = pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let host = format!("127.0.0.1:{}", self.ports[0]);
        let mut headers = vec![("Host".to_owned(), host)];
        if let Some((access, secret)) = keys {
            headers.extend(sign(method, &path, &query, &headers[0].1, body, access, secret));
        }
        let target = if query.is_empty() {
            path
        } else {
            format!("{path}?{query}")
        };
        http(self.ports[0], method, &target, &headers, body)
    }

    /// Stops the server (SIGTERM, as a service manager would).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
            let deadline = Instant::now() + Duration::from_secs(15);
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops and starts it again on the same ports and data.
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }

    /// Starts it again after [`S3Server::stop`], on the same ports and data,
    /// and waits until it takes writes.
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "SeaweedFS is still running");
        self.launch();
    }

    /// Incomplete multipart uploads under `prefix` (ListMultipartUploads,
    /// every page), as `(key, upload id)`.
    pub fn multipart_uploads(&self, bucket: &str, prefix: &str) -> Vec<(String, String)> {
        let mut uploads = Vec::new();
        let mut markers: Option<(String, String)> = None;
        loop {
            let mut query = vec![("uploads", ""), ("prefix", prefix)];
            if let Some((key, id)) = &markers {
                query.push(("key-marker", key));
                query.push(("upload-id-marker", id));
            }
            let r = self.signed("GET", bucket, "", &query, b"");
            assert_eq!(r.status, 200, "list uploads {bucket}/{prefix}: {}", r.text());
            let xml = r.text();
            for upload in xml.split("<Upload>").skip(1) {
                let key = elements(upload, "Key").into_iter().next().expect("Key");
                let id = elements(upload, "UploadId").into_iter().next().expect("UploadId");
                uploads.push((key, id));
            }
            let truncated = elements(&xml, "IsTruncated").first().map(String::as_str) == Some("true");
            if !truncated {
                return uploads;
            }
            let next = |name| elements(&xml, name).into_iter().next().unwrap_or_default();
            markers = Some((next("NextKeyMarker"), next("NextUploadIdMarker")));
        }
    }

    /// What `weed` printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("weed.log")).unwrap_or_default()
    }

    fn launch(&mut self) {
        let d = self.dir.path();
        let p = &self.ports;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(d.join("weed.log"))
            .expect("weed.log");
        let child = Command::new(weed())
            .arg("mini")
            .args(["-ip=127.0.0.1", "-ip.bind=127.0.0.1"])
            .arg(format!("-dir={}", d.join("data").display()))
            .arg(format!("-s3.config={}", d.join("s3.json").display()))
            .arg(format!("-s3.localSocket={}", d.join("s3.sock").display()))
            .arg(format!("-filer.localSocket={}", d.join("filer.sock").display()))
            .arg(format!("-admin.dataDir={}", d.join("admin").display()))
            // Every port given, so that servers side by side never meet.
            .arg(format!("-s3.port={}", p[0]))
            .arg(format!("-s3.port.grpc={}", p[1]))
            .arg(format!("-master.port={}", p[2]))
            .arg(format!("-master.port.grpc={}", p[3]))
            .arg(format!("-volume.port={}", p[4]))
            .arg(format!("-volume.port.grpc={}", p[5]))
            .arg(format!("-filer.port={}", p[6]))
            .arg(format!("-filer.port.grpc={}", p[7]))
            .arg(format!("-admin.port={}", p[8]))
            .arg(format!("-admin.port.grpc={}", p[9]))
            .args([
                "-s3.port.iceberg=0",
                "-s3.port.lance=0",
                "-webdav=false",
                "-admin.ui=false",
            ])
            .arg("-master.telemetry=false")
            .current_dir(d)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start weed");
        self.child = Some(child);
        self.wait_writable();
    }

    /// Waits until a signed write goes through (the S3 gateway answers
    /// before its volume server has registered).
    fn wait_writable(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let probe = "taichu-harness-ready";
        loop {
            let ok = TcpStream::connect(("127.0.0.1", self.ports[0])).is_ok() && {
                let bucket = self.signed("PUT", probe, "", &[], b"").status;
                let object = self.signed("PUT", probe, "probe", &[], b"ready").status;
                matches!(bucket, 200 | 409) && object == 200
            };
            if ok {
                self.signed("DELETE", probe, "probe", &[], b"");
                self.signed("DELETE", probe, "", &[], b"");
                return;
            }
            let exited = self.child.as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(Some(_))));
            assert!(
                !exited && Instant::now() < deadline,
                "SeaweedFS did not come up:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn weed() -> PathBuf {
    crate::etcd::tools_dir().join("bin/weed")
}

/// S3's URI encoding: unreserved characters stay, `/` stays in paths.
fn uri_encode(text: &str, slash: bool) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b'/' if !slash => "/".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let inner = Sha256::new()
        .chain_update(block.map(|b| b ^ 0x36))
        .chain_update(data)
        .finalize();
    Sha256::new()
        .chain_update(block.map(|b| b ^ 0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// AWS Signature Version 4 headers for one request (host, date and payload hash signed).
fn sign(
    method: &str,
    path: &str,
    query: &str,
    host: &str,
    body: &[u8],
    access: &str,
    secret: &str,
) -> Vec<(String, String)> {
    let now = chrono::Utc::now();
    let (stamp, day) = (
        now.format("%Y%m%dT%H%M%SZ").to_string(),
        now.format("%Y%m%d").to_string(),
    );
    let payload = hex(&Sha256::digest(body));
    let signed_headers = "host;x-amz-content-sha256;x-amz-date";
    let canonical = format!(
        "{method}\n{path}\n{query}\nhost:{host}\nx-amz-content-sha256:{payload}\nx-amz-date:{stamp}\n\n{signed_headers}\n{payload}"
    );
    let scope = format!("{day}/{REGION}/s3/aws4_request");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut key = hmac(format!("AWS4{secret}").as_bytes(), day.as_bytes());
    for part in [REGION, "s3", "aws4_request"] {
        key = hmac(&key, part.as_bytes());
    }
    let signature = hex(&hmac(&key, to_sign.as_bytes()));
    vec![
        ("x-amz-date".into(), stamp),
        ("x-amz-content-sha256".into(), payload),
        (
            "Authorization".into(),
            format!(
                "AWS4-HMAC-SHA256 Credential={access}/{scope}, SignedHeaders={signed_headers}, Signature={signature}"
            ),
        ),
    ]
}

/// One HTTP/1.1 exchange on a fresh connection; (status, body). Refused or
/// cut connections answer status 0.
fn http(port: u16, method: &str, target: &str, headers: &[(String, String)], body: &[u8]) -> S3Response {
    let exchange = || -> std::io::Result<Vec<u8>> {
        let mut stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        let mut head = format!("{method} {target} HTTP/1.1\r\n");
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", body.len()));
        stream.write_all(head.as_bytes())?;
        stream.write_all(body)?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer)?;
        Ok(answer)
    };
    let Ok(answer) = exchange() else {
        return S3Response {
            status: 0,
            body: Vec::new(),
        };
    };
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").expect("HTTP head");
    let head = String::from_utf8_lossy(&answer[..split]).to_ascii_lowercase();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("HTTP status");
    let raw = &answer[split + 4..];
    let body = if head.contains("\r\ntransfer-encoding: chunked") {
        dechunk(raw)
    } else {
        raw.to_vec()
    };
    S3Response { status, body }
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") else {
            return body;
        };
        let size_text = String::from_utf8_lossy(&raw[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16).expect("chunk size");
        if size == 0 || raw.len() < eol + 2 + size {
            return body;
        }
        body.extend_from_slice(&raw[eol + 2..eol + 2 + size]);
        raw = &raw[(eol + 4 + size).min(raw.len())..];
    }
}

/// The text of every `<name>…</name>` element, XML entities decoded.
fn elements(xml: &str, name: &str) -> Vec<String> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    xml.split(&open)
        .skip(1)
        .filter_map(|rest| rest.split_once(&close).map(|(text, _)| unescape(text)))
        .collect()
}

fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let Some(end) = rest[at..].find(';') else {
            out.push_str(&rest[at..]);
            return out;
        };
        let entity = &rest[at + 1..at + end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => out.push(c),
            None => out.push_str(&rest[at..=at + end]),
        }
        rest = &rest[at + end + 1..];
    }
    out.push_str(rest);
    out
}
