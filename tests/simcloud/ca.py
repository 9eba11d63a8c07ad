"""TEST DOUBLE: the simulated clouds' certificate authority, which issues what a cloud's managed certificates
(ACM) would: a certificate for the names asked, valid now, signed by a CA the machine trusts only when told to
(scripts/simulated-cloud names its certificate in SSL_CERT_FILE for the tool's heartbeat). A client that does not
trust it, or that asks for another name, fails verification as it would against a real certificate."""

from __future__ import annotations

import datetime
import fcntl
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from openedx_deploy.secrets import generate_data_ca, split_data_ca

CA_FILE = "ca.pem"


def _pem_key(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _general_name(name: str) -> x509.GeneralName:
    """A subject alternative name: an IP address (a managed store's endpoint, which the simulation names by its
    address) or a DNS name."""
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


class SimulatedCA:
    """A CA kept in `directory`, made on first use: the simulated clouds' public CA (simulated_ca), or a managed
    service's own (own_ca: Cloud SQL's and Memorystore's per-instance CAs, which no host trusts)."""

    def __init__(self, directory: Path, common_name: str = "openedx-deploy simulated cloud CA (test double)") -> None:
        self.directory = directory
        self.common_name = common_name
        directory.mkdir(parents=True, exist_ok=True)
        with (directory / "ca.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (directory / CA_FILE).exists():
                self._create()
        self.key = serialization.load_pem_private_key((directory / "ca.key").read_bytes(), password=None)
        self.certificate = x509.load_pem_x509_certificate((directory / CA_FILE).read_bytes())

    @property
    def certificate_file(self) -> Path:
        return self.directory / CA_FILE

    def _create(self) -> None:
        key, certificate = split_data_ca(generate_data_ca(self.common_name, days=30))
        key_file = self.directory / "ca.key"
        key_file.touch(mode=0o600)
        key_file.write_text(key)
        (self.directory / CA_FILE).write_text(certificate)

    def issue(self, names: list[str], self_signed: bool = False) -> tuple[str, str]:
        """(certificate PEM followed by the CA's, key PEM) for `names`, the first its subject; `self_signed`: signed by
        its own key instead (what Azure Key Vault's `Self` issuer makes), which no client trusting the CA accepts."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        assert isinstance(self.key, ec.EllipticCurvePrivateKey)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
        signer = key if self_signed else self.key
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject if self_signed else self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=13))
            .add_extension(x509.SubjectAlternativeName([_general_name(n) for n in names]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False)
            .sign(signer, hashes.SHA256())
        )
        chain = certificate.public_bytes(serialization.Encoding.PEM)
        if not self_signed:
            chain += self.certificate.public_bytes(serialization.Encoding.PEM)
        return chain.decode(), _pem_key(key)


def simulated_ca(state_dir: Path) -> SimulatedCA:
    return SimulatedCA(state_dir / "ca")


def own_ca(directory: Path, service: str) -> SimulatedCA:
    """A managed service's per-instance CA (Cloud SQL's server CA, Memorystore's): its certificate is what the
    stack's outputs hand the clients (server_ca_cert, server_ca_certs); no simulated host trusts it otherwise."""
    return SimulatedCA(directory, f"{service} per-instance CA (test double)")
