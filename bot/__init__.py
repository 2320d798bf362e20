"""nemobot."""
