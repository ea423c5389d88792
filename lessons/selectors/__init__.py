"""Reads: what a page shows, built without writing."""
