"""A tiny catalog library: items over HTTP, prices from a file."""

from .client import CatalogClient
from .prices import describe, describe_async, load_prices, load_prices_async

__all__ = ["CatalogClient", "describe", "describe_async", "load_prices", "load_prices_async"]
