//! The world's PKI, made with `openssl`: a CA, the API server's serving certificate (for
//! 127.0.0.1 and the in-cluster names, so clients verify TLS), the service-account signing key,
//! and a bearer token for the administrator (`system:masters`).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::WorldError;

/// Files of the PKI, all in one folder.
#[derive(Debug, Clone)]
pub struct Pki {
    /// The CA certificate (PEM).
    pub ca_cert: PathBuf,
    /// The CA key.
    pub ca_key: PathBuf,
    /// The API server's certificate.
    pub server_cert: PathBuf,
    /// The API server's key.
    pub server_key: PathBuf,
    /// The service-account signing key (private).
    pub sa_key: PathBuf,
    /// The service-account key (public).
    pub sa_pub: PathBuf,
    /// The static token file (`token,user,uid,"groups"`).
    pub tokens: PathBuf,
    /// The administrator's bearer token.
    pub admin_token: String,
}

impl Pki {
    /// Makes the PKI in `dir`.
    pub fn create(dir: &Path) -> Result<Self, WorldError> {
        std::fs::create_dir_all(dir).map_err(|e| WorldError::io(dir, e))?;
        let path = |name: &str| dir.join(name);
        let pki = Self {
            ca_cert: path("ca.crt"),
            ca_key: path("ca.key"),
            server_cert: path("apiserver.crt"),
            server_key: path("apiserver.key"),
            sa_key: path("sa.key"),
            sa_pub: path("sa.pub"),
            tokens: path("tokens.csv"),
            admin_token: random_hex(24)?,
        };
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
        openssl(
            dir,
            &[
                &["req", "-x509", "-nodes", "-days", "3650"][..],
                &ec,
                &[
                    "-subj",
                    "/CN=firecamp-test-world-ca",
                    "-keyout",
                    "ca.key",
                    "-out",
                    "ca.crt",
                ],
            ],
        )?;
        openssl(
            dir,
            &[
                &["req", "-nodes"][..],
                &ec,
                &[
                    "-subj",
                    "/CN=kube-apiserver",
                    "-keyout",
                    "apiserver.key",
                    "-out",
                    "apiserver.csr",
                ],
            ],
        )?;
        let extensions = "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,\
DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:10.96.0.1\n\
basicConstraints=critical,CA:FALSE\n\
keyUsage=critical,digitalSignature,keyEncipherment\n\
extendedKeyUsage=serverAuth\n";
        std::fs::write(path("san.ext"), extensions).map_err(|e| WorldError::io(dir, e))?;
        openssl(
            dir,
            &[&[
                "x509",
                "-req",
                "-in",
                "apiserver.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "3650",
                "-extfile",
                "san.ext",
                "-out",
                "apiserver.crt",
            ][..]],
        )?;
        openssl(dir, &[&["genrsa", "-out", "sa.key", "2048"][..]])?;
        openssl(
            dir,
            &[&["rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub"][..]],
        )?;
        std::fs::write(
            &pki.tokens,
            format!(
                "{},firecamp-test-admin,firecamp-test-admin,\"system:masters\"\n",
                pki.admin_token
            ),
        )
        .map_err(|e| WorldError::io(&pki.tokens, e))?;
        Ok(pki)
    }
}

fn openssl(dir: &Path, parts: &[&[&str]]) -> Result<(), WorldError> {
    let args: Vec<&str> = parts.iter().flat_map(|p| p.iter().copied()).collect();
    let output = Command::new("openssl")
        .current_dir(dir)
        .args(&args)
        .output()
        .map_err(|e| WorldError::io(Path::new("openssl"), e))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(WorldError::Openssl {
            args: args.join(" "),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }
}

/// `bytes` random bytes from the kernel, as hex.
fn random_hex(bytes: usize) -> Result<String, WorldError> {
    let source = Path::new("/dev/urandom");
    let mut buffer = vec![0u8; bytes];
    std::fs::File::open(source)
        .and_then(|mut f| f.read_exact(&mut buffer))
        .map_err(|e| WorldError::io(source, e))?;
    Ok(buffer.iter().map(|b| format!("{b:02x}")).collect())
}
