"""nncore.imaging.image: any reasonable picture of a digit becomes a Digits-like 8x8 sample."""

import io
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image, ImageDraw, JpegImagePlugin

from nncore import ConfigError, DigitSteps, ImageError, digit_steps, digits, image_to_digit
from nncore.imaging import digitize

SEVEN = [(0.2, 0.15), (0.8, 0.15), (0.45, 0.9)]
FOUR = [(0.65, 0.9), (0.65, 0.1), (0.2, 0.65), (0.85, 0.65)]


def drawn(shape=SEVEN, size=200, box=None, width=None, ink=0, paper=255, mode="L"):
    """A digit drawn with Pillow's line tool: ``shape`` is a polyline in 0..1 coordinates of
    ``box`` = (left, top, side) inside a ``size`` x ``size`` canvas (centred, 70% by default)."""
    left, top, side = box or (0.15 * size, 0.15 * size, 0.7 * size)
    picture = Image.new(mode, (size, size), paper)
    points = [(left + x * side, top + y * side) for x, y in shape]
    ImageDraw.Draw(picture).line(points, fill=ink, width=width or max(1, round(side / 10)), joint="curve")
    return picture


def encoded(picture, fmt="PNG", **options):
    buffer = io.BytesIO()
    picture.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def distance(a, b):
    """Mean absolute difference per pixel of two samples, in Digits units (0..16)."""
    return float(np.abs(np.asarray(a) - np.asarray(b)).mean())


def test_returns_a_float64_digits_row_in_0_16():
    sample = image_to_digit(encoded(drawn()))
    assert sample.shape == (64,) and sample.dtype == np.float64
    assert sample.min() >= 0 and sample.max() <= 16 and sample.max() > 8


def test_takes_bytes_a_binary_file_or_a_pil_image():
    picture = drawn()
    payload = encoded(picture)
    reference = image_to_digit(payload)
    assert np.array_equal(image_to_digit(io.BytesIO(payload)), reference)
    assert np.array_equal(image_to_digit(picture), reference)
    assert np.array_equal(image_to_digit(bytearray(payload)), reference)


@pytest.mark.parametrize("fmt, options", [
    ("JPEG", {"quality": 85}), ("GIF", {}), ("BMP", {}), ("WEBP", {"quality": 90}), ("TIFF", {}),
])
def test_common_formats_give_the_png_sample(fmt, options):
    picture = drawn(mode="RGB", ink=(0, 0, 0), paper=(255, 255, 255))
    assert distance(image_to_digit(encoded(picture, fmt, **options)), image_to_digit(encoded(picture))) < 0.5


def test_dark_on_light_and_light_on_dark_give_the_same_sample():
    assert np.allclose(image_to_digit(drawn(ink=0, paper=255)), image_to_digit(drawn(ink=255, paper=0)))


def test_colour_and_grey_give_the_same_sample():
    colour = drawn(mode="RGB", ink=(20, 40, 160), paper=(250, 240, 200))
    assert distance(image_to_digit(colour), image_to_digit(drawn())) < 0.3


def test_low_contrast_pencil_on_grey_paper_is_read():
    assert distance(image_to_digit(drawn(ink=110, paper=170)), image_to_digit(drawn())) < 0.3


def test_transparent_background_is_composited_like_paper():
    ink_only = drawn(mode="RGBA", ink=(0, 0, 0, 255), paper=(0, 0, 0, 0))
    assert distance(image_to_digit(encoded(ink_only)), image_to_digit(drawn())) < 0.3
    light_ink = drawn(mode="RGBA", ink=(255, 255, 255, 255), paper=(255, 255, 255, 0))
    assert distance(image_to_digit(encoded(light_ink)), image_to_digit(drawn())) < 0.3


def test_a_digit_drawn_only_in_the_alpha_channel_is_read():
    alpha = drawn(ink=255, paper=0)
    picture = Image.merge("RGBA", (*Image.new("RGB", alpha.size, (0, 0, 0)).split(), alpha))
    assert distance(image_to_digit(encoded(picture)), image_to_digit(drawn())) < 0.3


@pytest.mark.parametrize("size, box", [
    (200, (30, 30, 140)), (64, (8, 8, 48)), (400, (20, 220, 150)), (120, (70, 5, 45)), (1000, (100, 300, 500)),
])
def test_a_drawn_digit_maps_to_nearly_the_same_sample_at_any_size_and_position(size, box):
    reference = image_to_digit(drawn(size=200))
    assert distance(image_to_digit(drawn(size=size, box=box)), reference) < 1.0


def test_a_thin_line_is_thickened_towards_digits_ink():
    thin = image_to_digit(drawn(size=600, width=2))
    assert thin.sum() > 200, "a 2-pixel line on a large canvas still carries Digits-like ink"
    assert distance(thin, image_to_digit(drawn(size=600))) < 2.0


def render(row, scale=8):
    """A Digits row drawn as a grey picture, upscaled smoothly to ``scale`` pixels per cell,
    dark ink on white."""
    cells = (255 - row.reshape(8, 8) * 255 / 16).astype(np.uint8)
    return Image.fromarray(cells).resize((8 * scale, 8 * scale), Image.Resampling.BILINEAR)


def test_a_rendered_digits_sample_round_trips_close_to_itself():
    X, y = digits()
    picked = range(0, 1797, 30)
    back = np.array([image_to_digit(render(X[i])) for i in picked])
    gaps = np.abs(back - X[list(picked)]).mean(axis=1)
    assert gaps.mean() < 1.6 and gaps.max() < 3.0, gaps
    nearest = np.abs(back[:, None, :] - X[None, :, :]).mean(axis=2).argmin(axis=1)
    assert (y[nearest] == y[list(picked)]).mean() >= 0.9


def test_digit_steps_shows_the_intermediate_images():
    steps = digit_steps(encoded(drawn(size=100)))
    assert isinstance(steps, DigitSteps)
    assert steps.grey.shape == steps.ink.shape == (100, 100) and steps.frame.shape == (32, 32)
    assert steps.ink.max() == 1.0 and np.array_equal(steps.sample, image_to_digit(drawn(size=100)))


@pytest.mark.parametrize("colour", [0, 255, 128])
def test_a_blank_image_has_no_ink(colour):
    with pytest.raises(ImageError, match="no ink"):
        image_to_digit(encoded(Image.new("L", (50, 50), colour)))


@pytest.mark.parametrize("payload", [b"", b"hello, this is text", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20])
def test_what_is_not_an_image_raises_image_error(payload):
    with pytest.raises(ImageError):
        image_to_digit(payload)


def test_a_path_or_array_is_refused_with_a_sentence():
    with pytest.raises(ImageError, match="bytes, a binary file or a PIL image"):
        image_to_digit("digit.png")




@pytest.mark.parametrize("change", [{"fit": (32, 32), "squeeze": 1.0}, {"min_mass": 0.0}, {"binarise": 0.9},
                                    {"max_dilations": 1}])
def test_a_variant_of_the_digitize_settings_reads_the_image_differently(change):
    payload = encoded(drawn(FOUR, width=4))
    variant = replace(digitize.DigitizeSettings(), **change)
    assert not np.array_equal(image_to_digit(payload, variant), image_to_digit(payload))


@pytest.mark.parametrize("change, name", [({"fit": (32, 40)}, "fit"), ({"squeeze": 0.5}, "squeeze"),
                                          ({"binarise": 1.5}, "binarise"), ({"max_dilations": 0}, "max_dilations"),
                                          ({"min_mass": -1.0}, "min_mass")])
def test_digitize_settings_out_of_range_are_refused_by_name(change, name):
    with pytest.raises(ConfigError, match=name):
        digitize.DigitizeSettings(**change)


@pytest.mark.parametrize("mode", ["1", "L", "LA", "La", "P", "PA", "RGB", "RGBA", "RGBa", "RGBX", "CMYK", "YCbCr",
                                  "LAB", "HSV", "I", "I;16", "I;16B", "F"])
def test_every_pillow_mode_gives_the_grey_sample(mode):
    """LAB and La were reported as 'truncated or damaged': Pillow converts them to no mode we use."""
    grey = drawn()
    picture = grey.convert("LA").convert("La") if mode == "La" else grey.convert("RGB").convert(mode)
    assert picture.mode == mode
    assert distance(image_to_digit(picture), image_to_digit(grey)) < 0.3


def test_a_lab_tiff_is_read_by_its_lightness():
    payload = encoded(drawn(mode="RGB", ink=(0, 0, 0), paper=(255, 255, 255)).convert("LAB"), "TIFF")
    assert Image.open(io.BytesIO(payload)).mode == "LAB"
    assert distance(image_to_digit(payload), image_to_digit(drawn())) < 0.3


@pytest.mark.parametrize("low, high", [(-65535, 0), (-32768, 32767), (-255, 0), (-2**31, 2**31 - 1)])
def test_signed_32_bit_greyscale_with_negative_values_is_read(low, high):
    """int32 pixels from ``low`` (ink) to ``high`` (paper) were clipped at 0 and read as 'no ink'."""
    grey = np.asarray(drawn(), dtype=np.float64) / 255
    picture = Image.fromarray((low + grey * (high - low)).round().astype(np.int32))
    assert picture.mode == "I"
    assert distance(image_to_digit(encoded(picture, "TIFF")), image_to_digit(drawn())) < 0.3


@pytest.mark.parametrize("mode", ["L", "RGB", "CMYK"])
@pytest.mark.parametrize("progressive", [False, True], ids=["baseline", "progressive"])
def test_a_large_jpeg_is_decoded_at_a_reduced_scale_in_every_mode(mode, progressive, monkeypatch):
    """Decoding 1/8 of each side is what keeps a 50 MP photo's pixels from filling memory."""
    sizes = []
    load = JpegImagePlugin.JpegImageFile.load

    def recording_load(picture):
        sizes.append(picture.size)
        return load(picture)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "load", recording_load)
    picture = drawn(size=4096, mode="RGB", ink=(0, 0, 0), paper=(255, 255, 255)).convert(mode)
    payload = encoded(picture, "JPEG", quality=85, progressive=progressive)
    assert distance(image_to_digit(payload), image_to_digit(drawn())) < 1.0
    assert sizes and max(sizes[0]) == 512
