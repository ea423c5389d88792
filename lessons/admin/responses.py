"""Read-only admin views of student work (prediction submissions, attempts)."""
