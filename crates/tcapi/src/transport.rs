//! The HTTP transport under [`Client`](crate::Client): one pooled HTTP/1.1
//! client (hyper) with a connector that owns everything below HTTP: DNS and
//! TCP (with the connect timeout), TLS (rustls with the Mozilla roots plus
//! any configured CA files), and proxies from the usual environment variables
//! (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`, upper or lower case).
//!
//! - `https` through a proxy: a `CONNECT` tunnel, then TLS to the target
//!   inside it (the proxy never sees the request);
//! - plain `http` through a proxy: the request goes to the proxy with the
//!   absolute URL as its target;
//! - loopback targets (`127.0.0.0/8`, `::1`, `localhost`) never use a proxy.
//!
//! It replaced `reqwest`, whose request pipeline (URL re-parsing, redirect
//! and retry layers this client does not use) cost about a third of the
//! client's own CPU per call (docs/benchmarks.md).

use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, Uri};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;
use tower_service::Service;

use crate::error::Error;

/// Longest proxy answer to a `CONNECT` that is read.
const MAX_CONNECT_RESPONSE: usize = 16 * 1024;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Reads the extra root certificates of one PEM file.
pub(crate) fn load_ca_file(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    let ca_error = |reason: String| Error::CaFile {
        path: path.to_path_buf(),
        reason,
    };
    let pem =
        crate::files::read_regular_file(path, crate::files::MAX_SMALL_FILE_BYTES).map_err(|e| {
            match e {
                // The message already names the file.
                crate::files::FileError::NotFound { .. } => ca_error("no such file".into()),
                crate::files::FileError::NotRegular { kind, .. } => {
                    ca_error(format!("is {kind}, not a regular file"))
                }
                crate::files::FileError::TooLarge { limit, .. } => {
                    ca_error(format!("larger than {limit} bytes; is this a PEM file?"))
                }
                crate::files::FileError::Io { reason, .. } => {
                    ca_error(format!("cannot read: {reason}"))
                }
            }
        })?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ca_error(format!("invalid PEM: {e}")))?;
    if certs.is_empty() {
        return Err(ca_error("no PEM certificate in the file".into()));
    }
    Ok(certs)
}

/// The TLS settings: Mozilla's roots (webpki-roots) plus `extra` roots,
/// ring as the crypto provider, HTTP/1.1 by ALPN.
pub(crate) fn tls_config(
    extra: Vec<CertificateDer<'static>>,
) -> Result<Arc<rustls::ClientConfig>, Error> {
    let build_error = |reason: String| Error::ClientBuild { reason };
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for cert in extra {
        roots
            .add(cert)
            .map_err(|e| build_error(format!("a CA certificate was rejected: {e}")))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| build_error(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The pooled HTTP client.
#[derive(Clone)]
pub(crate) struct Transport {
    client: hyper_util::client::legacy::Client<Connector, Full<Bytes>>,
    proxies: Arc<Matcher>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("proxies", &self.proxies)
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// A transport with proxies from the environment as it is now.
    pub(crate) fn new(
        tls: Arc<rustls::ClientConfig>,
        connect_timeout: Duration,
        pool_max_idle_per_host: usize,
    ) -> Transport {
        let proxies = Arc::new(Matcher::from_env());
        let mut http = HttpConnector::new();
        http.set_connect_timeout(Some(connect_timeout));
        http.set_nodelay(true);
        http.enforce_http(false);
        let connector = Connector {
            http,
            tls: TlsConnector::from(tls),
            proxies: proxies.clone(),
        };
        let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(pool_max_idle_per_host)
            .build(connector);
        Transport { client, proxies }
    }

    /// Sends one request. For plain `http` through a proxy that wants
    /// credentials, `Proxy-Authorization` is added here (for `https` it goes
    /// with the `CONNECT`).
    pub(crate) async fn send(
        &self,
        mut request: Request<Full<Bytes>>,
    ) -> Result<Response<Incoming>, BoxError> {
        if request.uri().scheme_str() == Some("http") && !is_loopback(request.uri()) {
            if let Some(auth) = self
                .proxies
                .intercept(request.uri())
                .and_then(|i| i.basic_auth().cloned())
            {
                request
                    .headers_mut()
                    .insert(http::header::PROXY_AUTHORIZATION, auth);
            }
        }
        Ok(self.client.request(request).await?)
    }
}

/// Whether a URI's host is a loopback address or `localhost`.
pub(crate) fn is_loopback(uri: &Uri) -> bool {
    uri.host().is_some_and(is_loopback_host)
}

/// Whether a host (as in a URL: IPv6 in brackets or not) is `localhost`, an
/// address in `127.0.0.0/8`, `::1`, or an IPv4-mapped loopback address.
/// Endpoints and the connector both decide with this.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => ip.is_loopback(),
        Ok(IpAddr::V6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => bare.eq_ignore_ascii_case("localhost"),
    }
}

/// Connects to a target: directly, or through a proxy (see the module doc).
#[derive(Clone)]
struct Connector {
    http: HttpConnector,
    tls: TlsConnector,
    proxies: Arc<Matcher>,
}

impl Service<Uri> for Connector {
    type Response = Conn;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Conn, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.http.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let mut http = self.http.clone();
        let tls = self.tls.clone();
        let intercept = if is_loopback(&dst) {
            None
        } else {
            self.proxies.intercept(&dst)
        };
        Box::pin(async move {
            let https = match dst.scheme_str() {
                Some("https") => true,
                Some("http") => false,
                other => return Err(format!("unsupported scheme {other:?}").into()),
            };
            let host = dst.host().ok_or("the URL has no host")?.to_string();
            let port = dst.port_u16().unwrap_or(if https { 443 } else { 80 });
            let Some(proxy) = intercept else {
                let tcp = http.call(dst).await?.into_inner();
                return if https {
                    Ok(Conn::tls(tls_handshake(&tls, &host, tcp).await?, false))
                } else {
                    Ok(Conn::plain(tcp, false))
                };
            };
            if proxy.uri().scheme_str() != Some("http") {
                return Err(format!(
                    "proxy {}: only http:// proxies are supported",
                    redact(proxy.uri())
                )
                .into());
            }
            let tcp = http
                .call(proxy.uri().clone())
                .await
                .map_err(|e| format!("proxy {}: {e}", redact(proxy.uri())))?
                .into_inner();
            if https {
                let tcp = connect_tunnel(tcp, &host, port, proxy.basic_auth())
                    .await
                    .map_err(|e| format!("proxy {}: {e}", redact(proxy.uri())))?;
                Ok(Conn::tls(tls_handshake(&tls, &host, tcp).await?, true))
            } else {
                // The request itself goes to the proxy, in absolute form.
                Ok(Conn::plain(tcp, true))
            }
        })
    }
}

/// A proxy URI without credentials, for messages.
fn redact(uri: &Uri) -> String {
    match uri.authority() {
        Some(a) => {
            let hostport = a.as_str().rsplit('@').next().unwrap_or_default();
            format!("{}://{hostport}", uri.scheme_str().unwrap_or("http"))
        }
        None => "(no host)".into(),
    }
}

async fn tls_handshake(
    tls: &TlsConnector,
    host: &str,
    tcp: TcpStream,
) -> Result<TlsStream<TcpStream>, BoxError> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let name = ServerName::try_from(bare.to_string())
        .map_err(|e| format!("invalid TLS server name {host:?}: {e}"))?;
    Ok(tls.connect(name, tcp).await?)
}

/// Opens a `CONNECT` tunnel to `host:port` through a proxy connection.
async fn connect_tunnel(
    mut tcp: TcpStream,
    host: &str,
    port: u16,
    auth: Option<&HeaderValue>,
) -> Result<TcpStream, BoxError> {
    let mut head =
        format!("CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n").into_bytes();
    if let Some(auth) = auth {
        head.extend_from_slice(b"Proxy-Authorization: ");
        head.extend_from_slice(auth.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    tcp.write_all(&head).await?;
    let mut answer = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    loop {
        let n = tcp.read(&mut chunk).await?;
        if n == 0 {
            return Err("closed the connection during CONNECT".into());
        }
        answer.extend_from_slice(&chunk[..n]);
        if answer.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
        if answer.len() > MAX_CONNECT_RESPONSE {
            return Err("CONNECT answer too long".into());
        }
    }
    let status_line = answer
        .split(|&b| b == b'\n')
        .next()
        .map(|l| String::from_utf8_lossy(l).trim().to_string())
        .unwrap_or_default();
    let code = status_line.split_whitespace().nth(1).unwrap_or("");
    if code != "200" {
        return Err(format!("CONNECT refused: {status_line}").into());
    }
    Ok(tcp)
}

/// A connection: plain TCP or TLS, and whether it goes to a proxy (then
/// plain-http requests use the absolute URL).
struct Conn {
    io: TokioIo<Stream>,
    proxied: bool,
}

impl Conn {
    fn plain(tcp: TcpStream, proxied: bool) -> Conn {
        Conn {
            io: TokioIo::new(Stream::Plain(tcp)),
            proxied,
        }
    }
    fn tls(tls: TlsStream<TcpStream>, proxied: bool) -> Conn {
        Conn {
            io: TokioIo::new(Stream::Tls(Box::new(tls))),
            proxied,
        }
    }
}

impl Connection for Conn {
    fn connected(&self) -> Connected {
        // A tunnel is end to end: only plain http addresses the proxy itself.
        let absolute_form = self.proxied && matches!(self.io.inner(), Stream::Plain(_));
        Connected::new().proxy(absolute_form)
    }
}

impl hyper::rt::Read for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Plain(s) => s.is_write_vectored(),
            Stream::Tls(s) => s.is_write_vectored(),
        }
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for (uri, expected) in [
            ("http://127.0.0.1:8080/", true),
            ("http://127.9.9.9/", true),
            ("http://[::1]:80/", true),
            ("http://[::ffff:127.0.0.1]:80/", true),
            ("http://LOCALHOST:1/", true),
            ("https://tcss.tencentcloudapi.com/", false),
            ("http://10.0.0.1/", false),
        ] {
            assert_eq!(is_loopback(&uri.parse().unwrap()), expected, "{uri}");
        }
    }

    #[test]
    fn proxy_credentials_never_reach_messages() {
        let uri: Uri = "http://user:secret@proxy.example:3128".parse().unwrap();
        assert_eq!(redact(&uri), "http://proxy.example:3128");
    }

    #[test]
    fn tls_config_takes_extra_roots() {
        assert!(tls_config(Vec::new()).is_ok());
    }
}
