"""Uploaded or drawn images -> Digits-like 8x8 samples.

An image is decoded with Pillow (after checking its declared size, so a small file claiming
a huge picture is refused before any pixel is decoded, and a JPEG's scans, segments and
coefficient buffer, so one that would keep the decoder busy for minutes or fill memory is
refused unread too), turned upright by its EXIF orientation, reduced to one greyscale channel
with transparency composited onto a contrasting background, and turned into an ink map: the
background level is read from the image's border and the ink is whatever stands out from it,
dark on light or light on dark. The ink map then takes the Digits path of ``nncore.imaging.digitize``:
cropped, framed, thickened, counted in 4x4 blocks.
"""

import io
import re
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from ..errors import ImageError, shorten
from . import digitize

MAX_BYTES = 20 * 2**20       # larger uploads are refused unread
MAX_PIXELS = 16_000_000      # declared width x height above this is refused before decoding
JPEG_MAX_PIXELS = 50_000_000  # JPEGs are decoded at up to 1/8 scale, so 48 MP phone photos pass
MAX_SIDE = 20_000            # and so is a side longer than this
WORK_SIDE = 512              # larger images are scaled down (area-averaged) before the ink is found
# A JPEG's decoding work grows with its scans, not its pixels: libjpeg passes over every block
# of the image for each scan, however few bytes the scan has (40,000 copies of a 12-byte scan make
# a 500 KB file of a 1 MP image that decodes for 5 s). A progressive photo has about 10 scans
# (18 in CMYK) and a few dozen segments; 64 scans of a 50 MP image decode in about a second.
JPEG_MAX_SCANS = 64
JPEG_MAX_SEGMENTS = 1_000    # markers with a length (APPn, tables, comments, frames, scans)
JPEG_MAX_STRAY = 64 * 2**10  # bytes outside any segment (fill bytes, junk); Pillow walks them one by one
# A JPEG of several scans (progressive) is decoded through a buffer of every block's DCT
# coefficients at full size, 2 bytes per coefficient whatever the draft scale: 380 MB for a 50 MP
# CMYK one. This bound passes 50 MP progressive photos in YCbCr 4:2:0 (142 MB), about what a
# 16 MP RGBA PNG costs on its way through.
JPEG_MAX_COEFFICIENT_BYTES = 160 * 2**20
MIN_CONTRAST = 0.1           # ink must differ from the background by this share of black-to-white
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF", "PPM")   # not EPS/PDF/PSD...: no Ghostscript, no exotica
_NAMES = "PNG, JPEG, GIF, BMP, WebP or TIFF"


@dataclass(frozen=True)
class DigitSteps:
    """The intermediate images of ``digit_steps``: ``grey`` (H, W) the image as one channel in
    0..1 (after scaling down large images), ``ink`` (H, W) ink 1 on background 0, ``frame``
    (32, 32) the ink cropped, scaled and thickened as a Digits bitmap in 0..1, and ``sample``
    (64,) the Digits-like row in 0..16 that ``image_to_digit`` returns."""

    grey: np.ndarray
    ink: np.ndarray
    frame: np.ndarray
    sample: np.ndarray


def _open(image):
    """A loaded PIL image (first frame, upright) from bytes, a binary file object or a PIL image."""
    if isinstance(image, Image.Image):
        picture = image
    else:
        if isinstance(image, (bytes, bytearray, memoryview)):
            payload = bytes(image)
        elif hasattr(image, "read"):
            payload = image.read(MAX_BYTES + 1)
            if not isinstance(payload, bytes):
                raise ImageError("the file must be opened in binary mode ('rb')")
        else:
            raise ImageError(f"expected an image's bytes, a binary file or a PIL image, got {type(image).__name__}")
        if not payload:
            raise ImageError("the file is empty")
        if len(payload) > MAX_BYTES:
            raise ImageError(f"the file is larger than {MAX_BYTES // 2**20} MB; a digit needs far less")
        if payload.startswith(b"\xff\xd8"):
            _check_jpeg(payload)
        picture = _identify(payload)
    width, height = picture.size
    limit = JPEG_MAX_PIXELS if picture.format == "JPEG" else MAX_PIXELS
    if width * height > limit or max(width, height) > MAX_SIDE:
        raise ImageError(f"the image is {width:,} x {height:,} pixels, more than this program accepts "
                         f"({limit:,} pixels, sides up to {MAX_SIDE:,}); scale it down first")
    if width < 1 or height < 1:
        raise ImageError("the image has no pixels")
    # Pillow's plugins raise many kinds of exceptions on damaged data (OSError, SyntaxError,
    # struct.error, IndexError...); whatever the decoder says, the file cannot be used.
    try:
        if width > WORK_SIDE or height > WORK_SIDE:
            picture.draft(None, (WORK_SIDE, WORK_SIDE))    # JPEG only: decode at a reduced scale
        picture.load()
        try:
            picture = ImageOps.exif_transpose(picture)
        except Exception:  # a damaged EXIF block: keep the image as stored
            pass
        return _one_of_our_modes(_scaled_down(picture))
    except Exception as exc:
        raise ImageError(f"the image could not be decoded (it may be truncated or damaged): {shorten(exc)}") from None


_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")  # FF, then a marker code: not a stuffed 00, RSTn or fill FF
_FRAMES = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}   # SOFn
_PROGRESSIVE = {0xC2, 0xC6, 0xCA, 0xCE}


def _check_jpeg(payload):
    """Walk a JPEG's markers as libjpeg will (a marker is found after any junk or fill bytes; a
    scan's data runs to the next marker) and raise ImageError, before Pillow reads a byte of it,
    if it has more scans, segments or stray bytes than a photo, or if it is progressive (or of
    several scans) and its buffer of DCT coefficients would exceed JPEG_MAX_COEFFICIENT_BYTES.
    A walk that meets damage simply stops: the decoder then says what is wrong."""
    scans = segments = stray = coefficients = 0
    end, in_scan, progressive = 2, False, False
    found = _MARKER.search(payload, end)
    while found and payload[found.start() + 1] != 0xD9:  # up to EOI
        if not in_scan:  # what lies between two segments is junk; after a scan's header, its data
            stray += found.start() - end
        code, end = payload[found.start() + 1], found.end()
        in_scan = code == 0xDA
        if code != 0x01:  # TEM stands alone; every other marker starts a segment with its length
            length = int.from_bytes(payload[end:end + 2], "big")
            if length < 2:
                return
            if code in _FRAMES:
                coefficients, progressive = _coefficient_bytes(payload[end + 2:end + length]), code in _PROGRESSIVE
            end += length
            segments += 1
            scans += in_scan
        if scans > JPEG_MAX_SCANS:
            raise ImageError(f"this JPEG has more than {JPEG_MAX_SCANS} scans (a progressive photo has about 10): "
                             "decoding it would take far too long; it is damaged or made to stall decoders")
        if segments > JPEG_MAX_SEGMENTS or stray > JPEG_MAX_STRAY:
            raise ImageError(f"this JPEG has more than {JPEG_MAX_SEGMENTS:,} segments or {JPEG_MAX_STRAY // 1024} KB "
                             "of stray bytes between them (a photo has a few dozen and none); it is damaged or "
                             "made to stall decoders")
        if (progressive or scans > 1) and coefficients > JPEG_MAX_COEFFICIENT_BYTES:
            raise ImageError(f"this {'progressive ' if progressive else ''}JPEG would need "
                             f"{coefficients / 2**20:,.0f} MB to decode (this program allows "
                             f"{JPEG_MAX_COEFFICIENT_BYTES // 2**20} MB): scale it down or save it as a "
                             "baseline (non-progressive) JPEG")
        found = _MARKER.search(payload, end)


def _coefficient_bytes(frame):
    """Bytes of the DCT coefficient buffer libjpeg allocates for a multi-scan JPEG whose frame
    header (SOFn, after its length) is ``frame``: 64 coefficients of 2 bytes per 8x8 block of each
    component, components sampled per MCU as the header says. 0 for a header too damaged to tell."""
    if len(frame) < 6:
        return 0
    height, width, count = int.from_bytes(frame[1:3], "big"), int.from_bytes(frame[3:5], "big"), frame[5]
    sampling = [(byte >> 4, byte & 15) for byte in frame[7:6 + 3 * count:3]]   # (h, v) of each component
    if not sampling or min(min(pair) for pair in sampling) == 0:
        return 0
    h_max, v_max = max(h for h, _ in sampling), max(v for _, v in sampling)
    mcus = -(-width // (8 * h_max)) * -(-height // (8 * v_max))
    return mcus * sum(h * v for h, v in sampling) * 64 * 2


def _identify(payload):
    """A lazily opened PIL image of ``payload``; only its header has been read."""
    Image.init()  # registers every plugin; Image.open with ``formats`` fails on one not yet registered
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(payload), formats=FORMATS)
    except Image.DecompressionBombError:
        raise ImageError("the image declares far more pixels than this program accepts; scale it down first") from None
    except Exception:
        head = payload[:256].lstrip().lower()
        if head.startswith(b"%pdf"):
            raise ImageError("this is a PDF document, not an image: upload a PNG or JPEG of the digit") from None
        if b"<svg" in payload[:4096].lower():
            raise ImageError("SVG drawings are not supported: export the digit as PNG") from None
        raise ImageError(f"this file is not an image this program can read ({_NAMES})") from None


def _one_of_our_modes(picture):
    """``picture`` as "L" (grey), "RGBA" (with transparency), "I" (16/32-bit grey) or "F"."""
    if picture.mode in ("I", "F"):
        return picture
    if picture.mode.startswith("I;16"):
        return picture.convert("I")
    if picture.mode == "LAB":  # Pillow converts LAB to nothing; its first band is the lightness
        return picture.getchannel(0)
    if picture.mode == "La":   # Pillow converts premultiplied La only to LA
        picture = picture.convert("LA")
    return picture.convert("RGBA" if _has_alpha(picture) else "L")


def _scaled_down(picture):
    """``picture`` with its longer side reduced to WORK_SIDE (area-averaged), if it is longer."""
    if max(picture.size) <= WORK_SIDE:
        return picture
    picture = _one_of_our_modes(picture)
    ratio = WORK_SIDE / max(picture.size)
    size = (max(1, round(picture.width * ratio)), max(1, round(picture.height * ratio)))
    return picture.resize(size, Image.Resampling.BOX)


def _has_alpha(picture):
    return picture.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in picture.info


def _grey(picture):
    """(H, W) float64 greyscale in 0..1 of a PIL image in one of our modes, transparency composited onto
    white when the visible pixels are dark and onto black when they are light."""
    if picture.mode in ("I", "F"):
        values = np.nan_to_num(np.asarray(picture, dtype=np.float64))
        values -= min(values.min(initial=0.0), 0.0)  # signed data: its lowest value becomes 0
        highest = values.max(initial=0.0)
        top = 1.0 if picture.mode == "F" and highest <= 1.0 else (255.0 if highest <= 255 else 65535.0)
        return np.clip(values / top, 0.0, 1.0)
    if picture.mode == "L":
        return np.asarray(picture, dtype=np.float64) / 255.0
    rgba = np.asarray(picture, dtype=np.float64) / 255.0
    luminance = rgba[..., :3] @ np.array([0.299, 0.587, 0.114])
    alpha = rgba[..., 3]
    if alpha.sum() == 0:
        raise ImageError("the image is fully transparent: there is no digit to read")
    visible = float((luminance * alpha).sum() / alpha.sum())
    background = 1.0 if visible < 0.5 else 0.0
    return luminance * alpha + background * (1.0 - alpha)


def ink_map(grey):
    """(H, W) ink in 0..1 (1 = the strongest ink) of a greyscale image ``grey`` in 0..1.

    The background is the median of the image's border; ink is what is darker than it or
    lighter than it, whichever stands out more. Raises ImageError if nothing does."""
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    background = float(np.median(border))
    darker, lighter = background - grey, grey - background
    ink = darker if darker.max() >= lighter.max() else lighter
    contrast = float(ink.max())
    if contrast < MIN_CONTRAST:
        raise ImageError("no ink found: the image is a single colour (or nearly); draw or upload a digit")
    return np.clip(ink / contrast, 0.0, 1.0)


def digit_steps(image, settings=digitize.DEFAULTS):
    """The intermediate images of ``image_to_digit`` as a DigitSteps (for showing how an upload
    was read). Takes and raises as ``image_to_digit``."""
    picture = _open(image)
    grey = _grey(picture)
    ink = ink_map(grey)
    framed = digitize.framed(ink[None], settings=settings)
    sample = digitize.counts(framed, settings)[0]
    if not sample.any():
        raise ImageError("no ink found: the marks are too faint or too small to read as a digit")
    return DigitSteps(grey=grey, ink=ink, frame=framed[0], sample=sample)


def image_to_digit(image, settings=digitize.DEFAULTS):
    """A Digits-like sample of ``image``: float64 (64,) in 0..16, as a row of
    ``sklearn.datasets.load_digits().data``, ready for ``TrainResult.predict_proba``.

    ``image`` is an image file's bytes, a binary file object or a PIL image, in any common
    format and colour mode, dark ink on light or light on dark, with or without transparency.
    ``settings``, a ``digitize.DigitizeSettings``, holds the image path's tunable choices.
    Raises ImageError, with a sentence saying why, when it is not a usable image: not an
    image, an unsupported format, truncated or damaged, too large, or no ink found.
    """
    return digit_steps(image, settings).sample
