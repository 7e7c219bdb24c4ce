"""Renkou (人口): information system of county population and family-services bureaus."""

__version__ = "0.1.0"
