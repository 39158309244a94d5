//! TLS to `https://` targets: the public web's roots (Mozilla's, compiled in, so the gateway
//! needs no certificate store on its host) and, for an app behind a private CA, the CA
//! certificates of `tls_ca_file`.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// Why the CA file cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CaFileError {
    /// The file cannot be read.
    #[error("cannot read it: {0}")]
    Read(#[source] std::io::Error),
    /// No `CERTIFICATE` block in it.
    #[error("it holds no PEM certificate (a -----BEGIN CERTIFICATE----- block)")]
    Empty,
    /// A block is not valid PEM.
    #[error("its PEM is malformed ({0})")]
    Pem(String),
    /// A certificate that rustls cannot trust as a root.
    #[error("certificate {at} of the file is not a usable CA certificate ({detail})")]
    Unusable {
        /// Its place in the file, from 1.
        at: usize,
        /// rustls's reason.
        detail: String,
    },
}

/// The CA certificates in the PEM file at `path` (other blocks, such as keys, are skipped).
pub(crate) fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, CaFileError> {
    let pem = std::fs::read(path).map_err(CaFileError::Read)?;
    let certificates = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| CaFileError::Pem(err.to_string()))?;
    if certificates.is_empty() {
        return Err(CaFileError::Empty);
    }
    Ok(certificates)
}

/// The client's TLS settings: TLS 1.2 and 1.3 with ring's algorithms, trusting the public
/// roots and `extra_roots`.
pub(crate) fn client_config(
    extra_roots: &[CertificateDer<'static>],
) -> Result<Arc<rustls::ClientConfig>, CaFileError> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for (at, certificate) in extra_roots.iter().enumerate() {
        roots
            .add(certificate.clone())
            .map_err(|err| CaFileError::Unusable {
                at: at + 1,
                detail: err.to_string(),
            })?;
    }
    // ring's algorithms: no post-quantum key exchange (rustls deprecates the provider for
    // that), but no CMake or assembler toolchain to build, unlike aws-lc-rs.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| CaFileError::Unusable {
            at: 0,
            detail: err.to_string(),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}
