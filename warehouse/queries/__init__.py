"""Read models for the pages: a creator's own sales (``sales``) and regional aggregates for
programme managers (``metrics``). Every function takes the acting user first and checks
``warehouse.access`` before any SQL runs; values are bound, identifiers come from allow-lists.
"""

from .common import GRAINS, Period, data_version

__all__ = ["GRAINS", "Period", "data_version"]
