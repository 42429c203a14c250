"""Pure domain logic: no I/O, imports nothing from the rest of the package."""
