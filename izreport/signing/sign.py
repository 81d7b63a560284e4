"""Digital signatures on an issued report (Nghị định 30/2020, Điều 13, 17 and Phụ lục I).

``izreport sign`` adds PAdES signatures with pyHanko, as incremental updates that keep the
PDF/A conformance of the final render (the file is converted before it is signed):

- ``signer``: the competent person's signature; its image (blue, transparent PNG) sits in
  the signature box between the title line and the name (the box is the PDF's named
  destination ``document.SIGN_BOX_ID``).
- ``agency``: the board's signature, after the signer's; the seal image (red, transparent,
  real size) covers about a third of the signature image, on its left.
- ``appendix``: the board's signature on an appendix or attachment in its own file: no
  image, the agency's name and the signing time (ISO 8601, Vietnam time) in Times New Roman
  (Liberation Serif, metric-compatible) 10 pt, upright, black, top right of page 1.

Keys come from a PKCS#12 file or a PKCS#11 token (the agencies' USB tokens), named in the
``[signing]`` table of ``izreport.toml``. The secret (password or PIN) is never read from a
file: only from the environment variable the table names, or from a prompt.
"""

from __future__ import annotations

import datetime as dt
import getpass
import io
import os
import sys
import tempfile
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from izreport.blocks.document import DRAFT_KEYWORD, FINAL_KEYWORD, SIGN_BOX_ID, SIGN_BOX_MM
from izreport.core.config import config_path
from izreport.core.errors import IzReportError
from izreport.core.i18n import _

ROLES = ("signer", "agency", "appendix")
#: The signed copy sits beside the rendered PDF: ``half-year_2021-H1.ky-so.pdf``. The render
#: stays as it was (the run log's checksum), so ``izreport publish`` can match the two.
SIGNED_SUFFIX = ".ky-so"
#: Signature field names, one per role (what a PDF reader lists in its signature panel).
FIELDS = {"signer": "ChuKyLanhDao", "agency": "ChuKyCoQuan", "appendix": "ChuKyCoQuanPhuLuc"}
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
MM = 72 / 25.4  # PDF points per millimetre


class SignError(IzReportError):
    """A document cannot be signed, or a key cannot be used."""


@dataclass(frozen=True)
class KeySource:
    """Where one role's key is: a PKCS#12 file, or a key on a PKCS#11 token."""

    role: str
    secret_env: str
    pkcs12: Path | None = None
    pkcs11_module: Path | None = None
    token_label: str | None = None
    key_label: str | None = None
    cert_label: str | None = None


@dataclass(frozen=True)
class SigningConfig:
    """The ``[signing]`` table: images, the seal's real size, keys and trusted roots."""

    path: Path
    signature_image: Path
    seal_image: Path
    seal_diameter_mm: float
    agency_name: str
    place: str
    keys: dict[str, KeySource] = field(default_factory=dict)
    trust_roots: tuple[Path, ...] = ()


def load_signing(path: Path | None = None) -> SigningConfig:
    """Read ``[signing]`` from izreport.toml; relative paths are relative to that file."""
    path = path or config_path()
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SignError(_("{path}: cannot read the configuration: {exc}").format(
            path=path, exc=exc)) from exc
    table = doc.get("signing")
    if not isinstance(table, dict):
        raise SignError(_("{path}: the [signing] table is missing").format(path=path))
    base = path.parent

    def where(value: Any) -> Path:
        p = Path(str(value)).expanduser()
        return p if p.is_absolute() else base / p

    for key in ("signature_image", "seal_image", "seal_diameter_mm"):
        if key not in table:
            raise SignError(_("{path}: [signing] lacks '{key}'").format(path=path, key=key))
    keys = {}
    for role in ("signer", "agency"):
        sub = table.get(role) or {}
        keys[role] = KeySource(
            role=role, secret_env=str(sub.get("secret_env") or f"IZREPORT_{role.upper()}_PIN"),
            pkcs12=where(sub["pkcs12"]) if sub.get("pkcs12") else None,
            pkcs11_module=where(sub["pkcs11_module"]) if sub.get("pkcs11_module") else None,
            token_label=sub.get("token_label"), key_label=sub.get("key_label"),
            cert_label=sub.get("cert_label"))
    board = doc.get("board") or {}
    return SigningConfig(
        path=path, signature_image=where(table["signature_image"]),
        seal_image=where(table["seal_image"]),
        seal_diameter_mm=float(table["seal_diameter_mm"]),
        agency_name=str(board.get("name") or ""), place=str(board.get("place") or ""),
        keys=keys, trust_roots=tuple(where(p) for p in table.get("trust_roots") or ()))


# --------------------------------------------------------------------------- keys

Prompt = Callable[[str], str]


def _secret(source: KeySource, prompt: Prompt | None) -> str:
    """The PIN or password: from the environment, else asked for (never from a file)."""
    value = os.environ.get(source.secret_env)
    if value:
        return value
    if prompt is None and sys.stdin.isatty():
        prompt = getpass.getpass
    if prompt is None:
        raise SignError(_("the PIN/password of the '{role}' key is needed: set the environment "
                          "variable {secret_env} or run the command in a terminal to type it"
                          ).format(role=source.role, secret_env=source.secret_env))
    return prompt(_("PIN/password of the signing key ({role}): ").format(role=source.role))


@contextmanager
def open_signer(source: KeySource, prompt: Prompt | None = None) -> Iterator[Any]:
    """A pyHanko signer for the role's key (a PKCS#11 session is closed afterwards)."""
    from pyhanko.sign import signers

    if source.pkcs12 is not None:
        if not source.pkcs12.is_file():
            raise SignError(_("{pkcs12}: PKCS#12 key file not found ({role})").format(
                pkcs12=source.pkcs12, role=source.role))
        secret = _secret(source, prompt)
        signer = signers.SimpleSigner.load_pkcs12(str(source.pkcs12),
                                                  passphrase=secret.encode())
        if signer is None:
            raise SignError(_("{pkcs12}: cannot open the PKCS#12 file (wrong password or damaged "
                              "file)").format(pkcs12=source.pkcs12))
        yield signer
        return
    if source.pkcs11_module is not None:
        from pkcs11.exceptions import PKCS11Error
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

        secret = _secret(source, prompt)
        try:
            session = open_pkcs11_session(
                str(source.pkcs11_module), user_pin=secret,
                token_criteria=TokenCriteria(label=source.token_label))
        except (PKCS11Error, OSError, RuntimeError) as exc:
            raise SignError(_("cannot open the PKCS#11 token '{token_label}' through "
                              "{pkcs11_module}: {name} {exc}").format(
                  token_label=source.token_label, pkcs11_module=source.pkcs11_module,
                  name=type(exc).__name__, exc=exc)) from None
        try:
            yield PKCS11Signer(session, key_label=source.key_label,
                               cert_label=source.cert_label or source.key_label)
        finally:
            session.close()
        return
    raise SignError(_("[signing.{role}]: no signing key declared (pkcs12 or pkcs11_module) in "
                      "izreport.toml").format(role=source.role))


# --------------------------------------------------------------------------- the document


@dataclass(frozen=True)
class Placement:
    """Where the signature box is: page index and rectangle (x1, y1, x2, y2) in points."""

    page: int
    box: tuple[float, float, float, float]


def _pages(reader: Any) -> list[int]:
    """Object numbers of the pages, in order."""
    out: list[int] = []

    def walk(node: Any) -> None:
        kids = node["/Kids"]
        for i in range(len(kids)):
            ref = kids.raw_get(i)
            obj = ref.get_object()
            if obj.get("/Type") == "/Pages":
                walk(obj)
            else:
                out.append(ref.idnum)

    walk(reader.root["/Pages"])
    return out


def signature_box(reader: Any) -> Placement:
    """The signature box, from the named destination the render left in the PDF."""
    names = reader.root.get("/Names")
    dests = names.get_object().get("/Dests") if names is not None else None
    array = list(dests.get_object().get("/Names", [])) if dests is not None else []
    for name, dest in zip(array[::2], array[1::2], strict=False):
        if str(name) == SIGN_BOX_ID:
            dest = dest.get_object()
            page = _pages(reader).index(dest.raw_get(0).idnum)
            left, top = float(dest[2]), float(dest[3])
            width, height = SIGN_BOX_MM[0] * MM, SIGN_BOX_MM[1] * MM
            return Placement(page, (left, top - height, left + width, top))
    raise SignError(_("the document has no signature field (the signature block of a final "
                      "report)"))


def _keywords(reader: Any) -> str:
    info = reader.trailer_view.get("/Info")
    return str(info.get_object().get("/Keywords", "")) if info is not None else ""


def _is_pdfa(reader: Any) -> bool:
    meta = reader.root.get("/Metadata")
    return meta is not None and b"pdfaid:part" in meta.get_object().data


def check_signable(reader: Any, role: str) -> None:
    """Refuse drafts, and for the report itself anything but the issued PDF/A."""
    keywords = _keywords(reader)
    if DRAFT_KEYWORD in keywords:
        raise SignError(_("drafts are not signed: complete the missing sections, then render "
                          "again with --final --number N"))
    if role == "appendix":
        return
    if FINAL_KEYWORD not in keywords or not _is_pdfa(reader):
        raise SignError(_("only final reports are signed: render the report with --final "
                          "--number N (PDF/A), then sign that file"))
    signed = {s.field_name for s in reader.embedded_signatures}
    if FIELDS[role] in signed:
        raise SignError(_("the document already has the signature '{value}'").format(
            value=FIELDS[role]))
    if role == "agency" and FIELDS["signer"] not in signed:
        raise SignError(_("the agency signs after the person with authority: sign with '--as "
                          "signer' first"))


def _image_style(image: Path) -> Any:
    from pyhanko.pdf_utils.images import PdfImage
    from pyhanko.stamp import StaticStampStyle

    if not image.is_file():
        raise SignError(_("{image}: image file not found").format(image=image))
    return StaticStampStyle(background=PdfImage(str(image)), background_opacity=1.0,
                            border_width=0)


#: The appendix text signature's box, millimetres: wide enough for a board's name at 10 pt.
TEXT_BOX_MM = (95.0, 10.0)


def _text_stamp(agency: str, when: dt.datetime, folder: Path) -> Any:
    """The agency's text signature (name, ISO 8601 time): Liberation Serif 10 pt, black.

    Laid out by WeasyPrint, as the report is, so the font is embedded the same way;
    pyHanko places that page as the signature's appearance.
    """
    from html import escape

    from pyhanko.stamp import StaticStampStyle

    from izreport.core.resources import FONTS_DIR
    from izreport.formats.export import local_fetcher
    from izreport.formats.pdfengine import HTML, FontConfiguration

    w, h = TEXT_BOX_MM
    html = (f'<html lang="vi"><style>@font-face {{ font-family: "IZ Serif"; '
            f'src: url("LiberationSerif-Regular.ttf"); }} '
            f"@page {{ size: {w}mm {h}mm; margin: 0; }} body {{ margin: 0; }} "
            f'p {{ font: 10pt/12pt "IZ Serif"; color: #000; text-align: right; margin: 0; }}'
            f"</style><p>{escape(agency)}<br>{escape(when.isoformat())}</p></html>")
    fonts = FontConfiguration()
    path = folder / "chu-ky-van-ban.pdf"
    HTML(string=html, base_url=str(FONTS_DIR) + os.sep,
         url_fetcher=local_fetcher()).write_pdf(path, font_config=fonts)
    return StaticStampStyle.from_pdf_file(str(path), border_width=0)


def _appendix_box(reader: Any) -> tuple[float, float, float, float]:
    """Top right of page 1, inside the margins (20 mm top, 15 mm right)."""
    page = reader.root["/Pages"]["/Kids"][0].get_object()
    x2, y2 = float(page["/MediaBox"][2]), float(page["/MediaBox"][3])
    right, top = x2 - 15 * MM, y2 - 8 * MM
    return (right - TEXT_BOX_MM[0] * MM, top - TEXT_BOX_MM[1] * MM, right, top)


@dataclass(frozen=True)
class Signed:
    """What one signing wrote."""

    path: Path
    role: str
    field: str
    page: int
    box: tuple[float, float, float, float]
    time: dt.datetime


def signed_path(pdf: Path) -> Path:
    """Where the signed copy of ``pdf`` goes: beside it, or ``pdf`` itself if already signed."""
    if pdf.stem.endswith(SIGNED_SUFFIX):
        return pdf
    return pdf.with_name(f"{pdf.stem}{SIGNED_SUFFIX}{pdf.suffix}")


def sign(pdf: Path, role: str, out: Path | None = None, config: SigningConfig | None = None,
         prompt: Prompt | None = None, now: dt.datetime | None = None) -> Signed:
    """Sign ``pdf`` in ``role`` (signer, agency, appendix); write ``out``.

    By default the signed copy is ``signed_path(pdf)``: X.pdf -> X.ky-so.pdf, and a
    signed copy is signed again in place (the agency after the signer).
    The output is written beside the target and moved into place only when complete.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import fields, signers

    if role not in ROLES:
        raise SignError(_("no signing role '{role}'; choose {items}").format(
            role=role, items=', '.join(ROLES)))
    cfg = config or load_signing()
    target = out or signed_path(pdf)
    when = (now or dt.datetime.now(VIETNAM)).astimezone(VIETNAM).replace(microsecond=0)
    try:
        data = pdf.read_bytes()
    except OSError as exc:
        raise SignError(_("{pdf}: cannot be read: {strerror}").format(
            pdf=pdf, strerror=exc.strerror)) from None
    try:
        reader = PdfFileReader(io.BytesIO(data))
        check_signable(reader, role)
    except PdfReadError as exc:
        raise SignError(_("{pdf}: not a readable PDF file: {exc}").format(
            pdf=pdf, exc=exc)) from None
    if role == "signer":
        place = signature_box(reader)
        page, box, style = place.page, place.box, _image_style(cfg.signature_image)
    elif role == "agency":
        place = signature_box(reader)
        x1, y1, x2, y2 = place.box
        d = cfg.seal_diameter_mm * MM
        # the seal covers about a third of the signature image, on its left
        right = x1 + (x2 - x1) / 3
        cy = (y1 + y2) / 2
        page, box, style = place.page, (right - d, cy - d / 2, right, cy + d / 2), \
            _image_style(cfg.seal_image)
    else:
        page, box, style = 0, _appendix_box(reader), None
    key = cfg.keys.get("signer" if role == "signer" else "agency")
    if key is None:
        raise SignError(_("[signing]: no key for '{role}'").format(role=role))
    meta = signers.PdfSignatureMetadata(
        field_name=FIELDS[role], subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256", location=cfg.place or None,
        reason="Ký ban hành văn bản" if role == "signer" else "Ký số của cơ quan")
    spec = fields.SigFieldSpec(sig_field_name=FIELDS[role], on_page=page,
                               box=tuple(round(v, 2) for v in box))
    tmp = target.with_name(f".{target.name}.signing")
    scratch = tempfile.TemporaryDirectory(prefix="izreport-sign-")
    try:
        if style is None:
            style = _text_stamp(cfg.agency_name, when, Path(scratch.name))
        with open_signer(key, prompt) as signer:
            writer = IncrementalPdfFileWriter(io.BytesIO(data))
            pdf_signer = signers.PdfSigner(meta, signer=signer, stamp_style=style,
                                           new_field_spec=spec)
            with tmp.open("wb") as fh:
                pdf_signer.sign_pdf(writer, output=fh)
        os.replace(tmp, target)
    except SignError:
        raise
    except Exception as exc:  # pyHanko, the token or the key: one line, nothing left
        raise SignError(_("signing failed ({role}): {name}: {exc}").format(
            role=role, name=type(exc).__name__, exc=exc)) from exc
    finally:
        tmp.unlink(missing_ok=True)
        scratch.cleanup()
    return Signed(target, role, FIELDS[role], page, box, when)


# --------------------------------------------------------------------------- verify


@dataclass(frozen=True)
class SignatureReport:
    """One signature as ``izreport verify`` reports it."""

    field: str
    signer: str
    time: dt.datetime | None
    intact: bool
    valid: bool
    trusted: bool
    changed_after: bool
    summary: str

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and not self.changed_after


def signatures_intact(data: bytes) -> bool:
    """Whether ``data`` has signatures and each still covers exactly what it signed.

    Quick (no certificate or revision analysis): what ``izreport publish`` checks.
    """
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        sigs = list(PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures)
        ctx = ValidationContext(trust_roots=[], allow_fetching=False)  # integrity only
        return bool(sigs) and all(
            validate_pdf_signature(s, ctx, skip_diff=True).intact for s in sigs)
    except (PdfReadError, ValueError, KeyError):
        return False


def verify(pdf: Path, trust_roots: tuple[Path, ...] = ()) -> list[SignatureReport]:
    """Check every signature: integrity, certificate chain, changes after signing."""
    from asn1crypto import pem, x509
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko_certvalidator import ValidationContext

    roots = []
    for path in trust_roots:
        raw = path.read_bytes()
        roots.append(x509.Certificate.load(pem.unarmor(raw)[2] if pem.detect(raw) else raw))
    try:
        reader = PdfFileReader(io.BytesIO(pdf.read_bytes()), strict=False)
        sigs = list(reader.embedded_signatures)
    except (OSError, PdfReadError) as exc:
        raise SignError(_("{pdf}: cannot read the PDF file: {exc}").format(
            pdf=pdf, exc=exc)) from None
    reports = []
    for sig in sigs:
        ctx = ValidationContext(trust_roots=roots or None, allow_fetching=False)
        try:
            status = validate_pdf_signature(sig, ctx)
        except (SignatureValidationError, ValueError, KeyError) as exc:
            reports.append(SignatureReport(sig.field_name, "?", None, False, False, False, True,
                                           _("cannot be checked: {error}").format(error=exc)))
            continue
        level = status.modification_level
        changed = not status.docmdp_ok or level not in (
            ModificationLevel.NONE, ModificationLevel.LTA_UPDATES,
            ModificationLevel.FORM_FILLING)
        cert = status.signing_cert
        name = cert.subject.native.get("common_name") or cert.subject.human_friendly
        when = status.signer_reported_dt
        trusted = bool(roots) and status.trusted
        reports.append(SignatureReport(
            field=sig.field_name, signer=str(name),
            time=when.astimezone(VIETNAM) if when else None, intact=status.intact,
            valid=status.valid, trusted=trusted, changed_after=changed,
            summary=status.summary()))
    return reports
