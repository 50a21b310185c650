"""Build configuration beyond pyproject.toml: the optional C fast path for GOST 34.311-95.

``optional=True``: where no C compiler is at hand the build goes on without it and docex
uses its pure-Python implementation (``docex.signatures.dstu.gost34311``), which is the
reference the tests compare the extension with.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "docex.signatures.dstu._gost34311_c",
            sources=["src/docex/signatures/dstu/_gost34311_c.c"],
            optional=True,
        )
    ]
)
