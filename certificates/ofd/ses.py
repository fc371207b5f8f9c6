"""The ASN.1 structures of GB/T 38540-2020 (安全电子签章密码技术规范), version 4: the
electronic seal ``SES_Seal`` (the ``Seal.esl`` of an OFD) and the electronic signature
``SES_Signature`` (its ``SignedValue.dat``), DER-encoded with asn1crypto.

Followed: the module of GB/T 38540-2020 §5 (seal) and §6 (signature) as implemented by
ofdrw's ``org.ofdrw.gm.ses.v4`` classes (SESeal, SES_SealInfo, SES_ESPropertyInfo,
SES_CertList, TBS_Sign, SES_Signature) and ``org.ofdrw.gm.ses.v1`` (SES_Header,
SES_ESPictrueInfo, ExtData/ExtensionDatas), cross-read with the GM/T 0031 / GB/T 38540
verifier of github.com/Chingliu/gm_0031_38540_verifier (38540.cpp)::

    SES_Seal ::= SEQUENCE { esealInfo SES_SealInfo, cert OCTET STRING (制章者证书),
                            signAlgID OBJECT IDENTIFIER, signedValue BIT STRING }
    SES_SealInfo ::= SEQUENCE { header SES_Header, esID IA5String,
                                property SES_ESPropertyInfo, picture SES_ESPictureInfo,
                                extDatas ExtensionDatas OPTIONAL }
    SES_Header ::= SEQUENCE { id IA5String ("ES"), version INTEGER (4), vid IA5String }
    SES_ESPropertyInfo ::= SEQUENCE { type INTEGER, name UTF8String,
                                      certListType INTEGER, certList SES_CertList,
                                      createDate, validStart, validEnd GeneralizedTime }
    SES_CertList ::= CHOICE { certs CertInfoList, certDigestList CertDigestList }
    CertInfoList ::= SEQUENCE OF OCTET STRING        -- certListType 1
    CertDigestList ::= SEQUENCE OF CertDigestObj     -- certListType 2
    CertDigestObj ::= SEQUENCE { type PrintableString, value OCTET STRING }
    SES_ESPictureInfo ::= SEQUENCE { type IA5String, data OCTET STRING,
                                     width INTEGER, height INTEGER }   -- millimetres
    ExtensionDatas ::= SEQUENCE OF ExtData
    ExtData ::= SEQUENCE { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE,
                           extnValue OCTET STRING }
    TBS_Sign ::= SEQUENCE { version INTEGER (4), eseal SES_Seal,
                            timeInfo GeneralizedTime, dataHash BIT STRING,
                            propertyInfo IA5String, extDatas [0] EXPLICIT ExtensionDatas OPTIONAL }
    SES_Signature ::= SEQUENCE { toSign TBS_Sign, cert OCTET STRING (签章者证书),
                                 signatureAlgID OBJECT IDENTIFIER, signature BIT STRING,
                                 timeStamp [0] EXPLICIT BIT STRING OPTIONAL }

The two alternatives of ``SES_CertList`` are both untagged SEQUENCE OF, so no decoder
can tell them apart by tag: the standard selects by ``certListType``, and so does
``SESESPropertyInfo.cert_list`` here (the field itself is kept as ``Any``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any as AnyType

from asn1crypto import core
from django.utils.translation import gettext as _

SES_VERSION = 4
SES_HEADER_ID = "ES"
CERT_LIST_CERTIFICATES = 1  # certListType: the signers' certificates themselves
CERT_LIST_DIGESTS = 2  # certListType: digests of the signers' certificates


class SesFormatError(ValueError):
    """The bytes are not a well-formed DER structure of GB/T 38540; ``str()`` says why."""


class ExtData(core.Sequence):
    _fields = [
        ("extnID", core.ObjectIdentifier),
        ("critical", core.Boolean, {"default": False}),
        ("extnValue", core.OctetString),
    ]


class ExtensionDatas(core.SequenceOf):
    _child_spec = ExtData


class SESHeader(core.Sequence):
    _fields = [("id", core.IA5String), ("version", core.Integer), ("vid", core.IA5String)]


class CertInfoList(core.SequenceOf):
    _child_spec = core.OctetString


class CertDigestObj(core.Sequence):
    _fields = [("type", core.PrintableString), ("value", core.OctetString)]


class CertDigestList(core.SequenceOf):
    _child_spec = CertDigestObj


class SESESPropertyInfo(core.Sequence):
    _fields = [
        ("type", core.Integer),
        ("name", core.UTF8String),
        ("certListType", core.Integer),
        ("certList", core.Any),
        ("createDate", core.GeneralizedTime),
        ("validStart", core.GeneralizedTime),
        ("validEnd", core.GeneralizedTime),
    ]

    def cert_list(self) -> CertInfoList | CertDigestList:
        """The certList decoded as its certListType says (1: certificates, 2: digests)."""
        kind = self["certListType"].native
        if kind == CERT_LIST_CERTIFICATES:
            return self["certList"].parse(CertInfoList)
        if kind == CERT_LIST_DIGESTS:
            return self["certList"].parse(CertDigestList)
        raise SesFormatError(_("印章属性中的证书列表类型 %(kind)s 无效。") % {"kind": kind})


class SESESPictureInfo(core.Sequence):
    _fields = [
        ("type", core.IA5String),
        ("data", core.OctetString),
        ("width", core.Integer),
        ("height", core.Integer),
    ]


class SESSealInfo(core.Sequence):
    _fields = [
        ("header", SESHeader),
        ("esID", core.IA5String),
        ("property", SESESPropertyInfo),
        ("picture", SESESPictureInfo),
        ("extDatas", ExtensionDatas, {"optional": True}),
    ]


class SESSeal(core.Sequence):
    _fields = [
        ("esealInfo", SESSealInfo),
        ("cert", core.OctetString),
        ("signAlgID", core.ObjectIdentifier),
        ("signedValue", core.OctetBitString),
    ]

    def signed_part(self) -> bytes:
        """What the seal maker signs: the DER of SEQUENCE { esealInfo, cert, signAlgID }
        (GB/T 38540-2020 §5.3, signedValue), from the bytes as received."""
        body = self["esealInfo"].dump() + self["cert"].dump() + self["signAlgID"].dump()
        return core.Sequence(contents=body).dump()


class TBSSign(core.Sequence):
    _fields = [
        ("version", core.Integer),
        ("eseal", SESSeal),
        ("timeInfo", core.GeneralizedTime),
        ("dataHash", core.OctetBitString),
        ("propertyInfo", core.IA5String),
        ("extDatas", ExtensionDatas, {"explicit": 0, "optional": True}),
    ]


class SESSignature(core.Sequence):
    _fields = [
        ("toSign", TBSSign),
        ("cert", core.OctetString),
        ("signatureAlgID", core.ObjectIdentifier),
        ("signature", core.OctetBitString),
        ("timeStamp", core.OctetBitString, {"explicit": 0, "optional": True}),
    ]


def _second(moment: dt.datetime) -> dt.datetime:
    # DER GeneralizedTime: UTC, and no fraction (asn1crypto writes one for microseconds).
    return moment.astimezone(dt.UTC).replace(microsecond=0)


def seal_info_build(
    *,
    vendor_id: str,
    seal_id: str,
    seal_type: int,
    name: str,
    signer_certificates: list[bytes],
    created_at: dt.datetime,
    valid_start: dt.datetime,
    valid_end: dt.datetime,
    picture_png: bytes,
    picture_mm: int,
) -> SESSealInfo:
    """The seal's information (``esealInfo``), with the signers' certificates in its
    certList (certListType 1)."""
    return SESSealInfo(
        {
            "header": {"id": SES_HEADER_ID, "version": SES_VERSION, "vid": vendor_id},
            "esID": seal_id,
            "property": {
                "type": seal_type,
                "name": name,
                "certListType": CERT_LIST_CERTIFICATES,
                "certList": core.Any.load(CertInfoList(signer_certificates).dump()),
                "createDate": _second(created_at),
                "validStart": _second(valid_start),
                "validEnd": _second(valid_end),
            },
            "picture": {
                "type": "png",
                "data": picture_png,
                "width": picture_mm,
                "height": picture_mm,
            },
        }
    )


def seal_assemble(
    *,
    seal_info: SESSealInfo,
    maker_certificate: bytes,
    algorithm: str,
    sign: Callable[[bytes], bytes],
) -> bytes:
    """The DER ``SES_Seal``: ``sign(message)`` is the maker's SM2 signature over
    SEQUENCE { esealInfo, cert, signAlgID }."""
    seal = SESSeal(
        {
            "esealInfo": seal_info,
            "cert": maker_certificate,
            "signAlgID": algorithm,
            "signedValue": b"",
        }
    )
    seal["signedValue"] = sign(seal.signed_part())
    return seal.dump()


def tbs_sign_build(
    *, seal_der: bytes, signed_at: dt.datetime, data_hash: bytes, property_info: str
) -> TBSSign:
    """What the signer signs: the seal used, when, the hash of the signed data and where
    that data is (``propertyInfo``)."""
    return TBSSign(
        {
            "version": SES_VERSION,
            "eseal": SESSeal.load(seal_der),
            "timeInfo": _second(signed_at),
            "dataHash": data_hash,
            "propertyInfo": property_info,
        }
    )


def signature_assemble(
    *, to_sign: TBSSign, signer_certificate: bytes, algorithm: str, signature: bytes
) -> bytes:
    """The DER ``SES_Signature`` around a signed ``TBS_Sign``."""
    return SESSignature(
        {
            "toSign": to_sign,
            "cert": signer_certificate,
            "signatureAlgID": algorithm,
            "signature": signature,
        }
    ).dump()


def bit_string_bytes(value: core.OctetBitString) -> bytes:
    """The bytes of a BIT STRING that holds whole bytes (a signature, a hash): a BIT
    STRING with unused bits is not one."""
    contents = value.contents or b""
    if not contents or contents[0] != 0:
        raise SesFormatError(_("BIT STRING 含有未用位，不是签名值或杂凑值。"))
    return contents[1:]


def _strict_load(spec: type[core.Sequence], data: bytes, what: str) -> AnyType:
    """Decode ``data`` as ``spec``, all of it, and only if it is canonical DER: every
    field is parsed (asn1crypto parses lazily) and re-encoding gives the same bytes."""
    try:
        value = spec.load(data, strict=True)
        value.native  # noqa: B018 - parses every field now, so errors surface here
        canonical = value.dump(force=True)
    except (ValueError, TypeError, KeyError, OverflowError) as error:
        # asn1crypto's first line says what was wrong; a hostile length can make it long.
        reason = str(error).splitlines()[0][:120] if str(error) else type(error).__name__
        raise SesFormatError(
            _("%(what)s 不是有效的DER编码：%(error)s") % {"what": what, "error": reason}
        ) from error
    if canonical != data:
        raise SesFormatError(_("%(what)s 不是规范的DER编码（BER或多余的字节）。") % {"what": what})
    return spec.load(data, strict=True)


def seal_load(data: bytes) -> SESSeal:
    """A ``Seal.esl``, checked to be a DER ``SES_Seal`` of version 4."""
    seal: SESSeal = _strict_load(SESSeal, data, _("电子印章（SES_Seal）"))
    _check_header(seal)
    return seal


def signature_load(data: bytes) -> SESSignature:
    """A ``SignedValue.dat``, checked to be a DER ``SES_Signature`` of version 4."""
    signature: SESSignature = _strict_load(SESSignature, data, _("电子签章（SES_Signature）"))
    if signature["toSign"]["version"].native != SES_VERSION:
        raise SesFormatError(_("电子签章的版本不是 v4（GB/T 38540-2020）。"))
    _check_header(signature["toSign"]["eseal"])
    bit_string_bytes(signature["toSign"]["dataHash"])
    bit_string_bytes(signature["signature"])
    return signature


def _check_header(seal: SESSeal) -> None:
    header = seal["esealInfo"]["header"]
    if header["id"].native != SES_HEADER_ID or header["version"].native != SES_VERSION:
        raise SesFormatError(_("电子印章头信息不是「ES」v4（GB/T 38540-2020）。"))
    seal["esealInfo"]["property"].cert_list()
    bit_string_bytes(seal["signedValue"])
