"""Sample signature and seal images for trying and testing ``izreport sign``.

A board uses the scans of its leader's signature and of its seal (Phụ lục I: blue and red,
transparent PNG, the seal at its real size). These samples only stand in for them; both
carry the word "MẪU" (specimen) so that they can never pass for real ones.
Regenerate with ``python -m izreport.signing.stamps izreport/assets``.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from izreport.core.resources import FONTS_DIR

SIGNATURE_PNG = "mau-chu-ky.png"
SEAL_PNG = "mau-con-dau.png"
#: Ink colours: blue signature, red seal.
BLUE = (20, 50, 170)
RED = (215, 25, 32)
#: Pixels per millimetre (300 dpi), so the seal prints at its real size.
PX_PER_MM = 300 / 25.4


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "LiberationSans-Bold.ttf" if bold else "LiberationSans-Regular.ttf"
    return ImageFont.truetype(str(FONTS_DIR / name), size)


def signature_image(width_mm: float = 50, height_mm: float = 22) -> Image.Image:
    """A blue hand-drawn-looking stroke on a transparent background."""
    w, h = round(width_mm * PX_PER_MM), round(height_mm * PX_PER_MM)
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    points = []
    for i in range(241):
        t = i / 240
        x = w * (0.08 + 0.84 * t)
        y = h * (0.55 - 0.25 * math.sin(t * 9.5) * (1 - t * 0.6) - 0.1 * t)
        points.append((x, y))
    draw.line(points, fill=(*BLUE, 255), width=7, joint="curve")
    draw.line([(w * 0.2, h * 0.78), (w * 0.85, h * 0.68)], fill=(*BLUE, 255), width=5)
    draw.text((w * 0.5, h * 0.9), "MẪU", font=_font(round(h * 0.12)), fill=(*BLUE, 255),
              anchor="mm")
    return img


def seal_image(diameter_mm: float = 36) -> Image.Image:
    """A red round seal (rings, a star, the word MẪU) on a transparent background."""
    d = round(diameter_mm * PX_PER_MM)
    img = Image.new("RGBA", (d, d), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    ink = (*RED, 255)
    draw.ellipse((4, 4, d - 5, d - 5), outline=ink, width=10)
    inner = d * 0.2
    draw.ellipse((inner, inner, d - inner, d - inner), outline=ink, width=5)
    c, r = d / 2, d * 0.1
    star = [(c + (r if k % 2 == 0 else r * 0.4) * math.sin(k * math.pi / 5),
             c * 0.82 - (r if k % 2 == 0 else r * 0.4) * math.cos(k * math.pi / 5))
            for k in range(10)]
    draw.polygon(star, fill=ink)
    draw.text((c, c * 1.22), "MẪU", font=_font(round(d * 0.11), bold=True), fill=ink,
              anchor="mm")
    # lettering around the ring, one glyph at a time
    text = "BAN QUẢN LÝ CÁC KHU CÔNG NGHIỆP • "
    font = _font(round(d * 0.06), bold=True)
    radius = d * 0.4
    for k, ch in enumerate(text):
        angle = -math.pi / 2 + 2 * math.pi * k / len(text)
        glyph = Image.new("RGBA", (round(d * 0.1), round(d * 0.1)), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((glyph.width / 2, glyph.height / 2), ch, font=font,
                                   fill=ink, anchor="mm")
        glyph = glyph.rotate(-math.degrees(angle) - 90, resample=Image.Resampling.BICUBIC)
        x = c + radius * math.cos(angle) - glyph.width / 2
        y = c + radius * math.sin(angle) - glyph.height / 2
        img.alpha_composite(glyph, (round(x), round(y)))
    return img


def write_samples(folder: Path) -> list[Path]:
    """Write both sample PNGs (300 dpi) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / SIGNATURE_PNG, folder / SEAL_PNG]
    for path, img in zip(paths, (signature_image(), seal_image()), strict=True):
        img.save(path, dpi=(300, 300), optimize=True)
    return paths


if __name__ == "__main__":  # pragma: no cover
    for written in write_samples(Path(sys.argv[1] if len(sys.argv) > 1 else ".")):
        print(written)
