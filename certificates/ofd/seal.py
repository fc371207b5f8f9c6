"""SM2 electronic seals (电子印章, after GB/T 38540) for the OFD certificates.

The curve arithmetic is GmSSL 3's, through ``gmssl_pyx`` (see docs/certificates-ofd.md for
why that library). Layout under ``settings.SEALS_DIR`` (outside the repository, beside
the RSA/ECDSA seals of the PDFs)::

    sm2/authority.key              the demo seal-making authority's private key (hex, 0600)
    sm2/authority.pub              its public key (hex, 04‖X‖Y) — what verifiers trust
    sm2/departments/<CODE>.key     the department's private key (hex, 0600)
    sm2/departments/<CODE>.pub     its public key (hex): the key a department publishes
    sm2/departments/<CODE>.esl     its seal: picture, holder, validity, signed by the authority

The seal file is a small XML rendition of the standard's ``SES_Seal`` (not its ASN.1 DER):
the authority's SM2 signature covers the exact bytes of its ``<SealInfo>`` element.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import math
import re
import secrets
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils.translation import gettext as _

from departments.models import Department

from ..exceptions import SealMissingError
from ..seals import _seals_lock, _write_private, _write_public

SM2_SIGNATURE_OID = "1.2.156.10197.1.501"  # SM2 signature with SM3 (GM/T 0006)
SM3_OID = "1.2.156.10197.1.401"
SIGNER_ID = b"1234567812345678"  # the default user ID of GB/T 35276
SEAL_NAMESPACE = "urn:onewindow:ses-seal:1"
SEAL_VALIDITY = dt.timedelta(days=365 * 5)
SEAL_PICTURE_MM = 40
SEAL_FONT_PATH = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
SEAL_FONT_INDEX = 2  # Noto Serif CJK SC within the collection
SEAL_RED = (212, 42, 32, 225)


def sm3_digest(data: bytes) -> bytes:
    from gmssl_pyx import sm3_hash

    return sm3_hash(data)


def sm2_key_generate() -> tuple[bytes, bytes]:
    """A new key pair: (private key, 32 bytes; public key, 65 bytes 04‖X‖Y)."""
    from gmssl_pyx import sm2_key_generate as generate

    public_key, private_key = generate()
    return private_key, b"\x04" + public_key


def sm2_sign(*, private_key: bytes, public_key: bytes, message: bytes) -> bytes:
    """SM2 signature (DER r,s) over ``message`` with Z(ID) prepended, as GB/T 32918.2."""
    from gmssl_pyx import sm2_sign as sign

    return sign(private_key, public_key[-64:], message, SIGNER_ID)


def sm2_verify(*, public_key: bytes, message: bytes, signature: bytes) -> bool:
    from gmssl_pyx import GmsslInnerError
    from gmssl_pyx import sm2_verify as verify

    try:
        return bool(verify(public_key[-64:], message, signature, SIGNER_ID))
    except (GmsslInnerError, ValueError):
        return False


def public_key_parse(text: str) -> bytes:
    """A published public key: hex (04‖X‖Y or X‖Y), or a PEM SubjectPublicKeyInfo."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        body = "".join(line for line in text.splitlines() if not line.startswith("-----"))
        der = base64.b64decode(body)
        point = der[-65:]
    else:
        point = bytes.fromhex(text)
    if len(point) == 64:
        point = b"\x04" + point
    if len(point) != 65 or point[0] != 4:
        raise ValueError(_("SM2公钥应为65字节的未压缩点（04开头）。"))
    return point


def public_key_pem(public_key: bytes) -> str:
    """The key as a PEM SubjectPublicKeyInfo (id-ecPublicKey, curve sm2p256v1)."""
    prefix = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d034200")
    body = base64.b64encode(prefix + public_key).decode("ascii")
    lines = [body[index : index + 64] for index in range(0, len(body), 64)]
    return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n"


def seal_picture_png(department_name: str, *, size: int = 472) -> bytes:
    """The seal's appearance: red ring, star and the department's name on the arc (PNG
    with transparency, 40 mm at 300 dpi). Only the picture of a seal; the legal seal is
    the SM2 signature."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    centre = size / 2
    ring = size / 2 - 10
    draw.ellipse(
        (centre - ring, centre - ring, centre + ring, centre + ring),
        outline=SEAL_RED,
        width=max(6, size // 40),
    )
    star = []
    for index in range(10):
        radius = size * 0.16 if index % 2 == 0 else size * 0.065
        angle = math.radians(-90 + index * 36)
        star.append((centre + radius * math.cos(angle), centre + radius * math.sin(angle)))
    draw.polygon(star, fill=SEAL_RED)
    characters = list(department_name)
    font_size = int(size * (0.1 if len(characters) <= 12 else 0.08))
    try:
        font = ImageFont.truetype(SEAL_FONT_PATH, font_size, index=SEAL_FONT_INDEX)
    except OSError:
        font = ImageFont.load_default(font_size)
    spread = min(240.0, 22.0 * max(len(characters) - 1, 1))
    step = spread / max(len(characters) - 1, 1)
    text_radius = ring - font_size * 0.9
    for index, character in enumerate(characters):
        angle = -90 - spread / 2 + step * index if len(characters) > 1 else -90
        glyph = Image.new("RGBA", (font_size * 2, font_size * 2), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text(
            (font_size, font_size), character, font=font, fill=SEAL_RED, anchor="mm"
        )
        glyph = glyph.rotate(-(angle + 90), resample=Image.Resampling.BICUBIC)
        x = centre + text_radius * math.cos(math.radians(angle))
        y = centre + text_radius * math.sin(math.radians(angle))
        image.alpha_composite(glyph, (int(x - font_size), int(y - font_size)))
    label_font_size = int(size * 0.07)
    try:
        label_font = ImageFont.truetype(SEAL_FONT_PATH, label_font_size, index=SEAL_FONT_INDEX)
    except OSError:
        label_font = ImageFont.load_default(label_font_size)
    draw.text(
        (centre, centre + size * 0.29),
        _("电子证照专用章"),
        font=label_font,
        fill=SEAL_RED,
        anchor="mm",
    )
    buffer = io.BytesIO()
    # A 32-colour palette keeps the edges smooth at a quarter of the bytes; the picture
    # travels in every certificate twice (page resource and seal file).
    image.quantize(colors=32, method=Image.Quantize.FASTOCTREE).save(
        buffer, format="PNG", optimize=True
    )
    return buffer.getvalue()


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def seal_build(
    *,
    seal_id: str,
    holder: str,
    holder_credit_code: str,
    name: str,
    signer_public_key: bytes,
    valid_start: dt.datetime,
    valid_end: dt.datetime,
    picture_png: bytes,
    authority_private_key: bytes,
    authority_public_key: bytes,
) -> bytes:
    """The seal file (``Seal.esl``): what the seal is, whose, how long, signed by the
    seal-making authority."""
    seal_info = (
        "<SealInfo>"
        f"<ESID>{escape(seal_id)}</ESID>"
        "<Type>1</Type>"
        f"<Name>{escape(name)}</Name>"
        f"<Holder>{escape(holder)}</Holder>"
        f"<HolderCreditCode>{escape(holder_credit_code)}</HolderCreditCode>"
        f"<ValidStart>{_utc(valid_start)}</ValidStart>"
        f"<ValidEnd>{_utc(valid_end)}</ValidEnd>"
        f"<SignerPublicKey>{signer_public_key.hex()}</SignerPublicKey>"
        f'<Picture Type="PNG" Width="{SEAL_PICTURE_MM}" Height="{SEAL_PICTURE_MM}">'
        f"{base64.b64encode(picture_png).decode('ascii')}</Picture>"
        "</SealInfo>"
    ).encode()
    signature = sm2_sign(
        private_key=authority_private_key, public_key=authority_public_key, message=seal_info
    )
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        + f'<SES_Seal xmlns="{SEAL_NAMESPACE}" Version="4">'.encode()
        + seal_info
        + f"<MakerPublicKey>{authority_public_key.hex()}</MakerPublicKey>".encode()
        + f"<SignatureAlgorithm>{SM2_SIGNATURE_OID}</SignatureAlgorithm>".encode()
        + f"<SignedValue>{base64.b64encode(signature).decode('ascii')}</SignedValue>".encode()
        + b"</SES_Seal>\n"
    )


@dataclass(frozen=True)
class SM2Seal:
    """What signing an OFD needs, loaded once per process (the key kept in memory)."""

    department_code: str
    private_key: bytes
    public_key: bytes
    seal_bytes: bytes
    seal_id: str
    valid_start: dt.datetime
    valid_end: dt.datetime
    picture_png: bytes


def sm2_dir() -> Path:
    return Path(settings.SEALS_DIR) / "sm2"


def authority_paths() -> tuple[Path, Path]:
    return sm2_dir() / "authority.key", sm2_dir() / "authority.pub"


def department_paths(code: str) -> tuple[Path, Path, Path]:
    if not re.fullmatch(r"[A-Z]{1,2}", code):
        raise SealMissingError(_("部门代码「%(code)s」无效，无法找到电子印章。") % {"code": code})
    base = sm2_dir() / "departments"
    return base / f"{code}.key", base / f"{code}.pub", base / f"{code}.esl"


def authority_public_key() -> bytes | None:
    """The seal-making authority's public key that this installation trusts."""
    path = authority_paths()[1]
    return bytes.fromhex(path.read_text().strip()) if path.exists() else None


def department_public_key(*, department_code: str) -> bytes | None:
    """The department's published SM2 public key, or ``None`` if it has no SM2 seal."""
    path = department_paths(department_code)[1]
    return bytes.fromhex(path.read_text().strip()) if path.exists() else None


def _ensure_authority() -> tuple[bytes, bytes]:
    key_path, public_path = authority_paths()
    if not key_path.exists():
        private_key, public_key = sm2_key_generate()
        _write_private(key_path, private_key.hex().encode())
        _write_public(public_path, public_key.hex().encode())
    return bytes.fromhex(key_path.read_text().strip()), bytes.fromhex(
        public_path.read_text().strip()
    )


def _seal_info_text(seal_bytes: bytes, tag: str) -> str:
    match = re.search(rf"<{tag}>([^<]*)</{tag}>".encode(), seal_bytes)
    return match.group(1).decode("utf-8") if match else ""


def _seal_holder_is_current(seal_bytes: bytes, department: Department) -> bool:
    return _seal_info_text(seal_bytes, "Holder") == escape(department.name)


def sm2_seal_issue(*, department: Department, now: dt.datetime | None = None) -> None:
    """Make the department a new key pair and seal, signed by the demo authority."""
    now = now or dt.datetime.now(dt.UTC)
    with _seals_lock():
        authority_private, authority_public = _ensure_authority()
        private_key, public_key = sm2_key_generate()
        seal_bytes = seal_build(
            seal_id=f"{department.code}{now:%Y%m%d}{secrets.token_hex(4).upper()}",
            holder=department.name,
            holder_credit_code=department.credit_code or "",
            name=_("%(name)s电子证照专用章") % {"name": department.name},
            signer_public_key=public_key,
            valid_start=now - dt.timedelta(days=1),
            valid_end=now + SEAL_VALIDITY,
            picture_png=seal_picture_png(department.name),
            authority_private_key=authority_private,
            authority_public_key=authority_public,
        )
        key_path, public_path, seal_path = department_paths(department.code)
        _write_private(key_path, private_key.hex().encode())
        _write_public(public_path, public_key.hex().encode())
        _write_public(seal_path, seal_bytes)


_cache_lock = threading.Lock()


@lru_cache(maxsize=256)
def _seal_load(code: str, key_path: str, stamp: tuple[int, int]) -> SM2Seal:
    key_file, public_file, seal_file = (Path(path) for path in department_paths(code))
    seal_bytes = seal_file.read_bytes()
    picture = base64.b64decode(
        re.search(rb"<Picture[^>]*>([^<]*)</Picture>", seal_bytes).group(1)  # type: ignore[union-attr]
    )
    return SM2Seal(
        department_code=code,
        private_key=bytes.fromhex(key_file.read_text().strip()),
        public_key=bytes.fromhex(public_file.read_text().strip()),
        seal_bytes=seal_bytes,
        seal_id=_seal_info_text(seal_bytes, "ESID"),
        valid_start=dt.datetime.fromisoformat(_seal_info_text(seal_bytes, "ValidStart")),
        valid_end=dt.datetime.fromisoformat(_seal_info_text(seal_bytes, "ValidEnd")),
        picture_png=picture,
    )


def sm2_seal_for_department(*, department: Department, create_if_missing: bool) -> SM2Seal:
    """The department's SM2 seal, loaded once per process and reloaded when its files
    change. In the demo set-up a missing, renamed-holder or expired seal is made anew;
    otherwise ``SealMissingError`` says what to install."""
    key_path, _public_path, seal_path = department_paths(department.code)
    present = key_path.exists() and seal_path.exists()
    now = dt.datetime.now(dt.UTC)
    if present:
        seal = _seal_cached(department.code, key_path, seal_path)
        usable = seal.valid_end > now and _seal_holder_is_current(seal.seal_bytes, department)
        if usable:
            return seal
    if not create_if_missing:
        raise SealMissingError(
            _(
                "部门「%(name)s」（%(code)s）没有有效的SM2电子印章，无法签发OFD电子证照。"
                "请运行 python manage.py init_seals，或把正式印章放入 %(path)s。"
            )
            % {"name": department.name, "code": department.code, "path": sm2_dir()}
        )
    sm2_seal_issue(department=department, now=now)
    return _seal_cached(department.code, key_path, seal_path)


def _seal_cached(code: str, key_path: Path, seal_path: Path) -> SM2Seal:
    stat = seal_path.stat()
    with _cache_lock:
        return _seal_load(code, str(key_path), (stat.st_mtime_ns, stat.st_ino))


def sm2_seals_init(*, departments: list[Department] | None = None) -> dict[str, list[str]]:
    """An SM2 key pair and seal for every department that has no current one (missing,
    expired, or naming the department by an old name). Idempotent: a second run makes
    nothing. Returns ``{"created": [codes], "renewed": [codes], "kept": [codes]}``."""
    if departments is None:
        departments = list(Department.objects.order_by("code"))
    report: dict[str, list[str]] = {"created": [], "renewed": [], "kept": []}
    now = dt.datetime.now(dt.UTC)
    for department in departments:
        key_path, _public_path, seal_path = department_paths(department.code)
        if key_path.exists() and seal_path.exists():
            seal = _seal_cached(department.code, key_path, seal_path)
            if seal.valid_end > now and _seal_holder_is_current(seal.seal_bytes, department):
                report["kept"].append(department.code)
                continue
            report["renewed"].append(department.code)
        else:
            report["created"].append(department.code)
        sm2_seal_issue(department=department, now=now)
    return report
