"""Hostile input: whatever a visitor uploads, the image path and the
weights loader either give a valid result or raise the library's own error with a sentence.
Work is bounded by counting what a file declares (pixels, JPEG scans and segments, zip entries,
array sizes) before decoding it; no test asserts a time (the machine is shared and noisy)."""

import io
import json
import struct
import zipfile
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image, ImageDraw

import nncore
from nncore import ImageError, NNCoreError, WeightsFileError, image_to_digit
from tests.archives import COMPRESSIONS, entry_data, npy, zipped

FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # examples: the profile's (100)


def seven(size=120, mode="L", ink=0, paper=255):
    picture = Image.new(mode, (size, size), paper)
    s = size / 100
    ImageDraw.Draw(picture).line([(25 * s, 20 * s), (75 * s, 20 * s), (45 * s, 85 * s)], fill=ink, width=round(9 * s))
    return picture


def encoded(picture, fmt="PNG", **options):
    buffer = io.BytesIO()
    picture.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def png_declaring(width, height, rows=1):
    """A small, valid-looking greyscale PNG whose header declares ``width`` x ``height`` pixels."""
    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress((b"\x00" + b"\xff" * width) * rows, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def outcome(payload):
    """image_to_digit's answer: ('sample', array) or ('error', message)."""
    try:
        return "sample", image_to_digit(payload)
    except ImageError as exc:
        return "error", str(exc)


def assert_valid_sample(sample):
    assert sample.shape == (64,) and sample.dtype == np.float64
    assert np.isfinite(sample).all() and sample.min() >= 0 and sample.max() <= 16


def reference():
    return image_to_digit(seven())


# --- each hostile file, one by one ---------------------------------------------------------

@pytest.mark.parametrize("payload, message", [
    (b"", "empty"),
    (bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8)), "not an image"),
    (b"1 2 3\nnot a picture, just text renamed to .png\n", "not an image"),
    (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n", "PDF"),
    (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
     b'<path d="M1 1 L9 9"/></svg>', "SVG"),
])
def test_files_that_are_not_images_are_refused_with_a_sentence(payload, message):
    kind, text = outcome(payload)
    assert kind == "error" and message in text


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP"])
def test_a_truncated_image_is_refused(fmt):
    payload = encoded(seven(400, mode="RGB", ink=(0, 0, 0), paper=(255, 255, 255)), fmt)
    kind, text = outcome(payload[: len(payload) // 2])
    assert kind == "error" and ("truncated" in text or "not an image" in text)


@pytest.mark.parametrize("width, height", [(30_000, 30_000), (20_001, 10), (5_000, 5_000)])
def test_a_decompression_bomb_is_refused_before_decoding(width, height, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)  # our own limit, not Pillow's global one
    payload = png_declaring(width, height)
    assert len(payload) < 100_000
    kind, text = outcome(payload)
    assert kind == "error" and "pixels" in text and "scale it down" in text


def test_the_limit_holds_with_pillows_default_warning_too():
    kind, text = outcome(png_declaring(30_000, 30_000))
    assert kind == "error" and "scale it down" in text


@pytest.mark.parametrize("picture", [Image.new("L", (1, 1), 0), Image.new("RGB", (1, 1), (10, 200, 30))])
def test_a_1x1_image_has_no_ink(picture):
    kind, text = outcome(encoded(picture))
    assert kind == "error" and "no ink" in text


def test_a_10000x40_strip_gives_a_sample_or_a_sentence():
    strip = Image.new("L", (10_000, 40), 255)
    ImageDraw.Draw(strip).line([(5_000, 5), (5_010, 35)], fill=0, width=4)
    kind, value = outcome(encoded(strip))
    if kind == "sample":
        assert_valid_sample(value)
    assert outcome(encoded(Image.new("L", (10_000, 40), 255)))[0] == "error"


def test_an_animated_gif_is_read_from_its_first_frame():
    first, second = seven(), Image.new("L", (120, 120), 255)
    ImageDraw.Draw(second).ellipse([20, 20, 100, 100], outline=0, width=10)
    payload = encoded(first, "GIF", save_all=True, append_images=[second], duration=100, loop=0)
    assert Image.open(io.BytesIO(payload)).n_frames == 2
    kind, sample = outcome(payload)
    assert kind == "sample" and np.abs(sample - reference()).mean() < 0.3


@pytest.mark.parametrize("dtype, fmt", [(np.uint16, "PNG"), (np.int32, "TIFF")])
def test_16_and_32_bit_greyscale_is_read_like_8_bit(dtype, fmt):
    grey = (np.asarray(seven(), dtype=np.float64) / 255 * 65535).astype(dtype)
    payload = encoded(Image.fromarray(grey), fmt)
    assert Image.open(io.BytesIO(payload)).mode in ("I;16", "I")
    kind, sample = outcome(payload)
    assert kind == "sample" and np.abs(sample - reference()).mean() < 0.3


def test_a_palette_png_with_a_transparent_background_is_read():
    picture = seven(mode="P", ink=1, paper=0)
    picture.putpalette([255, 255, 255, 0, 0, 0] + [0] * 762)
    payload = encoded(picture, transparency=0)
    assert Image.open(io.BytesIO(payload)).info.get("transparency") == 0
    kind, sample = outcome(payload)
    assert kind == "sample" and np.abs(sample - reference()).mean() < 0.3


def test_a_cmyk_jpeg_is_read():
    payload = encoded(seven(mode="RGB", ink=(0, 0, 0), paper=(255, 255, 255)).convert("CMYK"), "JPEG", quality=90)
    assert Image.open(io.BytesIO(payload)).mode == "CMYK"
    kind, sample = outcome(payload)
    assert kind == "sample" and np.abs(sample - reference()).mean() < 0.5


def test_an_exif_rotated_photo_is_turned_upright():
    stored = seven(mode="RGB", ink=(0, 0, 0), paper=(255, 255, 255)).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the camera was turned; display rotated 90 degrees clockwise
    payload = encoded(stored, "JPEG", quality=95, exif=exif)
    kind, sample = outcome(payload)
    assert kind == "sample" and np.abs(sample - reference()).mean() < 0.5
    sideways = image_to_digit(stored)
    assert np.abs(sideways - reference()).mean() > 2 * np.abs(sample - reference()).mean()


def test_rgba_with_the_digit_only_in_the_alpha_channel_is_read():
    alpha = seven(ink=255, paper=0)
    picture = Image.merge("RGBA", (*Image.new("RGB", alpha.size, (255, 255, 255)).split(), alpha))
    kind, sample = outcome(encoded(picture))
    assert kind == "sample" and np.abs(sample - reference()).mean() < 0.3


@pytest.mark.parametrize("picture", [
    Image.new("L", (300, 300), 255), Image.new("L", (300, 300), 0), Image.new("RGB", (64, 64), (200, 30, 30)),
    Image.new("RGBA", (64, 64), (0, 0, 0, 0)), Image.new("RGBA", (64, 64), (0, 0, 0, 255)),
], ids=["white", "black", "red", "transparent", "opaque-black-rgba"])
def test_a_blank_image_says_no_ink(picture):
    kind, text = outcome(encoded(picture))
    assert kind == "error" and ("no ink" in text or "no digit" in text)


def test_a_large_photo_is_read():
    picture = Image.new("RGB", (6000, 4000), (235, 230, 215))
    picture.paste(seven(3000, mode="RGB", ink=(30, 30, 40), paper=(235, 230, 215)), (1800, 600))
    kind, sample = outcome(encoded(picture, "JPEG", quality=90))
    assert kind == "sample" and np.abs(sample - reference()).mean() < 1.0


# --- JPEGs whose decoding work is not bounded by their pixels --------------------------------

def progressive(picture, **options):
    return encoded(picture, "JPEG", quality=90, progressive=True, **options)


def last_scan(payload):
    """The last scan (its SOS header and data, up to EOI) of a JPEG Pillow wrote: the last FF DA
    is its last scan, since Pillow's output has no metadata and scan data has no FF DA."""
    return payload[payload.rindex(b"\xff\xda"):-2]


def with_inserted(payload, piece, copies, at=None):
    """``payload`` with ``copies`` of ``piece`` inserted at byte ``at`` (default: before EOI)."""
    at = len(payload) - 2 if at is None else at
    return payload[:at] + piece * copies + payload[at:]


PHOTO_INK, PHOTO_PAPER = (30, 30, 40), (235, 230, 215)
COMMENT = b"\xff\xfe\x00\x06flood"  # an empty-ish COM segment


def test_a_jpeg_with_one_scan_repeated_thousands_of_times_is_refused_unread():
    base = progressive(seven(mode="RGB", ink=(0, 0, 0), paper=(255, 255, 255)))
    flood = with_inserted(base, last_scan(base), 5000)
    assert image_to_digit(base).shape == (64,)
    kind, text = outcome(flood)
    assert kind == "error" and "scans" in text and "progressive photo has about 10" in text


@pytest.mark.parametrize("piece, copies", [(COMMENT, 2000), (b"\xff", 100_000), (b"\x00", 100_000)],
                         ids=["comments", "fill-bytes", "junk-bytes"])
def test_a_jpeg_flooded_with_segments_or_stray_bytes_is_refused_unread(piece, copies):
    """Pillow reads segments and stray bytes before the frame one by one in Python."""
    base = progressive(seven(mode="RGB", ink=(0, 0, 0), paper=(255, 255, 255)))
    kind, text = outcome(with_inserted(base, piece, copies, at=2))
    assert kind == "error" and "segments or 64 KB of stray bytes" in text


def test_a_progressive_jpeg_whose_coefficients_would_fill_380_mb_is_refused_unread():
    """A 50 MP progressive CMYK JPEG is decoded through 380 MB of DCT coefficients whatever the
    draft scale; here a small one whose frame header declares that size."""
    payload = bytearray(progressive(seven(mode="RGB", ink=(0, 0, 0), paper=(255, 255, 255)).convert("CMYK")))
    frame = payload.index(b"\xff\xc2")  # SOF2: length (2), precision (1), height (2), width (2)
    payload[frame + 5:frame + 9] = struct.pack(">HH", 5760, 8640)
    assert Image.open(io.BytesIO(bytes(payload))).size == (8640, 5760)
    kind, text = outcome(bytes(payload))
    assert kind == "error" and "380 MB to decode" in text and "baseline" in text


def test_a_progressive_phone_photo_is_read():
    picture = Image.new("RGB", (4032, 3024), PHOTO_PAPER)
    picture.paste(seven(2000, mode="RGB", ink=PHOTO_INK, paper=PHOTO_PAPER), (1000, 500))
    exif = Image.Exif()
    exif[0x010F] = "Phone"  # Make
    kind, sample = outcome(progressive(picture, exif=exif))
    assert kind == "sample" and np.abs(sample - reference()).mean() < 1.0


# --- property-based: only the library's own errors may escape ---------------------------------

def answers_or_refuses(function, payload):
    try:
        return function(payload)
    except NNCoreError as exc:
        assert str(exc), "an error must say why"
        return None


@FAST
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_into_image_to_digit(payload):
    sample = answers_or_refuses(image_to_digit, payload)
    if sample is not None:
        assert_valid_sample(sample)


SEEDS = {fmt: encoded(seven(40, mode="RGB", ink=(0, 0, 0), paper=(255, 255, 255)), fmt)
         for fmt in ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF")}


@FAST
@given(st.sampled_from(sorted(SEEDS)), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=8),
       st.integers(0, 10**6))
def test_damaged_images_into_image_to_digit(fmt, changes, cut):
    payload = bytearray(SEEDS[fmt])
    for position, value in changes:
        payload[position % len(payload)] = value
    sample = answers_or_refuses(image_to_digit, bytes(payload[: max(1, cut % (len(payload) + 1))]))
    if sample is not None:
        assert_valid_sample(sample)


PROGRESSIVE = progressive(seven(40, mode="RGB", ink=(0, 0, 0), paper=(255, 255, 255)))
_TABLE = PROGRESSIVE.index(b"\xff\xc4")
FLOODS = {"scan": last_scan(PROGRESSIVE), "comment": COMMENT, "fill": b"\xff",
          "table": PROGRESSIVE[_TABLE:_TABLE + 2 + int.from_bytes(PROGRESSIVE[_TABLE + 2:_TABLE + 4], "big")]}
CAPS = {"scan": 64, "comment": 1000, "table": 1000, "fill": 64 * 1024}  # nncore.imaging.image's JPEG_MAX_...


@FAST
@given(st.sampled_from(sorted(FLOODS)), st.integers(1, 70_000),
       st.sampled_from([2, _TABLE, len(PROGRESSIVE) - 2 - len(FLOODS["scan"]), len(PROGRESSIVE) - 2]))
def test_jpeg_marker_floods_into_image_to_digit(kind, copies, at):
    """Copies of a scan, a comment, a Huffman table or a fill byte inserted between segments: a
    sample, a refusal with a sentence, and a refusal for certain once the copies pass the cap
    (fill bytes count only outside scans: after a scan's data libjpeg skips them in C)."""
    if kind != "fill":
        copies = copies % 1100 + 1
    sample = answers_or_refuses(image_to_digit, with_inserted(PROGRESSIVE, FLOODS[kind], copies, at))
    if copies > CAPS[kind] and (kind != "fill" or at in (2, _TABLE)):
        assert sample is None
    elif sample is not None:
        assert_valid_sample(sample)


@FAST
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_into_load(payload):
    assert answers_or_refuses(nncore.load, payload) is None


@pytest.fixture(scope="module")
def saved():
    with np.load(io.BytesIO(nncore.to_bytes(nncore.train(nncore.TrainConfig(epochs=1, hidden=4))))) as npz:
        return {name: npz[name] for name in npz.files}


def npz_bytes(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


small_arrays = hnp.arrays(
    dtype=st.one_of(hnp.scalar_dtypes(), hnp.unicode_string_dtypes(max_len=5), hnp.byte_string_dtypes(max_len=5)),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))


@FAST
@given(st.dictionaries(st.sampled_from(["W1", "b1", "W2", "b2", "mean", "std", "config", "format_version",
                                        "best_epoch", "val_acc", "seconds", "other"]), small_arrays, max_size=6))
def test_arbitrary_small_arrays_into_load(arrays):
    assert answers_or_refuses(nncore.load, npz_bytes(arrays)) is None


@FAST
@given(st.data())
def test_a_saved_run_with_entries_replaced_by_arbitrary_arrays(saved, data):
    names = data.draw(st.lists(st.sampled_from(sorted(saved)), min_size=1, max_size=3, unique=True))
    arrays = dict(saved)
    for name in names:
        arrays[name] = data.draw(small_arrays)
    answers_or_refuses(nncore.load, npz_bytes(arrays))


@FAST
@given(st.data())
def test_a_damaged_saved_run_into_load(saved, data):
    payload = bytearray(npz_bytes(saved))
    for position, value in data.draw(st.lists(st.tuples(st.integers(0, len(payload) - 1), st.integers(0, 255)),
                                              min_size=1, max_size=6)):
        payload[position] = value
    cut = data.draw(st.integers(1, len(payload)))
    answers_or_refuses(nncore.load, bytes(payload[:cut]))


@FAST
@given(st.sampled_from(sorted(COMPRESSIONS)), st.data())
def test_a_saved_run_with_a_damaged_compressed_entry_into_load(saved, compression, data):
    payload = bytearray(zipped(saved, compression))
    start, size = entry_data(bytes(payload), data.draw(st.sampled_from(["W1.npy", "W2.npy", "config.npy"])))
    for offset, value in data.draw(st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, 255)),
                                            min_size=1, max_size=6)):
        payload[start + offset] = value
    answers_or_refuses(nncore.load, bytes(payload))


@FAST
@given(st.integers(1, 500), st.integers(0, 3000), st.booleans())
def test_histories_of_any_length_into_load(saved, epochs, length, compressed):
    """A history loads exactly when it is no longer than the epochs its settings train."""
    config = json.loads(saved["config"].item()) | {"epochs": epochs}
    arrays = dict(saved, config=np.array(json.dumps(config)), best_epoch=np.array(min(length, 1)),
                  **{key: np.full(length, 0.5) for key in nncore.training.HISTORY_KEYS + nncore.training.HEALTH_KEYS})
    payload = zipped(arrays, "deflate" if compressed else "stored")
    loaded = answers_or_refuses(nncore.load, payload)
    assert (loaded is not None) == (length <= epochs)


@FAST
@given(st.sampled_from(["W1", "b1", "W2", "b2", "mean", "std"]), st.integers(-330, 330),
       st.one_of(st.none(), st.floats(-1e308, 1e308)))
def test_extreme_weights_and_standardizers_into_load(saved, name, exponent, value):
    """An entry scaled by 10**exponent, or with one value replaced: refused with a sentence, or
    loaded with finite probabilities on the rows load checks."""
    with np.errstate(all="ignore"):
        changed = (saved[name] * np.power(10.0, exponent)).astype(saved[name].dtype)
        if value is not None:
            changed.flat[0] = value
    loaded = answers_or_refuses(nncore.load, npz_bytes(dict(saved, **{name: changed})))
    if loaded is not None:
        assert np.isfinite(loaded.predict_proba(nncore.files.npz.check_rows())).all()


@FAST
@given(st.one_of(st.text(max_size=50), st.recursive(st.none() | st.booleans() | st.integers() | st.floats() |
                                                    st.text(max_size=5), lambda inner: st.lists(inner, max_size=3) |
                                                    st.dictionaries(st.text(max_size=8), inner, max_size=3),
                                                    max_leaves=8).map(json.dumps)))
def test_arbitrary_config_text_in_a_saved_run(saved, text):
    arrays = dict(saved, config=np.array(text))
    answers_or_refuses(nncore.load, npz_bytes(arrays))


def test_an_array_header_claiming_a_huge_shape_is_refused_before_allocating(saved):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, value in saved.items():
            if name != "W1":
                archive.writestr(f"{name}.npy", npy(value))
        header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }"
        archive.writestr("W1.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", 118) + header.ljust(117).encode() + b"\n")
    with pytest.raises(WeightsFileError, match="declares"):
        nncore.load(buffer.getvalue())


def test_a_zip_entry_that_is_not_an_array_is_refused(saved):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, value in saved.items():
            archive.writestr(f"{name}.npy", npy(value) if name != "W1" else b"plain text, not an array")
    with pytest.raises(WeightsFileError, match="not a NumPy array"):
        nncore.load(buffer.getvalue())


def test_an_absurdly_large_setting_in_the_config_is_refused(saved):
    arrays = dict(saved, config=np.array('{"hidden": ' + "9" * 400 + "}"))
    with pytest.raises(WeightsFileError, match="hidden"):
        nncore.load(npz_bytes(arrays))
