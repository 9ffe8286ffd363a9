"""Taxpayer data-sharing gateway."""
