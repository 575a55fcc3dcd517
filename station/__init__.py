"""packline station: end-of-line programming and traceability for BQ40Z50 smart battery packs."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("packline-station")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+checkout"
