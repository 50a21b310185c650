"""docex: the qualified-signature gate and document exchange for Ukraine's eHealth system."""

__version__ = "0.1.0"
