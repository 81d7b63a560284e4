"""izreport sign / verify: PAdES signatures from a PKCS#12 file and a PKCS#11 token (SoftHSM2),
placed as Phụ lục I of Nghị định 30/2020 asks, validated with pyHanko."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from PIL import Image
from typer.testing import CliRunner

from izreport.blocks.document import SIGN_BOX_MM
from izreport.commands.cli import app
from izreport.pipeline.render import RenderResult, render
from izreport.signing import sign as sg
from izreport.signing.stamps import SEAL_PNG, SIGNATURE_PNG
from tests.conftest import DATA

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "izreport" / "assets"
SOFTHSM = Path("/usr/lib/softhsm/libsofthsm2.so")
PASSWORD = "mat-khau-thu"  # a throw-away test secret, given through the environment
PIN = "246810"
MM = 72 / 25.4
SIGNER_CN = "Nguyễn Văn An"
AGENCY_CN = "Ban Quản lý các Khu công nghiệp tỉnh Nam Định"


# --------------------------------------------------------------------------- a throw-away PKI


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject: str, key: rsa.RSAPrivateKey, issuer: str, issuer_key: rsa.RSAPrivateKey,
          ca: bool) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(days=1))
               .not_valid_after(now + dt.timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(
                   digital_signature=not ca, content_commitment=not ca, key_encipherment=False,
                   data_encipherment=False, key_agreement=False, key_cert_sign=ca,
                   crl_sign=ca, encipher_only=False, decipher_only=False), critical=True))
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass
class Pki:
    folder: Path
    ca: Path
    signer_p12: Path
    agency_p12: Path
    signer_key: rsa.RSAPrivateKey
    signer_cert: x509.Certificate


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = _cert("CA thử nghiệm izreport", ca_key, "CA thử nghiệm izreport", ca_key, ca=True)
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths = {}
    keys = {}
    for role, cn in (("signer", SIGNER_CN), ("agency", AGENCY_CN)):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cert = _cert(cn, key, "CA thử nghiệm izreport", ca_key, ca=False)
        paths[role] = folder / f"{role}.p12"
        paths[role].write_bytes(pkcs12.serialize_key_and_certificates(
            role.encode(), key, cert, [ca],
            serialization.BestAvailableEncryption(PASSWORD.encode())))
        keys[role] = (key, cert)
    return Pki(folder, folder / "ca.pem", paths["signer"], paths["agency"], *keys["signer"])


@pytest.fixture(scope="session")
def token(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SoftHSM2 token holding the signer's key and certificate; returns its label."""
    import os

    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\n"
                    "log.level = ERROR\n", encoding="utf-8")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    label = "izreport-thu"
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", label,
                    "--so-pin", "13572468", "--pin", PIN], check=True, capture_output=True)
    key_pem = folder / "signer-key.pem"
    key_pem.write_bytes(pki.signer_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    subprocess.run(["softhsm2-util", "--import", str(key_pem), "--token", label,
                    "--label", "lanh-dao", "--id", "01", "--pin", PIN],
                   check=True, capture_output=True)
    key_pem.unlink()
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    lib = pkcs11.lib(str(SOFTHSM))
    with lib.get_token(token_label=label).open(rw=True, user_pin=PIN) as session:
        session.create_object({
            Attribute.CLASS: ObjectClass.CERTIFICATE,
            Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
            Attribute.TOKEN: True, Attribute.LABEL: "lanh-dao", Attribute.ID: b"\x01",
            Attribute.SUBJECT: pki.signer_cert.subject.public_bytes(),
            Attribute.VALUE: pki.signer_cert.public_bytes(serialization.Encoding.DER)})
    return label


def _config(tmp: Path, pki: Pki, signer: str) -> Path:
    """izreport.toml with the [signing] keys of the test PKI (no secret in it)."""
    text = (ROOT / "izreport.toml").read_text(encoding="utf-8")
    text = text[:text.index("[signing]")]
    text += f"""[signing]
signature_image = "{ASSETS / SIGNATURE_PNG}"
seal_image = "{ASSETS / SEAL_PNG}"
seal_diameter_mm = 36
trust_roots = ["{pki.ca}"]

[signing.signer]
secret_env = "IZREPORT_SIGNER_PIN"
{signer}

[signing.agency]
secret_env = "IZREPORT_AGENCY_PIN"
pkcs12 = "{pki.agency_p12}"
"""
    path = tmp / "izreport.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def p12_config(pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = _config(tmp_path, pki, f'pkcs12 = "{pki.signer_p12}"')
    monkeypatch.setenv("IZREPORT_CONFIG", str(path))
    monkeypatch.setenv("IZREPORT_SIGNER_PIN", PASSWORD)
    monkeypatch.setenv("IZREPORT_AGENCY_PIN", PASSWORD)
    return path


# --------------------------------------------------------------------------- helpers


def _fields(pdf: Path) -> dict[str, tuple[int, tuple[float, ...]]]:
    """Signature fields: name -> (page index, rectangle)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    with pdf.open("rb") as f:
        r = PdfFileReader(f)
        pages = sg._pages(r)
        out = {}
        for ref in r.root["/AcroForm"]["/Fields"]:
            fld = ref.get_object()
            rect = tuple(float(v) for v in fld["/Rect"])
            out[str(fld["/T"])] = (pages.index(fld.raw_get("/P").idnum), rect)
        return out


def _word_box(pdf: Path, page: int, text: str) -> tuple[float, float, float, float]:
    """(x1, y1, x2, y2) in PDF points (origin bottom left) of a line of words on a page."""
    html = subprocess.run(["pdftotext", "-bbox", "-f", str(page + 1), "-l", str(page + 1),
                           str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    words = re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
                       r"([^<]*)<", html)
    parts = text.split()
    for i in range(len(words) - len(parts) + 1):
        if [w[4] for w in words[i:i + len(parts)]] == parts:
            box = words[i:i + len(parts)]
            height = 841.89
            return (float(box[0][0]), height - float(box[-1][3]), float(box[-1][2]),
                    height - float(box[0][1]))
    raise AssertionError(f"{text!r} not on page {page + 1}")


def _validate(pdf: Path, ca: Path) -> list[object]:
    """pyHanko's own validation of every signature (integrity, signature, chain to the test
    CA); the slower check of later revisions is izreport verify's, tested separately."""
    from asn1crypto import pem
    from asn1crypto import x509 as ax509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    root = ax509.Certificate.load(pem.unarmor(ca.read_bytes())[2])
    r = PdfFileReader(io.BytesIO(pdf.read_bytes()))
    return [validate_pdf_signature(s, ValidationContext(trust_roots=[root]), skip_diff=True)
            for s in r.embedded_signatures]


# --------------------------------------------------------------------------- tests


def test_sample_images_are_blue_and_red_on_transparent() -> None:
    for name, channel in ((SIGNATURE_PNG, 2), (SEAL_PNG, 0)):
        img = Image.open(ASSETS / name).convert("RGBA")
        pixels = list(img.get_flattened_data())
        ink = [p for p in pixels if p[3] > 200]
        assert pixels[0][3] == 0 and len(ink) < 0.5 * len(pixels)  # transparent background
        mean = [sum(p[i] for p in ink) / len(ink) for i in range(3)]
        assert mean[channel] == max(mean) and mean[channel] > 1.5 * sorted(mean)[1], name
    dpi = Image.open(ASSETS / SEAL_PNG).info["dpi"]
    assert Image.open(ASSETS / SEAL_PNG).width / dpi[0] * 25.4 == pytest.approx(36, abs=0.2)


def test_sign_with_pkcs12_as_signer_then_agency(final_report: RenderResult, p12_config: Path,
                                                pki: Pki, tmp_path: Path) -> None:
    signed = tmp_path / "ky-so.pdf"
    result = CliRunner().invoke(app, ["sign", str(final_report.files["pdf"]), "--out",
                                      str(signed)])
    assert result.exit_code == 0, result.output
    assert "ChuKyLanhDao (signer)" in result.output and "ChuKyCoQuan (agency)" in result.output
    statuses = _validate(signed, pki.ca)
    assert [s.signing_cert.subject.native["common_name"] for s in statuses] == [
        SIGNER_CN, AGENCY_CN]
    for status in statuses:
        assert status.intact and status.valid and status.trusted
    # the unsigned file is untouched; the signed one differs only by appended revisions
    original = final_report.files["pdf"].read_bytes()
    assert signed.read_bytes()[:len(original)] == original
    # PDF/A survives: the signatures are incremental updates of the archival file
    from pyhanko.pdf_utils.reader import PdfFileReader

    with signed.open("rb") as f:
        xmp = PdfFileReader(f).root["/Metadata"].get_object().data
    assert b'pdfaid:part="2"' in xmp

    verified = CliRunner().invoke(app, ["verify", str(signed)])
    assert verified.exit_code == 0, verified.output
    assert verified.output.count("HỢP LỆ") == 2 and SIGNER_CN in verified.output
    assert re.search(r"ký lúc \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00", verified.output)


def test_signature_and_seal_are_placed_as_phu_luc_i(final_report: RenderResult,
                                                    p12_config: Path, tmp_path: Path) -> None:
    signed = tmp_path / "ky-so.pdf"
    sg.sign(final_report.files["pdf"], "signer", out=signed)
    assert sg.sign(signed, "agency", out=signed).path == signed
    fields = _fields(signed)
    page, (x1, y1, x2, y2) = fields["ChuKyLanhDao"]
    assert (x2 - x1, y2 - y1) == pytest.approx((SIGN_BOX_MM[0] * MM, SIGN_BOX_MM[1] * MM),
                                               abs=0.5)
    title = _word_box(signed, page, "PHÓ TRƯỞNG BAN")
    name = _word_box(signed, page, SIGNER_CN)
    assert name[3] <= y1 + 1 and y2 <= title[1] + 1  # between the title line and the name
    mid = (x1 + x2) / 2
    assert abs(mid - (title[0] + title[2]) / 2) < 3 and abs(mid - (name[0] + name[2]) / 2) < 3
    seal_page, (s1, t1, s2, t2) = fields["ChuKyCoQuan"]
    assert seal_page == page
    assert s2 - s1 == pytest.approx(36 * MM, abs=0.5) == t2 - t1  # real size
    assert s2 - x1 == pytest.approx((x2 - x1) / 3, abs=0.5)  # covers a third, on its left
    assert s1 < x1


def test_sign_with_a_pkcs11_token(final_report: RenderResult, pki: Pki, token: str,
                                  tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _config(tmp_path, pki, f'pkcs11_module = "{SOFTHSM}"\ntoken_label = "{token}"\n'
                                  'key_label = "lanh-dao"')
    monkeypatch.setenv("IZREPORT_SIGNER_PIN", PIN)
    signed = tmp_path / "token.pdf"
    done = sg.sign(final_report.files["pdf"], "signer", out=signed,
                   config=sg.load_signing(path))
    assert done.field == "ChuKyLanhDao"
    (status,) = _validate(signed, pki.ca)
    assert status.intact and status.valid and status.trusted
    assert status.signing_cert.subject.native["common_name"] == SIGNER_CN
    monkeypatch.setenv("IZREPORT_SIGNER_PIN", "000000")
    with pytest.raises(sg.SignError, match="không mở được token PKCS#11"):
        sg.sign(final_report.files["pdf"], "signer", out=tmp_path / "x.pdf",
                config=sg.load_signing(path))
    assert not (tmp_path / "x.pdf").exists()


def test_a_byte_changed_after_signing_is_reported(final_report: RenderResult,
                                                  p12_config: Path, tmp_path: Path) -> None:
    signed = tmp_path / "ky-so.pdf"
    sg.sign(final_report.files["pdf"], "signer", out=signed)
    data = bytearray(signed.read_bytes())
    data[11] ^= 0x01  # inside the signed byte range (the header's binary comment)
    changed = tmp_path / "sua.pdf"
    changed.write_bytes(bytes(data))
    result = CliRunner().invoke(app, ["verify", str(changed)])
    assert result.exit_code == 1
    assert "KHÔNG toàn vẹn" in result.output and "CÓ VẤN ĐỀ" in result.output


def test_a_revision_added_after_signing_is_reported(final_report: RenderResult,
                                                    p12_config: Path, tmp_path: Path) -> None:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    signed = tmp_path / "ky-so.pdf"
    sg.sign(final_report.files["pdf"], "signer", out=signed)
    writer = IncrementalPdfFileWriter(io.BytesIO(signed.read_bytes()))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page["/Rotate"] = generic.NumberObject(90)  # a change a signature must not allow
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    (tmp_path / "sua.pdf").write_bytes(out.getvalue())
    (report,) = sg.verify(tmp_path / "sua.pdf", (sg.load_signing().trust_roots))
    assert report.intact and report.changed_after and not report.ok


def test_signing_a_draft_is_refused(tmp_path: Path, p12_config: Path) -> None:
    draft = render("half-year", {"period": "2021-H2"}, tmp_path / "out", formats=["pdf"],
                   data_dir=DATA).files["pdf"]
    before, listing = draft.read_bytes(), sorted(draft.parent.iterdir())
    result = CliRunner().invoke(app, ["sign", str(draft)])
    assert result.exit_code == 2
    assert "không ký dự thảo" in result.output
    assert draft.read_bytes() == before
    assert sorted(draft.parent.iterdir()) == listing  # nothing written beside it


def test_only_the_issued_version_is_signed(rendered: RenderResult, p12_config: Path,
                                           tmp_path: Path) -> None:
    with pytest.raises(sg.SignError, match="chỉ ký bản chính thức"):
        sg.sign(rendered.files["pdf"], "signer", out=tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


def test_agency_signs_after_the_signer(final_report: RenderResult, p12_config: Path,
                                       tmp_path: Path) -> None:
    with pytest.raises(sg.SignError, match="ký '--as signer' trước"):
        sg.sign(final_report.files["pdf"], "agency", out=tmp_path / "x.pdf")


def test_secret_comes_from_environment_or_prompt(final_report: RenderResult, p12_config: Path,
                                                 tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IZREPORT_SIGNER_PIN")
    result = CliRunner().invoke(app, ["sign", str(final_report.files["pdf"]), "--as", "signer",
                                      "--out", str(tmp_path / "x.pdf")])
    assert result.exit_code == 2 and "IZREPORT_SIGNER_PIN" in result.output
    asked = []
    done = sg.sign(final_report.files["pdf"], "signer", out=tmp_path / "y.pdf",
                   prompt=lambda text: asked.append(text) or PASSWORD)
    assert asked and done.path.is_file()
    assert PASSWORD not in result.output


def test_appendix_gets_the_agencys_text_signature(rendered: RenderResult, p12_config: Path,
                                                  pki: Pki, tmp_path: Path) -> None:
    appendix = tmp_path / "phu-luc.pdf"
    shutil.copyfile(rendered.files["pdf"], appendix)
    now = dt.datetime(2021, 7, 5, 9, 30, tzinfo=sg.VIETNAM)
    appendix = sg.sign(appendix, "appendix", now=now).path
    assert appendix.name == "phu-luc.ky-so.pdf"  # the unsigned file stays as it was
    page, (x1, y1, x2, y2) = _fields(appendix)["ChuKyCoQuanPhuLuc"]
    assert page == 0
    assert x2 == pytest.approx(595.28 - 15 * MM, abs=1) and y2 > 841.89 - 20 * MM  # top right
    (status,) = _validate(appendix, pki.ca)
    assert status.valid and status.signing_cert.subject.native["common_name"] == AGENCY_CN
    def fonts(pdf: Path) -> list[str]:
        return subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                              check=True).stdout.splitlines()[2:]

    added = [line.split() for line in fonts(appendix)[len(fonts(rendered.files["pdf"])):]]
    # the signature's own font: Liberation Serif (Times New Roman metrics), embedded
    assert [(f[0].split("+")[1], f[-5]) for f in added] == [("IZ-Serif", "yes")]
    # what a reader sees: black text in that box (and nothing there before signing)
    def ink(pdf: Path) -> list[tuple[int, int, int]]:
        png = tmp_path / f"{pdf.stem}-p1"
        subprocess.run(["pdftoppm", "-r", "100", "-f", "1", "-l", "1", "-singlefile", "-png",
                        str(pdf), str(png)], check=True)
        img = Image.open(f"{png}.png").convert("RGB")
        k = 100 / 72
        crop = img.crop((round(x1 * k), round((841.89 - y2) * k), round(x2 * k),
                         round((841.89 - y1) * k)))
        return [p for p in crop.get_flattened_data() if sum(p) < 300]

    dark = ink(appendix)
    assert len(dark) > 200 and not ink(rendered.files["pdf"])
    assert all(max(p) - min(p) < 40 for p in dark)  # black, not coloured


def test_publish_keeps_the_signed_pdf_and_marks_the_report_issued(
        final_report: RenderResult, p12_config: Path, tmp_path: Path) -> None:
    from izreport.pipeline import runlog
    from izreport.site import publish

    out = tmp_path / "out"
    out.mkdir()
    files = {fmt: out / final_report.files[fmt].name for fmt in ("html", "pdf")}
    for fmt, path in files.items():
        shutil.copyfile(final_report.files[fmt], path)
    runlog.append(out, runlog.record(
        report="half-year", params=final_report.params, stem=files["pdf"].stem, result="ok",
        trigger="render", out=out, files=files, error=None, data_until="2025-06"))
    site = tmp_path / "site"
    publish.publish(out, site)
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "Đã ban hành" not in index  # rendered, not yet signed

    result = CliRunner().invoke(app, ["sign", str(files["pdf"])])
    assert result.exit_code == 0, result.output
    signed = out / "half-year_2021-H1.ky-so.pdf"
    published = publish.publish(out, site)
    assert published.updated == ["bao-cao-6-thang/2021/2021-H1"]
    kept = site / "bao-cao-6-thang" / "2021" / "2021-H1.ky-so.pdf"
    assert kept.read_bytes() == signed.read_bytes()  # beside the HTML, as signed
    assert (site / "bao-cao-6-thang" / "2021" / "2021-H1.html").is_file()
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "Đã ban hành (ký số)" in index
    assert 'href="bao-cao-6-thang/2021/2021-H1.ky-so.pdf">PDF ký số</a>' in index

    # a signed copy that does not sign the current render is not published, with the reason
    data = bytearray(signed.read_bytes())
    data[11] ^= 0x01
    signed.write_bytes(bytes(data))
    again = publish.publish(out, site)
    assert any("không phải bản ký" in why for _, why in again.skipped)
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "Đã ban hành (ký số)" not in index.split('class="earlier"')[0]
