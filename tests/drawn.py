"""Generated pictures of handwritten-looking digits for the tests (no files from elsewhere)."""

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

# Strokes of a few digits on a 100x100 canvas, as polylines.
STROKES = {
    1: [[(45, 15), (55, 10), (55, 90)]],
    4: [[(60, 10), (20, 65), (80, 65)], [(60, 10), (60, 92)]],
    7: [[(20, 15), (80, 15), (42, 92)], [(35, 52), (68, 52)]],
    0: [[(50, 10), (75, 25), (80, 55), (70, 85), (50, 92), (30, 85), (20, 55), (25, 25), (50, 10)]],
}


def photo_of_digit(digit, size=(640, 480), fmt="JPEG", seed=0):
    """A 'phone photo' of a digit in dark blue ink on uneven greyish paper, as file bytes."""
    rng = np.random.default_rng(seed)
    width, height = size
    ys, xs = np.mgrid[0:height, 0:width]
    paper = 200 + 30 * xs / width - 20 * ys / height + rng.normal(0, 4, (height, width))  # light, uneven
    rgb = np.stack([paper, paper * 0.98, paper * 0.93], axis=-1).clip(0, 255).astype(np.uint8)
    picture = Image.fromarray(rgb)
    draw = ImageDraw.Draw(picture)
    scale, left, top = height * 0.6 / 100, width * 0.35, height * 0.2
    for line in STROKES[digit]:
        points = [(left + x * scale, top + y * scale) for x, y in line]
        draw.line(points, fill=(30, 40, 110), width=int(9 * scale), joint="curve")
    picture = picture.filter(ImageFilter.GaussianBlur(1.2))
    buffer = io.BytesIO()
    picture.save(buffer, format=fmt, quality=85) if fmt == "JPEG" else picture.save(buffer, format=fmt)
    return buffer.getvalue()


# Each digit as a person might draw it with the mouse, as polylines in 0-1 canvas coordinates
# (x, y from the top left). Written by hand once, never fitted to any model's answers.
MOUSE_STROKES = {
    0: [[(0.5, 0.15), (0.68, 0.25), (0.72, 0.5), (0.66, 0.78), (0.5, 0.88), (0.34, 0.78), (0.28, 0.5), (0.32, 0.25),
         (0.5, 0.15)]],
    1: [[(0.42, 0.25), (0.52, 0.15), (0.52, 0.88)]],
    2: [[(0.3, 0.3), (0.4, 0.17), (0.6, 0.17), (0.68, 0.32), (0.6, 0.5), (0.3, 0.85), (0.72, 0.85)]],
    3: [[(0.3, 0.2), (0.6, 0.17), (0.68, 0.32), (0.5, 0.48), (0.7, 0.62), (0.62, 0.84), (0.3, 0.85)]],
    4: [[(0.58, 0.15), (0.28, 0.62), (0.75, 0.62)], [(0.6, 0.35), (0.6, 0.88)]],
    5: [[(0.7, 0.17), (0.35, 0.17), (0.32, 0.48), (0.6, 0.45), (0.7, 0.65), (0.6, 0.84), (0.3, 0.82)]],
    6: [[(0.65, 0.15), (0.4, 0.4), (0.32, 0.7), (0.45, 0.87), (0.65, 0.8), (0.66, 0.6), (0.45, 0.55), (0.33, 0.68)]],
    7: [[(0.3, 0.2), (0.72, 0.2), (0.45, 0.85)]],
    8: [[(0.6, 0.2), (0.45, 0.15), (0.35, 0.28), (0.5, 0.45), (0.68, 0.65), (0.55, 0.86), (0.35, 0.75), (0.5, 0.48),
         (0.65, 0.3), (0.6, 0.2)]],
    9: [[(0.65, 0.3), (0.5, 0.17), (0.35, 0.3), (0.45, 0.47), (0.65, 0.35), (0.62, 0.88)]],
}
