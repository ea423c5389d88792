"""Reads: each page's state for a user, progress, the review queue, dashboards and exports. A read never writes."""
