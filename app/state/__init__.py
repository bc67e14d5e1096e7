"""Session state: the runs one person holds, and the URL that carries them."""
