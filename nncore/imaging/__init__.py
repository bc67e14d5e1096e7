"""The image path: an uploaded or drawn picture -> a Digits-like 8x8 sample, and augmentation."""
