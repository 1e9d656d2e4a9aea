//! TLS for the sending side. Trust for `--cacert`: the file's certificates are trusted as CAs next
//! to the public roots, and a certificate in it that the server presents as its own is accepted as
//! it is. The second is what `curl --cacert` does with the self-signed certificate
//! `openssl req -x509` makes, which webpki refuses as a CA used as an end entity (and whose name
//! is usually only in the CN). And diagnosis: one sentence with the next step for a TLS failure,
//! chosen by the rustls error's type (never its text), and a probe telling a plain-HTTP port behind
//! an https:// URL.

use std::io::Read;
use std::net::ToSocketAddrs;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::target::Url;

/// A client configuration trusting the public roots, the PEM certificates in `pem` as CAs, and
/// each of them as a pinned server certificate.
pub fn client_config(pem: &[u8]) -> Result<rustls::ClientConfig, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("the CA file is not a PEM certificate ({e:?})"))?;
    if certs.is_empty() {
        return Err("the CA file holds no PEM certificate".into());
    }
    let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    // A certificate webpki cannot take as a trust anchor may still be pinned below.
    let _ = roots.add_parsable_certificates(certs.iter().cloned());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| format!("the CA file cannot be used ({e})"))?;
    let verifier = Arc::new(Pinning { inner, pinned: certs });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("could not set up TLS ({e})"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(config)
}

/// webpki's verdict, except that a server certificate found byte for byte in the CA file is
/// accepted: the user handed over that exact certificate. Handshake signatures are still checked.
#[derive(Debug)]
struct Pinning {
    inner: Arc<WebPkiServerVerifier>,
    pinned: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for Pinning {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.inner.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Ok(v) => Ok(v),
            Err(_) if self.pinned.iter().any(|p| p.as_ref() == end_entity.as_ref()) => {
                Ok(ServerCertVerified::assertion())
            }
            Err(e) => Err(e),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// How long the plain-HTTP probe waits for a status line.
pub(crate) const PROBE_TIMEOUT: Duration = Duration::from_millis(1500);

/// Whether `url`'s port answers a plain-HTTP request with a status line.
pub(crate) fn speaks_plain_http(url: &Url, timeout: Duration) -> bool {
    use std::io::Write;
    let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']);
    let port = url.port_or_known_default().unwrap_or(443);
    let Some(addr) = (host, port).to_socket_addrs().ok().and_then(|mut a| a.next()) else { return false };
    let Ok(mut stream) = std::net::TcpStream::connect_timeout(&addr, timeout) else { return false };
    let _ = stream.set_read_timeout(Some(timeout));
    let _ = stream.set_write_timeout(Some(timeout));
    let probe = format!("HEAD / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    if stream.write_all(probe.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 5];
    stream.read_exact(&mut head).is_ok() && &head == b"HTTP/"
}

/// The rustls error somewhere in `e`'s chain. An `io::Error` hides the error it wraps from
/// `source()` (it returns that error's own source), so each one is opened as well.
pub(crate) fn find_rustls_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(inner) = err.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref())
            && let Some(tls) = find_rustls_error(inner)
        {
            return Some(tls);
        }
        cur = err.source();
    }
    None
}

const STAGING: &str = "or --insecure to skip the check (staging only)";

/// One sentence for a TLS failure, with the next step, chosen by the error's type.
pub(crate) fn advice(e: &rustls::Error) -> String {
    use rustls::CertificateError as Cert;
    match e {
        rustls::Error::InvalidCertificate(cert) => match cert {
            Cert::Other(other) if matches!(other.0.downcast_ref(), Some(webpki::Error::CaUsedAsEndEntity)) => {
                format!(
                    "the server presents a CA certificate as its own (a self-signed one, as `openssl req -x509` \
                     makes); trust exactly that certificate with --cacert FILE, {STAGING}"
                )
            }
            Cert::UnknownIssuer => format!(
                "the server's certificate is not signed by a CA this machine trusts; pass that CA with --cacert FILE, {STAGING}"
            ),
            Cert::NotValidForName | Cert::NotValidForNameContext { .. } => format!(
                "the server's certificate is not issued for this host name; use the name it is issued for, {STAGING}"
            ),
            Cert::Expired | Cert::ExpiredContext { .. } => {
                format!("the server's certificate has expired; renew it, {STAGING}")
            }
            _ => advice_without_type(&e.to_string()),
        },
        // Bytes that are not a TLS record: something else (plain HTTP) answers on this port.
        rustls::Error::InvalidMessage(_) => "the server does not speak TLS on this port; try http://".into(),
        _ => advice_without_type(&e.to_string()),
    }
}

/// The sentence for a TLS failure no type says more about: its cause, and the usual ways on.
pub(crate) fn advice_without_type(cause: &str) -> String {
    format!("{cause}; --cacert FILE trusts a private CA, {STAGING}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::{CertificateError, Error, InvalidMessage, OtherError};

    #[test]
    fn advice_follows_the_error_type() {
        let self_signed =
            Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(webpki::Error::CaUsedAsEndEntity))));
        assert!(advice(&self_signed).contains("self-signed"));
        assert!(advice(&Error::InvalidCertificate(CertificateError::UnknownIssuer)).contains("not signed by a CA"));
        assert!(advice(&Error::InvalidCertificate(CertificateError::Expired)).contains("expired"));
        assert!(advice(&Error::InvalidMessage(InvalidMessage::InvalidContentType)).contains("try http://"));
        // Found inside an io::Error, as tokio-rustls hands it on.
        let io = std::io::Error::other(Error::InvalidCertificate(CertificateError::UnknownIssuer));
        assert!(find_rustls_error(&io).is_some());
    }
}
