"""Files: a trained run saved as one .npz, and every check a file must pass to load."""
