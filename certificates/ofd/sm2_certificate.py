"""X.509 certificates on SM2 keys (GB/T 20518, signatures SM2-with-SM3 as GM/T 0015), for
the certificates GB/T 38540 puts in a seal (the seal maker's ``cert``, the signers'
``certList``) and in a signature (the signer's ``cert``).

No installed library issues SM2 certificates (``cryptography`` has no SM2 signatures),
so the structure is asn1crypto's ``x509.Certificate`` and the signature over its
``tbsCertificate`` DER is GmSSL's, through ``gmssl_pyx`` — nothing is encoded by hand.
The demo seal-making authority's certificate is self-signed; a department's is issued by
it (docs/certificates-ofd.md says what a production installation replaces).
"""

from __future__ import annotations

import datetime as dt
import secrets

from asn1crypto import keys, x509
from django.utils.translation import gettext as _

SM2_CURVE_OID = "1.2.156.10197.1.301"  # sm2p256v1 (GM/T 0006)
SM2_WITH_SM3_OID = "1.2.156.10197.1.501"


def _sm2_public_key_info(public_key: bytes) -> keys.PublicKeyInfo:
    return keys.PublicKeyInfo(
        {
            "algorithm": {
                "algorithm": "ec",
                "parameters": keys.ECDomainParameters(name="named", value=SM2_CURVE_OID),
            },
            "public_key": public_key,
        }
    )


def _time(moment: dt.datetime) -> x509.Time:
    moment = moment.astimezone(dt.UTC).replace(microsecond=0)
    # RFC 5280 §4.1.2.5: UTCTime up to 2049, GeneralizedTime from 2050.
    return x509.Time(name="utc_time" if moment.year < 2050 else "general_time", value=moment)


def sm2_certificate_issue(
    *,
    subject: dict[str, str],
    public_key: bytes,
    issuer_certificate: bytes | None,
    issuer_private_key: bytes,
    issuer_public_key: bytes,
    not_before: dt.datetime,
    not_after: dt.datetime,
    is_authority: bool,
) -> bytes:
    """A DER certificate for ``public_key`` (65 bytes, 04‖X‖Y) signed by the issuer's SM2
    key; ``issuer_certificate=None`` makes it self-signed (the authority's own)."""
    from .seal import sm2_sign

    subject_name = x509.Name.build(subject)
    issuer_name = (
        x509.Certificate.load(issuer_certificate).subject if issuer_certificate else subject_name
    )
    usage = (
        {"key_cert_sign", "crl_sign", "digital_signature"}
        if is_authority
        else {
            "digital_signature",
            "non_repudiation",
        }
    )
    algorithm = x509.SignedDigestAlgorithm({"algorithm": SM2_WITH_SM3_OID})
    tbs = x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": secrets.randbits(63) + 1,
            "signature": algorithm,
            "issuer": issuer_name,
            "validity": {"not_before": _time(not_before), "not_after": _time(not_after)},
            "subject": subject_name,
            "subject_public_key_info": _sm2_public_key_info(public_key),
            "extensions": [
                {
                    "extn_id": "basic_constraints",
                    "critical": True,
                    "extn_value": {"ca": is_authority},
                },
                {"extn_id": "key_usage", "critical": True, "extn_value": usage},
            ],
        }
    )
    signature = sm2_sign(
        private_key=issuer_private_key, public_key=issuer_public_key, message=tbs.dump()
    )
    return x509.Certificate(
        {"tbs_certificate": tbs, "signature_algorithm": algorithm, "signature_value": signature}
    ).dump()


def sm2_certificate_public_key(certificate: bytes) -> bytes:
    """The SM2 public key (04‖X‖Y) a DER certificate carries; ``ValueError`` with a
    message if it is no certificate or not on SM2."""
    try:
        parsed = x509.Certificate.load(certificate, strict=True)
        key_info = parsed.public_key
        curve = key_info["algorithm"]["parameters"].chosen.dotted
        point = key_info["public_key"].native
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise ValueError(_("证书不是有效的X.509 DER编码：%(error)s") % {"error": error}) from error
    if curve != SM2_CURVE_OID or len(point) != 65 or point[0] != 4:
        raise ValueError(_("证书中的公钥不是SM2公钥。"))
    return bytes(point)


def sm2_certificate_subject(certificate: bytes) -> str:
    """The certificate's subject common name, for display."""
    return str(x509.Certificate.load(certificate).subject.native.get("common_name", ""))
